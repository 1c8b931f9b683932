"""到岗: the person on duty confirms their shift (button `ds`, arg the shift id).

Re-checked at every press: the shift must exist, be the presser's own, have started (the button comes
with the shift message) and not ended. The confirmation is one UPDATE that only changes an unconfirmed
shift of this person: of two taps at once one records it and the other is told it was recorded already,
with the time; nothing changes twice. Recording it closes the shift's `duty_shift` obligation (done, by
the person), edits the digests that list it and writes the audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import digests
from safety.access import Actor
from safety.config import Defaults
from safety.kinds import DUTY_SHIFT
from safety.shifts.rules import as_utc, ref_of
from safety.shifts.views import hhmm
from storage import identity_queries as iq
from storage import org_queries as oq
from storage import shift_queries as sq


class Status(StrEnum):
    CONFIRMED = "confirmed"
    ALREADY = "already"
    NOT_YOURS = "not_yours"
    NOT_STARTED = "not_started"
    ENDED = "ended"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Outcome:
    status: Status
    key: str  # the text key of the answer to the presser
    params: dict[str, str] = field(default_factory=dict)


async def press(
    session: AsyncSession,
    *,
    shift_id: int,
    actor: Actor,
    now: datetime,
    defaults: Defaults,
    channel: str,
) -> Outcome:
    shift = await sq.fresh_shift(session, shift_id=shift_id)
    if shift is None:
        return Outcome(Status.NOT_FOUND, "shifts.not_found")
    if shift.person_id != actor.person_id:
        return Outcome(Status.NOT_YOURS, "shifts.not_yours")
    unit = await oq.get_unit(session, unit_id=shift.unit_id)
    zone = defaults.zone(unit.timezone if unit else None)
    if shift.confirmed_at is not None:
        return Outcome(Status.ALREADY, "shifts.already_confirmed", {"time": hhmm(shift.confirmed_at, zone)})
    if as_utc(shift.starts_at) > now:
        return Outcome(Status.NOT_STARTED, "shifts.not_started", {"time": hhmm(shift.starts_at, zone)})
    if as_utc(shift.ends_at) <= now:
        return Outcome(Status.ENDED, "shifts.ended", {"time": hhmm(shift.ends_at, zone)})
    if not await sq.confirm(session, shift_id=shift_id, person_id=actor.person_id, now=now):
        again = await sq.fresh_shift(session, shift_id=shift_id)
        when = hhmm(again.confirmed_at, zone) if again and again.confirmed_at else ""
        return Outcome(Status.ALREADY, "shifts.already_confirmed", {"time": when})
    ref = ref_of(shift_id)
    closed = await sq.close_open(
        session, kind=DUTY_SHIFT, refs=[ref], state="done", by=actor.person_id, now=now
    )
    iq.add_audit(
        session,
        at=now,
        actor_id=actor.person_id,
        channel=channel,
        action="shift.confirmed",
        subject=actor.name,
        detail={"shift": shift_id, "unit": shift.unit_id, "role": shift.role},
    )
    if closed:
        await digests.refresh(session, kind=DUTY_SHIFT, ref=ref, now=now, defaults=defaults)
    return Outcome(Status.CONFIRMED, "shifts.confirmed", {"time": hhmm(now, zone)})
