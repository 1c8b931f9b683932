"""Queries of inspections: checklists, the locations an inspector may pick, inspections and their results,
and the obligations of required inspections."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import col, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_many
from storage.models import Checklist, Inspection, InspectionResult, Location, Obligation


async def all_checklists(session: AsyncSession) -> list[Checklist]:
    return list((await session.exec(select(Checklist).order_by(col(Checklist.id)))).all())


async def active_checklists(session: AsyncSession) -> list[Checklist]:
    query = select(Checklist).where(col(Checklist.active).is_(True)).order_by(col(Checklist.id))
    return list((await session.exec(query)).all())


async def get_checklist(session: AsyncSession, *, checklist_id: str) -> Checklist | None:
    return await session.get(Checklist, checklist_id)


async def active_locations(session: AsyncSession, *, unit_ids: Iterable[str]) -> list[Location]:
    """The active locations of these units, by unit and name."""
    wanted = sorted(set(unit_ids))
    if not wanted:
        return []
    query = (
        select(Location)
        .where(col(Location.active).is_(True), col(Location.unit_id).in_(wanted))
        .order_by(col(Location.unit_id), col(Location.name), col(Location.id))
    )
    return list((await session.exec(query)).all())


async def get_location(session: AsyncSession, *, location_id: str) -> Location | None:
    return await session.get(Location, location_id)


async def add_inspection(
    session: AsyncSession, *, inspection: Inspection, results: Sequence[InspectionResult]
) -> Inspection:
    """The inspection and its results (the results' inspection_id is set here)."""
    session.add(inspection)
    await session.flush()
    assert inspection.id is not None
    for result in results:
        result.inspection_id = inspection.id
        session.add(result)
    await session.flush()
    return inspection


async def finished_in_units(
    session: AsyncSession, *, unit_ids: Iterable[str], start: datetime, end: datetime
) -> int:
    """How many inspections finished at these units in [start, end)."""
    wanted = sorted(set(unit_ids))
    if not wanted:
        return 0
    query = (
        select(func.count())
        .select_from(Inspection)
        .where(
            col(Inspection.unit_id).in_(wanted),
            col(Inspection.finished_at) >= start,
            col(Inspection.finished_at) < end,
        )
    )
    return int((await session.exec(query)).one())


async def counts_in_units(
    session: AsyncSession, *, unit_ids: Iterable[str], start: datetime, end: datetime
) -> tuple[int, int]:
    """(inspections, 隐患 items found by them) finished at these units in [start, end)."""
    wanted = sorted(set(unit_ids))
    if not wanted:
        return 0, 0
    found = await finished_in_units(session, unit_ids=wanted, start=start, end=end)
    query = (
        select(func.count())
        .select_from(InspectionResult)
        .join(Inspection, col(Inspection.id) == col(InspectionResult.inspection_id))
        .where(
            col(Inspection.unit_id).in_(wanted),
            col(Inspection.finished_at) >= start,
            col(Inspection.finished_at) < end,
            col(InspectionResult.result) == "hazard",
        )
    )
    return found, int((await session.exec(query)).one())


async def results_of(session: AsyncSession, *, inspection_id: int) -> list[InspectionResult]:
    query = (
        select(InspectionResult)
        .where(col(InspectionResult.inspection_id) == inspection_id)
        .order_by(col(InspectionResult.position))
    )
    return list((await session.exec(query)).all())


async def inspections_by(session: AsyncSession, *, inspector_id: int) -> list[Inspection]:
    query = (
        select(Inspection).where(col(Inspection.inspector_id) == inspector_id).order_by(col(Inspection.id))
    )
    return list((await session.exec(query)).all())


# --- obligations of required inspections ------------------------------------------------------------------


async def refs_present(session: AsyncSession, *, kind: str, refs: Iterable[str]) -> set[str]:
    """Which of these references have obligations already."""
    wanted = sorted(set(refs))
    if not wanted:
        return set()
    query = select(Obligation.ref).where(col(Obligation.kind) == kind, col(Obligation.ref).in_(wanted))
    return set((await session.exec(query)).all())


async def insert_obligations(session: AsyncSession, *, rows: Sequence[dict[str, Any]]) -> int:
    """Insert obligations, skipping those that exist (kind, ref, subject): idempotent with several
    processes. Returns how many were inserted."""
    ids = await insert_many(session, Obligation, rows, conflict=["kind", "ref", "subject_id"], returning="id")
    return len(ids)


async def close_open(
    session: AsyncSession, *, kind: str, ref: str, by: int, now: datetime, state: str = "done"
) -> int:
    """Close every open obligation of a reference in one statement; returns how many closed."""
    result = await session.exec(
        update(Obligation)
        .where(col(Obligation.kind) == kind, col(Obligation.ref) == ref, col(Obligation.state) == "open")
        .values(state=state, closed_by=by, closed_at=now, next_step_at=None)
    )
    return int(result.rowcount or 0)
