"""Reads for Monday's weekly summary (safety/daily_digest/weekly.py) over a set of units and a UTC window
[start, end): hazards found and closed, rectifications closed (with their deadlines), reports overdue now,
people and their clearance history, reminder cards sent and read. Check-ins per round come from
storage/daily_digest_queries.rounds_between. Plain rows and counts; the domain turns them into rates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import case
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import CardOccurrence, CardRecipient, Clearance, Person, Report


async def hazard_counts(
    session: AsyncSession, *, unit_ids: Iterable[str], start: datetime, end: datetime
) -> tuple[int, int, int]:
    """Hazards of these units: (reported in the window, closed 销号 in the window, not closed now)."""
    units = list(unit_ids)
    hazard = (Report.kind == "hazard", col(Report.unit_id).in_(units))
    found = select(func.count()).select_from(Report).where(*hazard, col(Report.created_at) >= start)
    found = found.where(col(Report.created_at) < end)
    closed = select(func.count()).select_from(Report).where(*hazard, col(Report.closed_at) >= start)
    closed = closed.where(col(Report.closed_at) < end)
    still_open = select(func.count()).select_from(Report).where(*hazard, Report.state != "closed")
    return (
        int((await session.exec(found)).one()),
        int((await session.exec(closed)).one()),
        int((await session.exec(still_open)).one()),
    )


async def rectifications_closed(
    session: AsyncSession, *, unit_ids: Iterable[str], start: datetime, end: datetime
) -> list[tuple[str, date, datetime]]:
    """Reports with a rectification deadline closed in the window: (unit, deadline, closed at)."""
    query = select(col(Report.unit_id), col(Report.deadline), col(Report.closed_at)).where(
        col(Report.unit_id).in_(list(unit_ids)),
        col(Report.deadline).is_not(None),
        col(Report.closed_at) >= start,
        col(Report.closed_at) < end,
    )
    return [(u, d, c) for u, d, c in (await session.exec(query)).all() if d is not None and c is not None]


async def overdue_now(session: AsyncSession, *, unit_ids: Iterable[str], before: date) -> int:
    """Reports not closed whose rectification deadline is before `before` (due at the end of its day)."""
    query = (
        select(func.count())
        .select_from(Report)
        .where(
            col(Report.unit_id).in_(list(unit_ids)),
            Report.state != "closed",
            col(Report.deadline) < before,
        )
    )
    return int((await session.exec(query)).one())


async def people_cleared(session: AsyncSession, *, unit_ids: Iterable[str]) -> dict[int, bool]:
    """The active people of these units: person id -> cleared by the quiz now."""
    query = select(col(Person.id), col(Person.cleared)).where(
        col(Person.unit_id).in_(list(unit_ids)), col(Person.active).is_(True)
    )
    return {int(p): bool(c) for p, c in (await session.exec(query)).all() if p is not None}


async def clearance_events(
    session: AsyncSession, *, person_ids: Iterable[int]
) -> list[tuple[int, str, datetime]]:
    """The clearance history of these people, oldest first: (person, granted | suspended | expired, at)."""
    wanted = list(person_ids)
    if not wanted:
        return []
    query = (
        select(col(Clearance.person_id), col(Clearance.event), col(Clearance.at))
        .where(col(Clearance.person_id).in_(wanted))
        .order_by(col(Clearance.at), col(Clearance.id))
    )
    return [(p, e, a) for p, e, a in (await session.exec(query)).all()]


async def cards_sent(
    session: AsyncSession, *, unit_ids: Iterable[str], start: datetime, end: datetime
) -> tuple[int, int]:
    """Reminder-card deliveries to these units' people sent in the window: (sent, read 已阅 by now)."""
    read = func.sum(case((col(CardRecipient.read_at).is_not(None), 1), else_=0))
    query = (
        select(func.count(), read)
        .select_from(CardRecipient)
        .join(CardOccurrence, col(CardOccurrence.id) == col(CardRecipient.occurrence_id))
        .where(
            col(CardRecipient.unit_id).in_(list(unit_ids)),
            col(CardOccurrence.send_at) >= start,
            col(CardOccurrence.send_at) < end,
        )
    )
    sent, acknowledged = (await session.exec(query)).one()
    return int(sent), int(acknowledged or 0)
