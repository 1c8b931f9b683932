"""Answering a round: 'all fine' (fit for duty), 'something is wrong' (items, a note, a photo), late answers.

The answer closes the person's obligation, edits the digests that list the round, and for an issue or a
person not cleared for duty tells the team leader at once (outbox rows in the same transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import digests, outbox
from safety.access import Actor
from safety.delivery import OutMessage
from safety.outbox import Envelope
from safety.rounds import Schedule, local_hhmm, zone
from safety.texts import t
from storage import checkin_queries as cq
from storage import duty_queries as dq
from storage import org_queries as oq
from storage.models import CheckIn, Person, Round, Unit

NOTE_LIMIT = 500


class Answer(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    ISSUE = "issue"
    ALREADY = "already"
    NOT_EXPECTED = "not_expected"
    NO_ROUND = "no_round"
    NOT_CLEARED = "not_cleared"
    NEED_LOCATION = "need_location"


@dataclass(frozen=True)
class AnswerOutcome:
    answer: Answer
    time: str = ""  # local HH:MM of the check-in (or of the earlier one)
    due: str = ""


@dataclass(frozen=True)
class Defaults:
    default_language: str
    default_timezone: str


async def answer(
    session: AsyncSession,
    *,
    actor: Actor,
    round_id: int,
    fit: bool,
    now: datetime,
    settings: Defaults,
    items: list[str] | None = None,
    note: str | None = None,
    photo_file_id: str | None = None,
    location: tuple[float, float] | None = None,
) -> AnswerOutcome:
    """Record the actor's answer to the round; fit=True is 'all fine', False an issue with items and note."""
    found = await cq.press_context(session, round_id=round_id, person_id=actor.person_id)
    if found is None:
        return AnswerOutcome(Answer.NO_ROUND)
    unit, duty = found.unit, found.duty
    tz = zone(unit, settings.default_timezone)
    due = local_hhmm(found.due_at, tz)
    if now.astimezone(tz).date() != found.day:
        return AnswerOutcome(Answer.NO_ROUND, due=due)
    ref = f"round:{round_id}"
    if duty is None:
        return AnswerOutcome(Answer.NOT_EXPECTED, due=due)
    if duty.checked_in_at is not None:
        return AnswerOutcome(Answer.ALREADY, time=local_hhmm(duty.checked_in_at, tz), due=due)
    if fit and not actor.cleared:
        await _tell_leaders(
            session,
            unit,
            actor,
            "not_cleared",
            now=now,
            settings=settings,
            key=f"{ref}:p{actor.person_id}:not_cleared",
        )
        return AnswerOutcome(Answer.NOT_CLEARED, due=due)
    schedule = Schedule.of(unit)
    if fit and schedule is not None and schedule.require_location and location is None:
        return AnswerOutcome(Answer.NEED_LOCATION, due=due)
    status = Answer.ISSUE if not fit else (Answer.LATE if now > found.due_at else Answer.ON_TIME)
    checkin = await cq.record_checkin(  # and closes the obligation
        session,
        obligation_id=duty.obligation_id,
        checkin=CheckIn(
            round_id=round_id,
            person_id=actor.person_id,
            status=status.value,
            items=items,
            note=(note or "")[:NOTE_LIMIT] or None,
            photo_file_id=photo_file_id,
            latitude=location[0] if location else None,
            longitude=location[1] if location else None,
            at=now,
        ),
    )
    if checkin is None:  # a double press raced us
        return AnswerOutcome(Answer.ALREADY, time=local_hhmm(now, tz), due=due)
    if status is Answer.ISSUE:
        await _tell_leaders(
            session,
            unit,
            actor,
            "issue",
            now=now,
            settings=settings,
            key=f"checkin:{checkin.id}:issue",
            checkin=checkin,
        )
    if not found.has_digests:  # before the first escalation step nothing lists the round yet
        return AnswerOutcome(status, time=local_hhmm(now, tz), due=due)
    await digests.refresh(
        session,
        kind="checkin",
        ref=ref,
        now=now,
        default_language=settings.default_language,
        default_timezone=settings.default_timezone,
    )
    return AnswerOutcome(status, time=local_hhmm(now, tz), due=due)


async def _tell_leaders(
    session: AsyncSession,
    unit: Unit,
    actor: Actor,
    what: str,
    *,
    now: datetime,
    settings: Defaults,
    key: str,
    checkin: CheckIn | None = None,
) -> None:
    leaders = [
        p for p in await oq.nearest_role_holders(session, unit_id=unit.id, role="team_leader") if p.active
    ]
    tz = zone(unit, settings.default_timezone)
    envelopes = []
    for leader in leaders:
        language = leader.language or settings.default_language
        if what == "issue" and checkin is not None:
            sep = t(language, "digest.name_separator")
            note = (checkin.note or "") + (
                t(language, "checkin.issue_alert_photo") if checkin.photo_file_id else ""
            )
            text = t(
                language,
                "checkin.issue_alert",
                unit=unit.name,
                name=actor.name,
                time=local_hhmm(checkin.at, tz),
                items=sep.join(checkin.items or []),
                note=note,
            )
        else:
            text = t(language, "checkin.not_cleared_alert", unit=unit.name, name=actor.name)
        envelopes.append(
            Envelope(key=f"{key}:to:{leader.id}", kind="alert", message=OutMessage(text), person_id=leader.id)
        )
    await outbox.enqueue(session, envelopes, now=now)


async def todays_round(
    session: AsyncSession, *, person: Person, now: datetime, default_timezone: str
) -> Round | None:
    """The round of the person's own team today, if one is open."""
    unit = await session.get(Unit, person.unit_id)
    if unit is None:
        return None
    day = now.astimezone(zone(unit, default_timezone)).date()
    return await dq.round_by_unit_day(session, unit_id=unit.id, day=day)
