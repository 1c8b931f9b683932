"""Queries of the escalation tick and of round pictures: plain rows, never ORM objects.

One tick can move 10,000 obligations; building ORM objects for them cost more than the database did, so
these queries return named tuples, and on PostgreSQL send id lists as one array parameter instead of one
bind parameter per id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Integer, any_, bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import col, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import is_postgresql
from storage.models import Obligation, Person

SQLITE_CHUNK = 1000  # ids per IN list on SQLite (older builds allow 999 variables per statement)


class DueObligation(NamedTuple):
    """The columns the escalation tick needs of one due obligation."""

    id: int
    kind: str
    ref: str
    subject_id: int
    unit_id: str
    due_at: datetime
    level: int


class DutyRow(NamedTuple):
    """One obligation as digests and reminders show it, with its subject's name and language."""

    id: int
    ref: str
    subject_id: int
    unit_id: str
    due_at: datetime
    level: int
    state: str
    closed_by: int | None
    closed_at: datetime | None
    name: str
    language: str | None


class PersonName(NamedTuple):
    id: int
    name: str
    language: str | None


async def due_obligations(session: AsyncSession, *, now: datetime, limit: int) -> list[DueObligation]:
    """Open obligations whose next step time has come (index ix_obligations_due_steps)."""
    query: Any = (  # seven plain columns: beyond sqlmodel's typed select overloads
        sa_select(
            col(Obligation.id),
            col(Obligation.kind),
            col(Obligation.ref),
            col(Obligation.subject_id),
            col(Obligation.unit_id),
            col(Obligation.due_at),
            col(Obligation.level),
        )
        .where(col(Obligation.state) == "open", col(Obligation.next_step_at) <= now)
        .order_by(col(Obligation.next_step_at), col(Obligation.id))
        .limit(limit)
    )
    return [DueObligation._make(row) for row in (await session.exec(query)).all()]


async def set_steps(
    session: AsyncSession, *, ids: Sequence[int], level: int, next_step_at: datetime | None
) -> None:
    """Move these obligations to a level and their next step time (one statement on PostgreSQL)."""
    if is_postgresql(session):
        chunks: Iterable[Sequence[int]] = [ids]
        match: Any = col(Obligation.id) == any_(bindparam("ids", type_=ARRAY(Integer)))
    else:
        chunks = (ids[start : start + SQLITE_CHUNK] for start in range(0, len(ids), SQLITE_CHUNK))
        match = col(Obligation.id).in_(bindparam("ids", expanding=True))
    statement = (
        update(Obligation)
        .where(match)
        .values(level=level, next_step_at=next_step_at)
        .execution_options(synchronize_session=False)  # the tick holds no ORM obligations to keep in step
    )
    for chunk in chunks:
        if chunk:
            await session.exec(statement, params={"ids": list(chunk)})


async def duties_of_refs(session: AsyncSession, *, kind: str, refs: Sequence[str]) -> list[DutyRow]:
    """The obligations of these references with their subjects' names, ordered by id."""
    if not refs:
        return []
    query: Any = (
        sa_select(
            col(Obligation.id),
            col(Obligation.ref),
            col(Obligation.subject_id),
            col(Obligation.unit_id),
            col(Obligation.due_at),
            col(Obligation.level),
            col(Obligation.state),
            col(Obligation.closed_by),
            col(Obligation.closed_at),
            col(Person.name),
            col(Person.language),
        )
        .join(Person, col(Person.id) == col(Obligation.subject_id))
        .where(col(Obligation.kind) == kind, col(Obligation.ref).in_(list(refs)))
        .order_by(col(Obligation.id))
    )
    return [DutyRow._make(row) for row in (await session.exec(query)).all()]


async def names_of(session: AsyncSession, *, ids: Iterable[int]) -> list[PersonName]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    query: Any = sa_select(col(Person.id), col(Person.name), col(Person.language)).where(
        col(Person.id).in_(wanted)
    )
    return [PersonName._make(row) for row in (await session.exec(query)).all()]
