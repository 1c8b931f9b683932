"""Answering a round: 'all fine' (fit for duty), 'something is wrong' (items, a note, a photo), late answers.

The answer closes the person's obligation, edits the digests that list the round, and for an issue or a
person not cleared for duty tells the team leader at once — in one alert digest per unit, round and topic,
edited as more arrive, so a leader never gets hundreds of messages for one round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import digests
from safety.access import Actor
from safety.config import Defaults
from safety.digests import Audience, DigestRequest
from safety.kinds import CHECKIN
from safety.kinds.checkin import ISSUE, NOT_CLEARED, round_ref
from safety.rounds import Schedule, checklist, local_hhmm, round_view
from safety.views import Line, View
from storage import checkin_queries as cq
from storage import duty_queries as dq
from storage import org_queries as oq
from storage.models import CheckIn, Round, Unit

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
    notified: bool = False  # outbox rows were written (an alert, digest edits): wake the dispatchers


async def answer(
    session: AsyncSession,
    *,
    actor: Actor,
    round_id: int,
    fit: bool,
    now: datetime,
    defaults: Defaults,
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
    tz = defaults.zone(unit.timezone)
    due = local_hhmm(found.due_at, tz)
    if now.astimezone(tz).date() != found.day:
        return AnswerOutcome(Answer.NO_ROUND, due=due)
    ref = round_ref(round_id)
    if duty is None:
        return AnswerOutcome(Answer.NOT_EXPECTED, due=due)
    if duty.checked_in_at is not None:
        return AnswerOutcome(Answer.ALREADY, time=local_hhmm(duty.checked_in_at, tz), due=due)
    if fit and not actor.cleared:
        await _alert_leaders(session, unit, ref, duty.obligation_id, NOT_CLEARED, now=now, defaults=defaults)
        return AnswerOutcome(Answer.NOT_CLEARED, due=due, notified=True)
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
        await _alert_leaders(session, unit, ref, duty.obligation_id, ISSUE, now=now, defaults=defaults)
    if found.has_digests:  # before the first escalation step no digest lists the round yet
        await digests.refresh(session, kind=CHECKIN, ref=ref, now=now, defaults=defaults)
    notified = status is Answer.ISSUE or found.has_digests
    return AnswerOutcome(status, time=local_hhmm(now, tz), due=due, notified=notified)


async def _alert_leaders(
    session: AsyncSession,
    unit: Unit,
    ref: str,
    obligation_id: int,
    topic: str,
    *,
    now: datetime,
    defaults: Defaults,
) -> None:
    """List the duty in the unit's alert digest of this topic; its team leaders get it (the first at
    once, then edits)."""
    leaders = tuple(
        p for p in await oq.nearest_role_holders(session, unit_id=unit.id, role="team_leader") if p.active
    )
    request = DigestRequest(
        kind=CHECKIN,
        ref=ref,
        unit_id=unit.id,
        level=0,
        obligation_ids=(obligation_id,),
        audience=Audience(people=leaders),
        topic=topic,
    )
    await digests.send(session, [request], now=now, defaults=defaults)


@dataclass(frozen=True)
class Checklist:
    """What /checkin shows: today's checklist again, or why not (answer NO_ROUND, ALREADY, NOT_EXPECTED)."""

    answer: Answer
    view: View | None = None
    time: str = ""


async def todays_checklist(
    session: AsyncSession, *, actor: Actor, now: datetime, defaults: Defaults
) -> Checklist:
    """The checklist of the person's own team's round today, while they have not answered it."""
    unit = await session.get(Unit, actor.unit_id)
    round_ = (
        await dq.round_by_unit_day(session, unit_id=unit.id, day=defaults.today(now, unit.timezone))
        if unit
        else None
    )
    schedule = Schedule.of(unit) if unit else None
    if unit is None or round_ is None or round_.id is None or schedule is None:
        return Checklist(Answer.NO_ROUND)
    tz = defaults.zone(unit.timezone)
    done = await dq.checkin_of(session, round_id=round_.id, person_id=actor.person_id)
    if done is not None:
        return Checklist(Answer.ALREADY, time=local_hhmm(done.at, tz))
    if not await dq.obligation_of(
        session, kind=CHECKIN, ref=round_ref(round_.id), subject_id=actor.person_id
    ):
        return Checklist(Answer.NOT_EXPECTED)
    view = round_view(round_id=round_.id, unit=unit, schedule=schedule, due_at=round_.due_at, tz=tz)
    return Checklist(Answer.ON_TIME, view)


async def issue_items(session: AsyncSession, *, round_id: int) -> list[Line] | None:
    """The items a person may mark as wrong in this round's checklist; None: no such round."""
    round_ = await session.get(Round, round_id)
    unit = await session.get(Unit, round_.unit_id) if round_ else None
    return checklist(Schedule.of(unit)) if unit else None
