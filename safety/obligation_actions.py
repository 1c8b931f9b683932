"""What a digest recipient can do with a listed duty: remind the person, excuse them, or mark it handled.

Rights are checked at the press: the presser must have received a digest listing this obligation at its
current level (or, for a digest in a unit's group chat, lead that unit). A closed obligation changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import checkin_digest, digests, outbox, quiz_digest
from safety.access import Actor
from safety.outbox import Envelope
from safety.roles import LEADER_ROLES
from storage import digest_queries as gq
from storage import duty_queries as dq
from storage import identity_queries as iq
from storage import org_queries as oq
from storage.models import Obligation, Person

OPS = {"r": "remind", "x": "excuse", "h": "handle"}


class ActStatus(StrEnum):
    HANDLED = "handled"
    EXCUSED = "excused"
    REMINDED = "reminded"
    ALREADY_CLOSED = "already_closed"
    NOT_ALLOWED = "not_recipient"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class ActOutcome:
    status: ActStatus
    subject_name: str = ""


async def _allowed(session: AsyncSession, obligation: Obligation, actor: Actor) -> bool:
    assert obligation.id is not None
    if await gq.is_current_recipient(
        session, obligation_id=obligation.id, level=obligation.level, person_id=actor.person_id
    ):
        return True
    group_units = await gq.group_digest_units(session, obligation_id=obligation.id, level=obligation.level)
    if not group_units:
        return False
    chain = {u.id for u in await oq.unit_ancestors(session, unit_id=obligation.unit_id)}
    return bool(actor.units_with(LEADER_ROLES) & chain)


async def act(
    session: AsyncSession,
    *,
    obligation_id: int,
    op: str,
    actor: Actor,
    channel: str,
    now: datetime,
    default_language: str,
    default_timezone: str,
) -> ActOutcome:
    obligation = await session.get(Obligation, obligation_id)
    if obligation is None or op not in OPS:
        return ActOutcome(ActStatus.NOT_FOUND)
    subject = await session.get(Person, obligation.subject_id)
    name = subject.name if subject else "?"
    if obligation.state != "open":
        return ActOutcome(ActStatus.ALREADY_CLOSED, name)
    if not await _allowed(session, obligation, actor):
        return ActOutcome(ActStatus.NOT_ALLOWED, name)
    audit = {
        "obligation": obligation_id,
        "kind": obligation.kind,
        "ref": obligation.ref,
        "level": obligation.level,
    }
    if op == "r":
        await _nudge(
            session,
            obligation,
            subject,
            actor,
            now=now,
            default_language=default_language,
            default_timezone=default_timezone,
        )
        iq.add_audit(
            session,
            at=now,
            actor_id=actor.person_id,
            channel=channel,
            action="obligation.remind",
            subject=name,
            detail=audit,
        )
        return ActOutcome(ActStatus.REMINDED, name)
    state = "acknowledged" if op == "h" else "excused"
    if not await dq.close_obligation(
        session, obligation_id=obligation_id, state=state, by=actor.person_id, now=now
    ):
        return ActOutcome(ActStatus.ALREADY_CLOSED, name)
    iq.add_audit(
        session,
        at=now,
        actor_id=actor.person_id,
        channel=channel,
        action=f"obligation.{state}",
        subject=name,
        detail=audit,
    )
    await digests.refresh(
        session,
        kind=obligation.kind,
        ref=obligation.ref,
        now=now,
        default_language=default_language,
        default_timezone=default_timezone,
    )
    return ActOutcome(ActStatus.HANDLED if op == "h" else ActStatus.EXCUSED, name)


async def _nudge(
    session: AsyncSession,
    obligation: Obligation,
    subject: Person | None,
    actor: Actor,
    *,
    now: datetime,
    default_language: str,
    default_timezone: str,
) -> None:
    if subject is None:
        return
    key = f"ob:{obligation.id}:nudge:{actor.person_id}:{now:%Y%m%d%H%M}"  # at most one a minute per presser
    language = subject.language or default_language
    if obligation.kind == "quiz":
        message = quiz_digest.render_reminder(
            obligation, language=language, tz=ZoneInfo(default_timezone), nudged_by=actor.name
        )
        await outbox.enqueue(
            session, [Envelope(key=key, kind="reminder", message=message, person_id=subject.id)], now=now
        )
        return
    if obligation.kind != "checkin":
        return
    picture = await checkin_digest.load_round(session, ref=obligation.ref, default_timezone=default_timezone)
    if picture is None:
        return
    message = checkin_digest.render_reminder(picture, language=language, nudged_by=actor.name)
    await outbox.enqueue(
        session, [Envelope(key=key, kind="reminder", message=message, person_id=subject.id)], now=now
    )
