"""Read-only queries of reports for the people who read them: lists by scope, kind and state, a person's
rectification tasks, what waits for an officer, open obligations of a person, and the per-unit counts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, or_
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Location, Obligation, Person, Report, Unit

CHUNK = 500  # ids per IN (…): well under every backend's parameter limit


def _chunks(items: Sequence[object], size: int = CHUNK) -> Iterable[list[object]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


@dataclass(frozen=True)
class Page:
    reports: list[Report]
    total: int


async def reports_in_units(
    session: AsyncSession,
    *,
    unit_ids: Sequence[str],
    states: Sequence[str],
    kind: str | None = None,
    offset: int = 0,
    limit: int = 8,
) -> Page:
    """Reports of the units in one of `states` (of `kind` when given), oldest first, one page of them."""
    if not unit_ids or not states:
        return Page([], 0)
    where: list[Any] = [col(Report.unit_id).in_(list(unit_ids)), col(Report.state).in_(list(states))]
    if kind is not None:
        where.append(col(Report.kind) == kind)
    total = (await session.exec(select(func.count()).select_from(Report).where(*where))).one()
    query = select(Report).where(*where).order_by(col(Report.created_at), col(Report.id))
    rows = (await session.exec(query.offset(max(offset, 0)).limit(limit))).all()
    return Page(list(rows), int(total))


async def tasks_of(session: AsyncSession, *, person_id: int, states: Sequence[str]) -> list[Report]:
    """The rectification tasks a person is responsible for, nearest deadline first (none: last)."""
    no_deadline = case((col(Report.deadline).is_(None), 1), else_=0)
    query = (
        select(Report)
        .where(col(Report.responsible_id) == person_id, col(Report.state).in_(list(states)))
        .order_by(no_deadline, col(Report.deadline), col(Report.created_at), col(Report.id))
    )
    return list((await session.exec(query)).all())


async def waiting_for_officer(
    session: AsyncSession,
    *,
    person_id: int,
    officer_units: Sequence[str],
    assign_state: str,
    verify_state: str,
) -> list[Report]:
    """Reports an officer is to act on: to assign (`assign_state`, in the officer's units) or to verify
    (`verify_state`, in the officer's units or assigned by this person), oldest first."""
    clauses = [(col(Report.state) == verify_state) & (col(Report.assigned_by) == person_id)]
    if officer_units:
        in_scope = col(Report.unit_id).in_(list(officer_units))
        clauses.append(in_scope & col(Report.state).in_([assign_state, verify_state]))
    query = select(Report).where(or_(*clauses)).order_by(col(Report.created_at), col(Report.id))
    return list((await session.exec(query)).all())


async def open_obligations_of(session: AsyncSession, *, person_id: int) -> list[Obligation]:
    """A person's open obligations as their subject (any kind), earliest due first."""
    query = (
        select(Obligation)
        .where(col(Obligation.subject_id) == person_id, col(Obligation.state) == "open")
        .order_by(col(Obligation.due_at), col(Obligation.id))
    )
    return list((await session.exec(query)).all())


async def reports_by_ids(session: AsyncSession, *, report_ids: Iterable[int]) -> dict[int, Report]:
    ids = sorted(set(report_ids))
    found: dict[int, Report] = {}
    for chunk in _chunks(ids):
        for report in (await session.exec(select(Report).where(col(Report.id).in_(chunk)))).all():
            assert report.id is not None
            found[report.id] = report
    return found


async def names_of(session: AsyncSession, *, person_ids: Iterable[int | None]) -> dict[int, str]:
    ids = sorted({i for i in person_ids if i is not None})
    names: dict[int, str] = {}
    for chunk in _chunks(ids):
        rows = (await session.exec(select(Person.id, Person.name).where(col(Person.id).in_(chunk)))).all()
        names.update({int(pid): name for pid, name in rows if pid is not None})
    return names


async def location_names(session: AsyncSession, *, location_ids: Iterable[str | None]) -> dict[str, str]:
    ids = sorted({i for i in location_ids if i is not None})
    names: dict[str, str] = {}
    for chunk in _chunks(ids):
        rows = (
            await session.exec(select(Location.id, Location.name).where(col(Location.id).in_(chunk)))
        ).all()
        names.update(dict(rows))
    return names


async def all_units(session: AsyncSession) -> list[Unit]:
    return list((await session.exec(select(Unit).order_by(col(Unit.sort_order), col(Unit.id)))).all())


@dataclass(frozen=True)
class HazardCounts:
    found: int
    fixed: int
    rechecked: int


async def hazard_counts(
    session: AsyncSession, *, unit_ids: Sequence[str], kind: str, closed_state: str
) -> dict[str, HazardCounts]:
    """Per unit: reports of `kind` found, closed (fixed) and re-checked (回头看 done), in one query."""
    if not unit_ids:
        return {}
    fixed = func.sum(case((col(Report.state) == closed_state, 1), else_=0))
    rechecked = func.sum(case((col(Report.rechecked_at).is_not(None), 1), else_=0))
    query = (
        select(Report.unit_id, func.count(), fixed, rechecked)
        .where(col(Report.unit_id).in_(list(unit_ids)), col(Report.kind) == kind)
        .group_by(col(Report.unit_id))
    )
    rows = (await session.exec(query)).all()
    return {
        unit_id: HazardCounts(int(found), int(fixed_n or 0), int(rechecked_n or 0))
        for unit_id, found, fixed_n, rechecked_n in rows
    }
