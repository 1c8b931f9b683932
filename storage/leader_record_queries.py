"""Queries for a leader's own duty record (履职记录): what one person acknowledged, handled and verified in a
time window, and what still waits on them.

One person's month is small (tens or hundreds of rows), so these return lists. Windows are in UTC and a
little wider than the month; the caller keeps what falls in the month in the person's own time zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, and_, cast, literal, select
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    AuditEntry,
    CardOccurrence,
    CardRecipient,
    Digest,
    DigestEntry,
    DigestRecipient,
    DutyShift,
    Leave,
    Obligation,
    OutboxMessage,
    Person,
    Report,
    ReportEvent,
    RoleAssignment,
)

DIGEST_AUDITS = ("obligation.remind", "obligation.excused", "obligation.acknowledged")
VERIFY_ACTIONS = ("closed", "rejected")


async def _all(session: AsyncSession, statement: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in (await session.exec(statement)).all()]


def _report_ref() -> Any:
    return literal("report:") + cast(col(Report.id), String)


async def role_units(session: AsyncSession, *, person_id: int) -> list[tuple[str, str]]:
    """(role, unit_id) of every role the person holds."""
    stmt = select(col(RoleAssignment.role), col(RoleAssignment.unit_id)).where(
        col(RoleAssignment.person_id) == person_id
    )
    return [(str(role), str(unit)) for role, unit in await _all(session, stmt)]


async def leaders(session: AsyncSession, *, unit_ids: Sequence[str], roles: Sequence[str]) -> list[Any]:
    """(person_id, employee_no, name, unit_id, role) of active people holding one of `roles` at one of
    these units, by the person's unit and employee number (a person with two roles comes twice)."""
    stmt = (
        select(
            col(Person.id),
            col(Person.employee_no),
            col(Person.name),
            col(Person.unit_id),
            col(RoleAssignment.role),
        )
        .join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
        .where(
            col(RoleAssignment.unit_id).in_(unit_ids),
            col(RoleAssignment.role).in_(roles),
            col(Person.active).is_(True),
        )
        .order_by(col(Person.unit_id), col(Person.employee_no), col(RoleAssignment.role))
    )
    return await _all(session, stmt)


async def card_deliveries(
    session: AsyncSession, *, person_id: int, start: datetime, end: datetime
) -> list[tuple[Any, ...]]:
    """(title, send_at, read_at, deployed_at) of the cards sent to the person in the window."""
    stmt = (
        select(
            col(CardOccurrence.title),
            col(CardOccurrence.send_at),
            col(CardRecipient.read_at),
            col(CardRecipient.deployed_at),
        )
        .join(CardOccurrence, col(CardOccurrence.id) == col(CardRecipient.occurrence_id))
        .where(
            col(CardRecipient.person_id) == person_id,
            col(CardOccurrence.send_at) >= start,
            col(CardOccurrence.send_at) < end,
        )
        .order_by(col(CardRecipient.id))
    )
    return await _all(session, stmt)


async def authority_reports(
    session: AsyncSession, *, person_id: int, start: datetime, end: datetime
) -> list[tuple[Any, ...]]:
    """(number, created_at, authority_reported_at) of accidents the person marked 已上报 in the window."""
    stmt = (
        select(col(Report.number), col(Report.created_at), col(Report.authority_reported_at))
        .where(
            col(Report.authority_reported_by) == person_id,
            col(Report.authority_reported_at) >= start,
            col(Report.authority_reported_at) < end,
        )
        .order_by(col(Report.id))
    )
    return await _all(session, stmt)


async def closed_by(
    session: AsyncSession, *, person_id: int, kind: str, start: datetime, end: datetime
) -> list[tuple[Any, ...]]:
    """(report number, report created_at, closed_at) of the report duties of `kind` (accident_ack) the
    person acknowledged for everyone in the window."""
    stmt = (
        select(col(Report.number), col(Report.created_at), col(Obligation.closed_at))
        .join(Report, col(Obligation.ref) == _report_ref())
        .where(
            col(Obligation.kind) == kind,
            col(Obligation.closed_by) == person_id,
            col(Obligation.state) == "acknowledged",
            col(Obligation.closed_at) >= start,
            col(Obligation.closed_at) < end,
        )
        .order_by(col(Obligation.id))
    )
    return await _all(session, stmt)


async def own_open(
    session: AsyncSession, *, person_id: int, kind: str, start: datetime, end: datetime
) -> list[tuple[Any, ...]]:
    """(report number, due_at) of the person's own report duties of `kind` (accident_report: 已上报) due in
    the window and never answered (still open, or expired)."""
    stmt = (
        select(col(Report.number), col(Obligation.due_at))
        .join(Report, col(Obligation.ref) == _report_ref())
        .where(
            col(Obligation.kind) == kind,
            col(Obligation.subject_id) == person_id,
            col(Obligation.state).in_(("open", "expired")),
            col(Obligation.due_at) >= start,
            col(Obligation.due_at) < end,
        )
        .order_by(col(Obligation.id))
    )
    return await _all(session, stmt)


async def digest_actions(
    session: AsyncSession, *, person_id: int, start: datetime, end: datetime
) -> list[tuple[Any, ...]]:
    """(at, audit action, subject name, detail) of the person's presses on digest lines in the window."""
    stmt = (
        select(col(AuditEntry.at), col(AuditEntry.action), col(AuditEntry.subject), col(AuditEntry.detail))
        .where(
            col(AuditEntry.actor_id) == person_id,
            col(AuditEntry.action).in_(DIGEST_AUDITS),
            col(AuditEntry.at) >= start,
            col(AuditEntry.at) < end,
        )
        .order_by(col(AuditEntry.id))
    )
    return await _all(session, stmt)


