"""What the bot holds as evidence of listed duties (责任清单): one query per kind of evidence, over the
existing tables, for a few people (a unit's) and a window.

Windows of moments are in UTC and a little wider than the periods asked for (the caller keeps what falls
in each period in the person's own time zone); rows whose date is already local (a round's day, a duty
shift's roster day) are selected by date. Each row starts with the person it is evidence for and their
moment or date, followed by what the record shows of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    AuditEntry,
    CardEvent,
    CardOccurrence,
    CheckIn,
    Checklist,
    DutyShift,
    Inspection,
    Location,
    Report,
    ReportEvent,
    Round,
    Unit,
)

Row = tuple[Any, ...]


async def _all(session: AsyncSession, statement: Any) -> list[Row]:
    return [tuple(row) for row in (await session.exec(statement)).all()]


async def card_answers(
    session: AsyncSession, *, person_ids: Sequence[int], action: str, start: datetime, end: datetime
) -> list[Row]:
    """(person_id, at, card title) of the people's `action` answers (read, deployed) to cards."""
    stmt = (
        select(col(CardEvent.person_id), col(CardEvent.at), col(CardOccurrence.title))
        .join(CardOccurrence, col(CardOccurrence.id) == col(CardEvent.occurrence_id))
        .where(
            col(CardEvent.person_id).in_(person_ids),
            col(CardEvent.action) == action,
            col(CardEvent.at) >= start,
            col(CardEvent.at) < end,
        )
        .order_by(col(CardEvent.at), col(CardEvent.id))
    )
    return await _all(session, stmt)


async def report_steps(
    session: AsyncSession, *, person_ids: Sequence[int], action: str, start: datetime, end: datetime
) -> list[Row]:
    """(actor_id, at, report number) of the report steps (assigned, closed …) the people took."""
    stmt = (
        select(col(ReportEvent.actor_id), col(ReportEvent.at), col(Report.number))
        .join(Report, col(Report.id) == col(ReportEvent.report_id))
        .where(
            col(ReportEvent.actor_id).in_(person_ids),
            col(ReportEvent.action) == action,
            col(ReportEvent.at) >= start,
            col(ReportEvent.at) < end,
        )
        .order_by(col(ReportEvent.at), col(ReportEvent.id))
    )
    return await _all(session, stmt)


async def reports_made(
    session: AsyncSession, *, person_ids: Sequence[int], start: datetime, end: datetime
) -> list[Row]:
    """(reporter_id, created_at, number, anonymous) of the reports the people made."""
    stmt = (
        select(col(Report.reporter_id), col(Report.created_at), col(Report.number), col(Report.anonymous))
        .where(
            col(Report.reporter_id).in_(person_ids),
            col(Report.created_at) >= start,
            col(Report.created_at) < end,
        )
        .order_by(col(Report.created_at), col(Report.id))
    )
    return await _all(session, stmt)


async def audited_actions(
    session: AsyncSession,
    *,
    person_ids: Sequence[int],
    actions: Sequence[str],
    start: datetime,
    end: datetime,
) -> list[Row]:
    """(actor_id, at, action, subject) of the audited actions (a digest's 提醒 / 请假 / 已处理 …) the people
    took."""
    stmt = (
        select(col(AuditEntry.actor_id), col(AuditEntry.at), col(AuditEntry.action), col(AuditEntry.subject))
        .where(
            col(AuditEntry.actor_id).in_(person_ids),
            col(AuditEntry.action).in_(actions),
            col(AuditEntry.at) >= start,
            col(AuditEntry.at) < end,
        )
        .order_by(col(AuditEntry.at), col(AuditEntry.id))
    )
    return await _all(session, stmt)


async def confirmed_shifts(
    session: AsyncSession, *, person_ids: Sequence[int], first: date, last: date
) -> list[Row]:
    """(person_id, roster day, role, unit name) of the duty shifts the people confirmed (到岗)."""
    stmt = (
        select(col(DutyShift.person_id), col(DutyShift.day), col(DutyShift.role), col(Unit.name))
        .join(Unit, col(Unit.id) == col(DutyShift.unit_id))
        .where(
            col(DutyShift.person_id).in_(person_ids),
            col(DutyShift.confirmed_at).is_not(None),
            col(DutyShift.day) >= first,
            col(DutyShift.day) <= last,
        )
        .order_by(col(DutyShift.day), col(DutyShift.starts_at), col(DutyShift.id))
    )
    return await _all(session, stmt)


async def inspections_done(
    session: AsyncSession, *, person_ids: Sequence[int], start: datetime, end: datetime
) -> list[Row]:
    """(inspector_id, finished_at, location name or typed place, checklist title) of finished inspections."""
    stmt = (
        select(
            col(Inspection.inspector_id),
            col(Inspection.finished_at),
            col(Location.name),
            col(Inspection.location_text),
            col(Checklist.title),
        )
        .join(Checklist, col(Checklist.id) == col(Inspection.checklist_id))
        .outerjoin(Location, col(Location.id) == col(Inspection.location_id))
        .where(
            col(Inspection.inspector_id).in_(person_ids),
            col(Inspection.finished_at).is_not(None),
            col(Inspection.finished_at) >= start,
            col(Inspection.finished_at) < end,
        )
        .order_by(col(Inspection.finished_at), col(Inspection.id))
    )
    return [(pid, at, place or text, title) for pid, at, place, text, title in await _all(session, stmt)]


async def checkins(session: AsyncSession, *, person_ids: Sequence[int], first: date, last: date) -> list[Row]:
    """(person_id, round day, status) of the people's check-ins on rounds of these local dates."""
    stmt = (
        select(col(CheckIn.person_id), col(Round.day), col(CheckIn.status))
        .join(Round, col(Round.id) == col(CheckIn.round_id))
        .where(col(CheckIn.person_id).in_(person_ids), col(Round.day) >= first, col(Round.day) <= last)
        .order_by(col(Round.day), col(CheckIn.id))
    )
    return await _all(session, stmt)
