"""Applying a validated duty roster: the file replaces the roster of each unit on each date it names.

A shift is keyed by (person, unit, start), the table's unique key: a row already stored is unchanged (or
takes the file's end and role), a new one is added. Stored shifts of the same unit and date that the file
no longer lists are removed — unless confirmed (到岗 pressed: the record of who was on duty stays; the
done message says how many were kept). A removed shift whose obligation was open ends it (`expired`,
"removed") and its digests are edited. Units and dates the file does not name are left alone, so each
project can send its own 值班表. Importing the same file again changes nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import digests
from safety.config import Defaults
from safety.kinds import DUTY_SHIFT
from safety.shifts.rules import as_utc, ref_of
from storage import shift_queries as sq
from storage.models import DutyShift

REMOVED = "removed"


@dataclass(frozen=True)
class ShiftSpec:
    line: int
    day: date
    person_id: int
    unit_id: str
    role: str
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC


@dataclass
class ShiftsReport:
    """What the import changed; `kept`: confirmed shifts the file no longer lists, kept as the record."""

    created: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    kept: int = 0

    def as_detail(self) -> dict[str, int]:
        return asdict(self)


async def apply(
    session: AsyncSession, specs: list[ShiftSpec], *, now: datetime, defaults: Defaults
) -> ShiftsReport:
    pairs = {(s.unit_id, s.day) for s in specs}
    stored = [
        shift
        for shift in await sq.shifts_of_days(
            session, unit_ids={u for u, _ in pairs}, days={d for _, d in pairs}
        )
        if (shift.unit_id, shift.day) in pairs
    ]
    by_key = {(s.person_id, s.unit_id, as_utc(s.starts_at)): s for s in stored}
    report = ShiftsReport()
    new: list[DutyShift] = []
    listed: set[int] = set()
    for spec in specs:
        before = by_key.get((spec.person_id, spec.unit_id, spec.starts_at))
        if before is None:
            new.append(
                DutyShift(
                    day=spec.day,
                    starts_at=spec.starts_at,
                    ends_at=spec.ends_at,
                    person_id=spec.person_id,
                    unit_id=spec.unit_id,
                    role=spec.role,
                    created_at=now,
                )
            )
            report.created += 1
            continue
        assert before.id is not None
        listed.add(before.id)
        if (before.day, as_utc(before.ends_at), before.role) == (spec.day, spec.ends_at, spec.role):
            report.unchanged += 1
            continue
        await sq.update_shift(session, shift_id=before.id, day=spec.day, ends_at=spec.ends_at, role=spec.role)
        report.updated += 1
    absent = [s for s in stored if s.id not in listed]
    report.kept = sum(1 for s in absent if s.confirmed_at is not None)
    removed = [s.id for s in absent if s.confirmed_at is None and s.id is not None]
    report.removed = len(removed)
    if removed:
        refs = [ref_of(i) for i in removed]
        closed = await sq.close_open(
            session, kind=DUTY_SHIFT, refs=refs, state="expired", by=None, now=now, note=REMOVED
        )
        await sq.delete_shifts(session, shift_ids=removed)
        for ref in closed:
            await digests.refresh(session, kind=DUTY_SHIFT, ref=ref, now=now, defaults=defaults)
    await sq.insert_shifts(session, shifts=new)
    return report
