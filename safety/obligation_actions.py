"""What a digest recipient can do with a listed duty: the actions its kind offers (remind the person,
excuse them, mark it handled, …).

Rights are checked at the press: the presser must have received a digest listing this obligation at its
current level (or, for a digest in a unit's group chat, lead that unit). A closed obligation changes nothing;
two leaders pressing at once: the compare-and-set close lets one win, the other is told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import digests, duty_pictures, kinds, outbox
from safety.access import Actor
from safety.config import Defaults
from safety.kinds.base import DigestAction
from safety.outbox import Envelope
from safety.roles import LEADER_ROLES
from storage import digest_queries as gq
from storage import duty_queries as dq
from storage import identity_queries as iq
from storage import org_queries as oq
from storage.models import Obligation, Person


class ActStatus(StrEnum):
    DONE = "done"
    ALREADY_CLOSED = "already_closed"
    NOT_ALLOWED = "not_recipient"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class ActOutcome:
    status: ActStatus
    subject_name: str = ""
    answer: str = "access.button_invalid"  # the text key of the answer to the presser ({name})


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


def _action(kind: str, op: str) -> DigestAction | None:
    if kind not in kinds.KIND_NAMES:
        return None
    return next((a for a in kinds.get(kind).actions if a.op == op), None)


async def act(
    session: AsyncSession,
    *,
    obligation_id: int,
    op: str,
    actor: Actor,
    channel: str,
    now: datetime,
    defaults: Defaults,
) -> ActOutcome:
    obligation = await session.get(Obligation, obligation_id)
    action = _action(obligation.kind, op) if obligation else None
    if obligation is None or action is None:
        return ActOutcome(ActStatus.NOT_FOUND)
    subject = await session.get(Person, obligation.subject_id)
    name = subject.name if subject else "?"
    if obligation.state != "open":
        return ActOutcome(ActStatus.ALREADY_CLOSED, name, "digest.already_closed")
    if not await _allowed(session, obligation, actor):
        return ActOutcome(ActStatus.NOT_ALLOWED, name, "digest.not_recipient")
    if action.closes_as is None:
        await _nudge(session, obligation, actor, now=now, defaults=defaults)
    elif await dq.close_obligation(
        session, obligation_id=obligation_id, state=action.closes_as, by=actor.person_id, now=now
    ):
        # A kind may mean more by a close than the close itself (已上报 also marks the report reported).
        hook = getattr(kinds.get(obligation.kind), "closed_by_action", None)
        if hook is not None:
            await hook(session, obligation, actor_id=actor.person_id, now=now, defaults=defaults)
        await digests.refresh(session, kind=obligation.kind, ref=obligation.ref, now=now, defaults=defaults)
    else:
        return ActOutcome(ActStatus.ALREADY_CLOSED, name, "digest.already_closed")
    detail = {
        "obligation": obligation_id,
        "kind": obligation.kind,
        "ref": obligation.ref,
        "level": obligation.level,
    }
    iq.add_audit(
        session,
        at=now,
        actor_id=actor.person_id,
        channel=channel,
        action=action.audit,
        subject=name,
        detail=detail,
    )
    return ActOutcome(ActStatus.DONE, name, action.done)


async def _nudge(
    session: AsyncSession, obligation: Obligation, actor: Actor, *, now: datetime, defaults: Defaults
) -> None:
    pictures = await duty_pictures.load(
        session, kind=obligation.kind, refs=[obligation.ref], defaults=defaults
    )
    picture = pictures.get(obligation.ref)
    duty = picture.by_id.get(obligation.id or 0) if picture else None
    view = (
        kinds.get(obligation.kind).reminder(picture, duty, nudged_by=actor.name) if picture and duty else None
    )
    if view is None:
        return
    key = f"ob:{obligation.id}:nudge:{actor.person_id}:{now:%Y%m%d%H%M}"  # at most one a minute per presser
    envelope = Envelope(key=key, kind="reminder", view=view, person_id=obligation.subject_id)
    await outbox.enqueue(session, [envelope], now=now, default_channel=defaults.channel)
