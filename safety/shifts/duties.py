"""The roster's duties over time, run by housekeeping (jobs/duty.py, every minute): `send_due`.

- The day before: 24 hours before a shift starts (REMIND_BEFORE; a shift imported later than that is
  reminded at once, if it has not started), its person gets a reminder — once: `reminded_at` is set by
  compare-and-set in the same transaction as the outbox row (key `shift:<id>:remind`).
- At the start: the `duty_shift` obligation opens (subject the person, ref `shift:<id>`, due at the start;
  `opened_at` set once) and the person gets the shift message with 到岗 (key `shift:<id>:start`). That
  message is the policy's first step when it is `self` at PT0M, so the obligation opens with that step
  fired and the escalation tick goes on from the next one; a shift whose start passed during downtime is
  opened then, and the tick sends the highest step now due.
- After the end: an obligation still open ends (`expired`, "ended") and its digests are edited; the shift
  stays unconfirmed on the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import digests, outbox
from safety.config import Defaults
from safety.escalation import UnitTree
from safety.kinds import DUTY_SHIFT
from safety.outbox import Envelope
from safety.shifts import views
from safety.shifts.rules import REMIND_BEFORE, as_utc, ref_of
from storage import shift_queries as sq
from storage.models import DutyShift

ENDED = "ended"
EXPIRE_LOOKBACK = timedelta(days=2)  # shifts that ended since then are looked at (after downtime too)


@dataclass(frozen=True)
class SendReport:
    reminded: int
    opened: int
    expired: int


async def send_due(session: AsyncSession, *, now: datetime, defaults: Defaults) -> SendReport:
    """Reminders, openings and expiries now due, in the caller's transaction (idempotent)."""
    tree: UnitTree | None = None
    envelopes: list[Envelope] = []
    reminded = opened = 0
    for shift in await sq.to_remind(session, now=now, until=now + REMIND_BEFORE):
        assert shift.id is not None
        if not await sq.mark_reminded(session, shift_id=shift.id, now=now):
            continue  # another process did
        tree = tree or await UnitTree.load(session)
        name, zone = _unit(tree, shift, defaults)
        envelopes.append(
            Envelope(
                key=f"shift:{shift.id}:remind",
                kind="reminder",
                view=views.reminder_view(shift, name, zone),
                person_id=shift.person_id,
            )
        )
        reminded += 1
    for shift in await sq.to_open(session, now=now):
        assert shift.id is not None
        if not await sq.mark_opened(session, shift_id=shift.id, now=now):
            continue
        tree = tree or await UnitTree.load(session)
        await _open(session, tree, shift, now)
        name, zone = _unit(tree, shift, defaults)
        envelopes.append(
            Envelope(
                key=f"shift:{shift.id}:start",
                kind="reminder",
                view=views.start_view(shift, name, zone),
                person_id=shift.person_id,
            )
        )
        opened += 1
    await outbox.enqueue(session, envelopes, now=now, default_channel=defaults.channel)
    expired = await _expire_ended(session, now=now, defaults=defaults)
    return SendReport(reminded=reminded, opened=opened, expired=expired)


async def _open(session: AsyncSession, tree: UnitTree, shift: DutyShift, now: datetime) -> None:
    """Open the shift's obligation. The shift message goes in any case; when the policy begins with a
    `self` step at PT0M, that message is the step, fired already (level 0)."""
    assert shift.id is not None
    due = as_utc(shift.starts_at)
    steps = tree.steps(shift.unit_id, DUTY_SHIFT)
    first_is_message = bool(steps) and steps[0].to == "self" and steps[0].after <= timedelta(0)
    level = 0 if first_is_message else -1
    following = level + 1
    next_at = due + steps[following].after if following < len(steps) else None
    await sq.open_obligation(
        session,
        kind=DUTY_SHIFT,
        ref=ref_of(shift.id),
        subject_id=shift.person_id,
        unit_id=shift.unit_id,
        due_at=due,
        level=level,
        next_step_at=next_at,
        now=now,
    )


async def _expire_ended(session: AsyncSession, *, now: datetime, defaults: Defaults) -> int:
    ids = await sq.ended_unconfirmed(session, now=now, since=now - EXPIRE_LOOKBACK)
    closed = await sq.close_open(
        session, kind=DUTY_SHIFT, refs=[ref_of(i) for i in ids], state="expired", by=None, now=now, note=ENDED
    )
    for ref in closed:
        await digests.refresh(session, kind=DUTY_SHIFT, ref=ref, now=now, defaults=defaults)
    return len(closed)


def _unit(tree: UnitTree, shift: DutyShift, defaults: Defaults) -> tuple[str, ZoneInfo]:
    unit = tree.units.get(shift.unit_id)
    return (unit.name if unit else shift.unit_id), defaults.zone(unit.timezone if unit else None)
