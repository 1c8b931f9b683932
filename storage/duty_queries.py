"""Queries for rounds, check-ins, leave, obligations and chat states."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ChatIdentity, CheckIn, Leave, Obligation, Person, RoleAssignment, Round


async def round_by_unit_day(session: AsyncSession, *, unit_id: str, day: date) -> Round | None:
    result = await session.exec(select(Round).where(Round.unit_id == unit_id, Round.day == day))
    return result.first()


async def existing_round_keys(session: AsyncSession, *, days: Sequence[date]) -> set[tuple[str, date]]:
    result = await session.exec(select(Round).where(col(Round.day).in_(list(days))))
    return {(r.unit_id, r.day) for r in result.all()}


async def insert_round(session: AsyncSession, *, round_: Round) -> Round | None:
    """Insert in a savepoint; None when another process created the same (unit, day) first."""
    try:
        async with session.begin_nested():
            session.add(round_)
            await session.flush()
    except IntegrityError:
        return None
    return round_


async def expected_members(session: AsyncSession, *, unit_id: str) -> list[Person]:
    """Active people of the unit who hold the staff role there and have bound a chat account (any channel)."""
    result = await session.exec(
        select(Person)
        .join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
        .join(ChatIdentity, col(ChatIdentity.person_id) == col(Person.id))
        .where(
            Person.unit_id == unit_id,
            col(Person.active).is_(True),
            RoleAssignment.role == "staff",
            RoleAssignment.unit_id == unit_id,
        )
        .order_by(col(Person.employee_no))
    )
    return list(result.unique())


async def people_on_leave(session: AsyncSession, *, person_ids: Sequence[int], day: date) -> dict[int, Leave]:
    if not person_ids:
        return {}
    result = await session.exec(
        select(Leave).where(
            col(Leave.person_id).in_(list(person_ids)),
            Leave.status == "approved",
            col(Leave.first_day) <= day,
            col(Leave.last_day) >= day,
        )
    )
    return {leave.person_id: leave for leave in result}


async def checkins_of_rounds(session: AsyncSession, *, round_ids: Sequence[int]) -> list[CheckIn]:
    if not round_ids:
        return []
    result = await session.exec(
        select(CheckIn)
        .where(col(CheckIn.round_id).in_(list(round_ids)))
        .execution_options(populate_existing=True)
    )
    return list(result)


async def obligation_of(session: AsyncSession, *, kind: str, ref: str, subject_id: int) -> Obligation | None:
    result = await session.exec(
        select(Obligation).where(
            Obligation.kind == kind, Obligation.ref == ref, Obligation.subject_id == subject_id
        )
    )
    return result.first()


async def open_obligations_of_subject(
    session: AsyncSession, *, kind: str, subject_id: int, refs: Iterable[str]
) -> list[Obligation]:
    refs = list(refs)
    if not refs:
        return []
    result = await session.exec(
        select(Obligation).where(
            Obligation.kind == kind,
            Obligation.subject_id == subject_id,
            Obligation.state == "open",
            col(Obligation.ref).in_(refs),
        )
    )
    return list(result)


async def close_obligation(
    session: AsyncSession,
    *,
    obligation_id: int,
    state: str,
    by: int | None,
    now: datetime,
    note: str | None = None,
) -> bool:
    """Compare-and-set: only an open obligation closes; True for the one caller that closed it."""
    result = await session.exec(
        update(Obligation)
        .where(col(Obligation.id) == obligation_id, col(Obligation.state) == "open")
        .values(state=state, closed_by=by, closed_at=now, next_step_at=None, note=note)
    )
    return result.rowcount == 1


async def decide_leave(session: AsyncSession, *, leave_id: int, status: str, by: int, now: datetime) -> bool:
    """Compare-and-set: only a pending request is decided; True for the one caller that decided it."""
    result = await session.exec(
        update(Leave)
        .where(col(Leave.id) == leave_id, col(Leave.status) == "pending")
        .values(status=status, decided_by=by, decided_at=now)
    )
    return result.rowcount == 1


async def checkin_of(session: AsyncSession, *, round_id: int, person_id: int) -> CheckIn | None:
    result = await session.exec(
        select(CheckIn).where(CheckIn.round_id == round_id, CheckIn.person_id == person_id)
    )
    return result.first()
