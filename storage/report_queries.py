"""Queries of reports: day counters for numbers, the report rows, photos and events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import is_postgresql
from storage.models import Report, ReportCounter, ReportEvent, ReportPhoto


async def take_number(session: AsyncSession, *, prefix: str, day: date) -> int:
    """The next number of (prefix, day), in one atomic upsert: concurrent callers get distinct numbers."""
    insert = pg_insert if is_postgresql(session) else sqlite_insert
    table: Any = getattr(ReportCounter, "__table__")  # noqa: B009 - SQLModel declares it only at runtime
    statement = (
        insert(ReportCounter)
        .values(prefix=prefix, day=day, last=1)
        .on_conflict_do_update(index_elements=["prefix", "day"], set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )
    result = await session.exec(statement)
    return int(result.scalar_one())


async def by_number(session: AsyncSession, number: str) -> Report | None:
    return (await session.exec(select(Report).where(Report.number == number.strip().upper()))).first()


async def photos_of(session: AsyncSession, *, report_id: int, stage: str | None = None) -> list[ReportPhoto]:
    query = select(ReportPhoto).where(ReportPhoto.report_id == report_id)
    if stage is not None:
        query = query.where(ReportPhoto.stage == stage)
    return list((await session.exec(query.order_by(col(ReportPhoto.id)))).all())


async def events_of(session: AsyncSession, *, report_id: int) -> list[ReportEvent]:
    query = select(ReportEvent).where(ReportEvent.report_id == report_id)
    return list((await session.exec(query.order_by(col(ReportEvent.at), col(ReportEvent.id)))).all())


async def transition(
    session: AsyncSession, *, report_id: int, version: int, states: Sequence[str], values: dict[str, Any]
) -> bool:
    """Compare-and-set: change the report only while it is at `version` and in one of `states`; the
    version moves on. False: someone changed it first (the caller changes nothing else)."""
    result = await session.exec(
        update(Report)
        .where(
            col(Report.id) == report_id, col(Report.version) == version, col(Report.state).in_(list(states))
        )
        .values(**values, version=version + 1)
    )
    return bool(result.rowcount)