async def digest_reach(
    session: AsyncSession, *, person_id: int, obligation_ids: Sequence[int]
) -> list[tuple[Any, ...]]:
    """(obligation_id, digest level, written at, sent at) of every digest message to the person that
    listed one of these obligations."""
    if not obligation_ids:
        return []
    stmt = (
        select(
            col(DigestEntry.obligation_id),
            col(Digest.level),
            col(OutboxMessage.created_at),
            col(OutboxMessage.sent_at),
        )
        .join(Digest, col(Digest.id) == col(DigestEntry.digest_id))
        .join(DigestRecipient, col(DigestRecipient.digest_id) == col(Digest.id))
        .join(OutboxMessage, col(OutboxMessage.key) == col(DigestRecipient.outbox_key))
        .where(
            col(DigestRecipient.person_id) == person_id,
            col(DigestEntry.obligation_id).in_(list(obligation_ids)),
        )
    )
    return await _all(session, stmt)


async def waiting_on(session: AsyncSession, *, person_id: int) -> list[tuple[Any, ...]]:
    """(obligation_id, kind, subject name, written at, sent at) of open duties whose current step's digest
    went to the person: they could act on them now and have not."""
    subject = aliased(Person)
    stmt = (
        select(
            col(Obligation.id),
            col(Obligation.kind),
            col(subject.name),
            col(OutboxMessage.created_at),
            col(OutboxMessage.sent_at),
        )
        .join(DigestEntry, col(DigestEntry.obligation_id) == col(Obligation.id))
        .join(
            Digest,
            and_(col(Digest.id) == col(DigestEntry.digest_id), col(Digest.level) == col(Obligation.level)),
        )
        .join(DigestRecipient, col(DigestRecipient.digest_id) == col(Digest.id))
        .join(OutboxMessage, col(OutboxMessage.key) == col(DigestRecipient.outbox_key))
        .join(subject, col(subject.id) == col(Obligation.subject_id))
        .where(
            col(DigestRecipient.person_id) == person_id,
            col(Digest.topic) == "step",
            col(Obligation.state) == "open",
        )
        .order_by(col(Obligation.id))
    )
    return await _all(session, stmt)


async def leave_decided(
    session: AsyncSession, *, person_id: int, start: datetime, end: datetime
) -> list[tuple[Any, ...]]:
    """(status, asked at, decided at, the asker's name) of leave the person decided in the window."""
    stmt = (
        select(col(Leave.status), col(Leave.created_at), col(Leave.decided_at), col(Person.name))
        .join(Person, col(Person.id) == col(Leave.person_id))
        .where(
            col(Leave.decided_by) == person_id,
            col(Leave.decided_at) >= start,
            col(Leave.decided_at) < end,
        )
        .order_by(col(Leave.id))
    )
    return await _all(session, stmt)


async def report_steps(
    session: AsyncSession, *, person_id: int, actions: Sequence[str], start: datetime, end: datetime
) -> list[tuple[Any, ...]]:
    """(report_id, number, report created_at, action, at) of the person's steps `actions` on reports in
    the window."""
    stmt = (
        select(
            col(ReportEvent.report_id),
            col(Report.number),
            col(Report.created_at),
            col(ReportEvent.action),
            col(ReportEvent.at),
        )
        .join(Report, col(Report.id) == col(ReportEvent.report_id))
        .where(
            col(ReportEvent.actor_id) == person_id,
            col(ReportEvent.action).in_(list(actions)),
            col(ReportEvent.at) >= start,
            col(ReportEvent.at) < end,
        )
        .order_by(col(ReportEvent.id))
    )
    return await _all(session, stmt)


async def report_event_times(
    session: AsyncSession, *, report_ids: Sequence[int], action: str
) -> list[tuple[Any, ...]]:
    """(report_id, at) of every `action` event (anyone's) of these reports, in order."""
    if not report_ids:
        return []
    stmt = (
        select(col(ReportEvent.report_id), col(ReportEvent.at))
        .where(col(ReportEvent.report_id).in_(list(report_ids)), col(ReportEvent.action) == action)
        .order_by(col(ReportEvent.at), col(ReportEvent.id))
    )
    return await _all(session, stmt)


async def open_reports(
    session: AsyncSession, *, unit_ids: Sequence[str], state: str
) -> list[tuple[Any, ...]]:
    """(number, created_at, submitted_at) of reports of these units in `state` (waiting on their leaders)."""
    if not unit_ids:
        return []
    stmt = (
        select(col(Report.number), col(Report.created_at), col(Report.submitted_at))
        .where(col(Report.unit_id).in_(list(unit_ids)), col(Report.state) == state)
        .order_by(col(Report.id))
    )
    return await _all(session, stmt)


async def shifts(session: AsyncSession, *, person_id: int, first: date, last: date) -> list[tuple[Any, ...]]:
    """(day, starts_at, confirmed_at) of the person's duty shifts (带班 or 值班) on these local days."""
    stmt = (
        select(col(DutyShift.day), col(DutyShift.starts_at), col(DutyShift.confirmed_at))
        .where(col(DutyShift.person_id) == person_id, col(DutyShift.day) >= first, col(DutyShift.day) <= last)
        .order_by(col(DutyShift.starts_at))
    )
    return await _all(session, stmt)
