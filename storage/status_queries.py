"""Read-only queries behind /status beyond the day's rounds: open reports counted by kind and state, the
rectifications past their deadline, and the reminder cards still waiting on someone, for a leader's units.

One statement each, whatever the number of units (the scope is a few dozen units at most)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Obligation, Report


async def report_counts(
    session: AsyncSession, *, unit_ids: Sequence[str], states: Sequence[str]
) -> list[tuple[str, str, int]]:
    """(kind, state, count) of the reports of these units in these states."""
    if not unit_ids or not states:
        return []
    query = (
        select(Report.kind, Report.state, func.count())
        .where(col(Report.unit_id).in_(list(unit_ids)), col(Report.state).in_(list(states)))
        .group_by(col(Report.kind), col(Report.state))
    )
    return [(kind, state, int(n)) for kind, state, n in (await session.exec(query)).all()]


async def assigned_due_before(
    session: AsyncSession, *, unit_ids: Sequence[str], state: str, before: date
) -> list[Report]:
    """Reports of these units in `state` whose deadline day is before `before` (the caller decides, per
    unit's time zone, which of them are overdue), earliest deadline first."""
    if not unit_ids:
        return []
    query = (
        select(Report)
        .where(
            col(Report.unit_id).in_(list(unit_ids)),
            col(Report.state) == state,
            col(Report.deadline).is_not(None),
            col(Report.deadline) < before,
        )
        .order_by(col(Report.deadline), col(Report.id))
    )
    return list((await session.exec(query)).all())


async def duties_of_open_refs(
    session: AsyncSession, *, kind: str, unit_ids: Sequence[str], limit: int
) -> list[Obligation]:
    """Every obligation of `kind` in these units whose reference still has an open one there (a card
    occurrence someone has not acknowledged): the latest `limit` references, by their earliest due time."""
    if not unit_ids:
        return []
    in_units = col(Obligation.unit_id).in_(list(unit_ids))
    refs_query = (
        select(Obligation.ref, func.min(Obligation.due_at))
        .where(col(Obligation.kind) == kind, in_units, col(Obligation.state) == "open")
        .group_by(col(Obligation.ref))
        .order_by(func.min(Obligation.due_at).desc())
        .limit(limit)
    )
    refs = [ref for ref, _ in (await session.exec(refs_query)).all()]
    if not refs:
        return []
    query = (
        select(Obligation)
        .where(col(Obligation.kind) == kind, in_units, col(Obligation.ref).in_(refs))
        .order_by(col(Obligation.due_at), col(Obligation.id))
    )
    return list((await session.exec(query)).all())
