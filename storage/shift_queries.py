"""Queries of the holiday duty roster (值班表, `DutyShift`) and of its `duty_shift` obligations.

Keyword-only, the session passed explicitly. Every change that two processes (or two taps) could race on
is one statement on the state it expects: a reminder or an opening is marked once (`... IS NULL`), a
confirmation is recorded once, an obligation is inserted ignoring an existing (kind, ref, subject).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import NamedTuple

from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_ignoring_conflicts
from storage.models import DutyShift, Obligation, Person, Unit

CHUNK = 1000


class ShiftRow(NamedTuple):
    """A shift with what the roster shows of its person and unit."""

    shift: DutyShift
    name: str
    phone: str | None
    unit: Unit


async def shifts_of_days(
    session: AsyncSession, *, unit_ids: Iterable[str], days: Iterable[date]
) -> list[DutyShift]:
    """The stored shifts of these units on these roster dates (read fresh)."""
    units, wanted = sorted(set(unit_ids)), sorted(set(days))
    if not units or not wanted:
        return []
    query = (
        select(DutyShift)
        .where(col(DutyShift.unit_id).in_(units), col(DutyShift.day).in_(wanted))
        .order_by(col(DutyShift.id))
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(query)).all())


async def insert_shifts(session: AsyncSession, *, shifts: Sequence[DutyShift]) -> None:
    session.add_all(list(shifts))
    await session.flush()


async def update_shift(
    session: AsyncSession, *, shift_id: int, day: date, ends_at: datetime, role: str
) -> None:
    await session.exec(
        update(DutyShift)
        .where(col(DutyShift.id) == shift_id)
        .values(day=day, ends_at=ends_at, role=role)
        .execution_options(synchronize_session=False)
    )


async def delete_shifts(session: AsyncSession, *, shift_ids: Sequence[int]) -> None:
    """Remove unconfirmed shifts (a confirmed one is the record of who was on duty: never deleted)."""
    for start in range(0, len(shift_ids), CHUNK):
        await session.exec(
            delete(DutyShift).where(
                col(DutyShift.id).in_(list(shift_ids[start : start + CHUNK])),
                col(DutyShift.confirmed_at).is_(None),
            )
        )


async def to_remind(session: AsyncSession, *, now: datetime, until: datetime) -> list[DutyShift]:
    """Shifts not reminded yet that start after `now` but no later than `until`."""
    query = (
        select(DutyShift)
        .where(
            col(DutyShift.reminded_at).is_(None),
            col(DutyShift.starts_at) > now,
            col(DutyShift.starts_at) <= until,
        )
        .order_by(col(DutyShift.starts_at), col(DutyShift.id))
    )
    return list((await session.exec(query)).all())


async def to_open(session: AsyncSession, *, now: datetime) -> list[DutyShift]:
    """Shifts that have started, are not over and whose obligation is not opened yet."""
    query = (
        select(DutyShift)
        .where(
            col(DutyShift.opened_at).is_(None),
            col(DutyShift.starts_at) <= now,
            col(DutyShift.ends_at) > now,
        )
        .order_by(col(DutyShift.starts_at), col(DutyShift.id))
    )
    return list((await session.exec(query)).all())


async def ended_unconfirmed(session: AsyncSession, *, now: datetime, since: datetime) -> list[int]:
    """Ids of shifts opened, never confirmed, that ended between `since` and `now`."""
    query = select(DutyShift.id).where(
        col(DutyShift.opened_at).is_not(None),
        col(DutyShift.confirmed_at).is_(None),
        col(DutyShift.ends_at) <= now,
        col(DutyShift.ends_at) > since,
    )
    return [i for i in (await session.exec(query)).all() if i is not None]


async def mark_reminded(session: AsyncSession, *, shift_id: int, now: datetime) -> bool:
    """Compare-and-set: True for the one caller that marks the day-before reminder."""
    result = await session.exec(
        update(DutyShift)
        .where(col(DutyShift.id) == shift_id, col(DutyShift.reminded_at).is_(None))
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


async def mark_opened(session: AsyncSession, *, shift_id: int, now: datetime) -> bool:
    """Compare-and-set: True for the one caller that opens the shift's obligation."""
    result = await session.exec(
        update(DutyShift)
        .where(col(DutyShift.id) == shift_id, col(DutyShift.opened_at).is_(None))
        .values(opened_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


async def confirm(session: AsyncSession, *, shift_id: int, person_id: int, now: datetime) -> bool:
    """到岗: recorded once, by the person on duty only; True for the press that recorded it."""
    result = await session.exec(
        update(DutyShift)
        .where(
            col(DutyShift.id) == shift_id,
            col(DutyShift.person_id) == person_id,
            col(DutyShift.confirmed_at).is_(None),
        )
        .values(confirmed_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


async def fresh_shift(session: AsyncSession, *, shift_id: int) -> DutyShift | None:
    query = select(DutyShift).where(col(DutyShift.id) == shift_id).execution_options(populate_existing=True)
    return (await session.exec(query)).first()


async def shifts_by_ids(session: AsyncSession, *, ids: Sequence[int]) -> list[DutyShift]:
    if not ids:
        return []
    query = select(DutyShift).where(col(DutyShift.id).in_(list(ids)))
    return list((await session.exec(query.execution_options(populate_existing=True))).all())


async def covering(session: AsyncSession, *, unit_ids: Iterable[str], now: datetime) -> list[ShiftRow]:
    """The shifts of these units that cover `now`, with their people and units (by start, role, id)."""
    units = sorted(set(unit_ids))
    if not units:
        return []
    query = (
        select(DutyShift, Person, Unit)
        .join(Person, col(Person.id) == col(DutyShift.person_id))
        .join(Unit, col(Unit.id) == col(DutyShift.unit_id))
        .where(
            col(DutyShift.unit_id).in_(units),
            col(DutyShift.starts_at) <= now,
            col(DutyShift.ends_at) > now,
        )
        .order_by(col(DutyShift.starts_at), col(DutyShift.role), col(DutyShift.id))
    )
    return [
        ShiftRow(shift, person.name, person.phone, unit)
        for shift, person, unit in (await session.exec(query)).all()
    ]


async def open_obligation(
    session: AsyncSession,
    *,
    kind: str,
    ref: str,
    subject_id: int,
    unit_id: str,
    due_at: datetime,
    level: int,
    next_step_at: datetime | None,
    now: datetime,
) -> bool:
    """Insert the shift's obligation at `level` (0: its first `self` step is the shift message itself)
    unless it exists; True when this call inserted it."""
    statement = insert_ignoring_conflicts(session, Obligation, ["kind", "ref", "subject_id"]).values(
        kind=kind,
        ref=ref,
        subject_id=subject_id,
        unit_id=unit_id,
        due_at=due_at,
        state="open",
        level=level,
        next_step_at=next_step_at,
        created_at=now,
    )
    return bool((await session.exec(statement)).rowcount)


async def close_open(
    session: AsyncSession,
    *,
    kind: str,
    refs: Sequence[str],
    state: str,
    by: int | None,
    now: datetime,
    note: str | None = None,
) -> list[str]:
    """Close the open obligations of these references in one statement; returns the references closed."""
    if not refs:
        return []
    where = (
        col(Obligation.kind) == kind,
        col(Obligation.ref).in_(list(refs)),
        col(Obligation.state) == "open",
    )
    found = list((await session.exec(select(Obligation.ref).where(*where))).all())
    if found:
        await session.exec(
            update(Obligation)
            .where(*where)
            .values(state=state, closed_by=by, closed_at=now, next_step_at=None, note=note)
            .execution_options(synchronize_session=False)
        )
    return sorted(set(found))
