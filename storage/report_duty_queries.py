"""Queries of the obligations a report opens and closes (kinds accident_ack, accident_report, rectification)
and of the report's 已上报 mark. Every change is one statement: an insert that ignores a duplicate
(kind, ref, subject), or an UPDATE whose WHERE is the state it expects (compare-and-set)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_ignoring_conflicts
from storage.models import Location, Obligation, Report

UNIQUE = ["kind", "ref", "subject_id"]


async def add_obligation(
    session: AsyncSession,
    *,
    kind: str,
    ref: str,
    subject_id: int,
    unit_id: str,
    due_at: datetime,
    next_step_at: datetime | None,
    now: datetime,
) -> bool:
    """Open an obligation unless (kind, ref, subject) exists already; True when this call inserted it."""
    statement = insert_ignoring_conflicts(session, Obligation, UNIQUE).values(
        kind=kind,
        ref=ref,
        subject_id=subject_id,
        unit_id=unit_id,
        due_at=due_at,
        state="open",
        level=-1,
        next_step_at=next_step_at,
        created_at=now,
    )
    result = await session.exec(statement)
    return bool(result.rowcount)


async def of_ref(session: AsyncSession, *, kinds: Sequence[str], ref: str) -> list[Obligation]:
    """The obligations of these kinds about one reference, read fresh (ordered by id)."""
    query = (
        select(Obligation)
        .where(col(Obligation.kind).in_(list(kinds)), Obligation.ref == ref)
        .order_by(col(Obligation.id))
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(query)).all())


async def close_open(
    session: AsyncSession,
    *,
    kinds: Sequence[str],
    ref: str,
    state: str,
    by: int | None,
    now: datetime,
    note: str | None = None,
    keep_subject: int | None = None,
) -> int:
    """Close every open obligation of these kinds about `ref` (but the one of `keep_subject`), in one
    statement; returns how many this call closed."""
    query = update(Obligation).where(
        col(Obligation.kind).in_(list(kinds)), col(Obligation.ref) == ref, col(Obligation.state) == "open"
    )
    if keep_subject is not None:
        query = query.where(col(Obligation.subject_id) != keep_subject)
    result = await session.exec(
        query.values(
            state=state, closed_by=by, closed_at=now, next_step_at=None, note=note
        ).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


async def restart(
    session: AsyncSession,
    *,
    kind: str,
    ref: str,
    subject_id: int,
    due_at: datetime,
    next_step_at: datetime | None,
) -> bool:
    """Open the obligation again from its first step (a new deadline, or sent back): state open, level
    reset, closers cleared. One statement; True when the row exists."""
    result = await session.exec(
        update(Obligation)
        .where(
            col(Obligation.kind) == kind,
            col(Obligation.ref) == ref,
            col(Obligation.subject_id) == subject_id,
        )
        .values(
            state="open",
            level=-1,
            due_at=due_at,
            next_step_at=next_step_at,
            closed_by=None,
            closed_at=None,
            note=None,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


async def mark_authority_reported(session: AsyncSession, *, report_id: int, by: int, now: datetime) -> bool:
    """已上报: recorded once, by the first presser (the row changes only while no one is recorded). The
    report's version stays: the rectification's buttons (which carry it) are not made stale by this."""
    result = await session.exec(
        update(Report)
        .where(col(Report.id) == report_id, col(Report.authority_reported_by).is_(None))
        .values(authority_reported_by=by, authority_reported_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


async def reports_by_ids(session: AsyncSession, *, ids: Sequence[int]) -> list[Report]:
    if not ids:
        return []
    query = select(Report).where(col(Report.id).in_(list(ids))).execution_options(populate_existing=True)
    return list((await session.exec(query)).all())


async def location_names(session: AsyncSession, *, ids: Sequence[str]) -> dict[str, str]:
    if not ids:
        return {}
    query = select(Location).where(col(Location.id).in_(sorted(set(ids))))
    return {loc.id: loc.name for loc in (await session.exec(query)).all()}


async def fresh_report(session: AsyncSession, *, report_id: int) -> Report | None:
    query = select(Report).where(col(Report.id) == report_id).execution_options(populate_existing=True)
    return (await session.exec(query)).first()
