"""Queries for the monthly export (`safetybot export`): every duty row of a month, streamed.

Each function is an async generator over small tuples, read with `session.stream` and `yield_per`, so an
export of a thousand people over a month never holds all its source rows in memory at once. Time windows are
given in UTC and are a little wider than the month (the caller drops what falls outside the month in the
unit's own time zone); dates that are already local (rounds, leave, card event dates) are given as dates.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, and_, cast, literal, or_, select
from sqlmodel import col
from sqlmodel import select as sm_select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    CardEvent,
    CardOccurrence,
    CardRecipient,
    CheckIn,
    DutyShift,
    Leave,
    Obligation,
    Person,
    QuizAttempt,
    Report,
    ReportEvent,
    Round,
    Unit,
    Violation,
)

BATCH = 500
HANDLED_REPORT_ACTIONS = ("assigned", "closed", "rejected", "rechecked", "reopened", "authority_reported")


async def _rows(session: AsyncSession, statement: Any) -> AsyncIterator[Any]:
    result = await session.stream(statement.execution_options(yield_per=BATCH))
    async for row in result:
        yield tuple(row)


async def all_units(session: AsyncSession) -> list[Unit]:
    """Every unit (the tree is small: a company has hundreds of units, not millions)."""
    result = await session.exec(sm_select(Unit).order_by(col(Unit.sort_order), col(Unit.id)))
    return list(result.all())


def people(session: AsyncSession, unit_ids: Sequence[str]) -> AsyncIterator[Any]:
    """(id, employee_no, name, unit_id) of the people of these units, by unit and employee number."""
    stmt = (
        select(col(Person.id), col(Person.employee_no), col(Person.name), col(Person.unit_id))
        .where(col(Person.unit_id).in_(unit_ids))
        .order_by(col(Person.unit_id), col(Person.employee_no))
    )
    return _rows(session, stmt)


def expected_checkins(
    session: AsyncSession, unit_ids: Sequence[str], first: date, last: date, *, kind: str
) -> AsyncIterator[Any]:
    """(person_id, round unit_id, round day, obligation state, check-in status or None) of every person a
    round of these units expected (obligations of `kind`), for rounds from `first` to `last` (local dates)."""
    ref = literal("round:") + cast(col(Round.id), String)
    stmt = (
        select(
            col(Obligation.subject_id),
            col(Round.unit_id),
            col(Round.day),
            col(Obligation.state),
            col(CheckIn.status),
        )
        .join(Obligation, and_(col(Obligation.kind) == kind, col(Obligation.ref) == ref))
        .outerjoin(
            CheckIn,
            and_(
                col(CheckIn.round_id) == col(Round.id), col(CheckIn.person_id) == col(Obligation.subject_id)
            ),
        )
        .where(col(Round.unit_id).in_(unit_ids), col(Round.day) >= first, col(Round.day) <= last)
        .order_by(col(Obligation.id))
    )
    return _rows(session, stmt)


def unexpected_checkins(
    session: AsyncSession, unit_ids: Sequence[str], first: date, last: date
) -> AsyncIterator[Any]:
    """(person_id, round unit_id, round day, status) of every check-in of these units' rounds (the caller
    keeps those no obligation expected)."""
    stmt = (
        select(col(CheckIn.person_id), col(Round.unit_id), col(Round.day), col(CheckIn.status))
        .join(Round, col(CheckIn.round_id) == col(Round.id))
        .where(col(Round.unit_id).in_(unit_ids), col(Round.day) >= first, col(Round.day) <= last)
        .order_by(col(CheckIn.id))
    )
    return _rows(session, stmt)


def approved_leave(
    session: AsyncSession, unit_ids: Sequence[str], first: date, last: date
) -> AsyncIterator[Any]:
    """(person_id, first_day, last_day) of approved leave of these units' people overlapping the month."""
    stmt = (
        select(col(Leave.person_id), col(Leave.first_day), col(Leave.last_day))
        .join(Person, col(Person.id) == col(Leave.person_id))
        .where(
            col(Person.unit_id).in_(unit_ids),
            col(Leave.status) == "approved",
            col(Leave.first_day) <= last,
            col(Leave.last_day) >= first,
        )
        .order_by(col(Leave.id))
    )
    return _rows(session, stmt)


def quiz_attempts(
    session: AsyncSession, unit_ids: Sequence[str], start: datetime, end: datetime
) -> AsyncIterator[Any]:
    """(person_id, started_at, status) of clearance quiz attempts (not card lessons) started in the window."""
    stmt = (
        select(col(QuizAttempt.person_id), col(QuizAttempt.started_at), col(QuizAttempt.status))
        .join(Person, col(Person.id) == col(QuizAttempt.person_id))
        .where(
            col(Person.unit_id).in_(unit_ids),
            col(QuizAttempt.purpose).is_(None),
            col(QuizAttempt.started_at) >= start,
            col(QuizAttempt.started_at) < end,
        )
        .order_by(col(QuizAttempt.id))
    )
    return _rows(session, stmt)


def violations(
    session: AsyncSession, unit_ids: Sequence[str], start: datetime, end: datetime
) -> AsyncIterator[Any]:
    """(person_id, at) of violations recorded against these units' people in the window."""
    stmt = (
        select(col(Violation.person_id), col(Violation.at))
        .join(Person, col(Person.id) == col(Violation.person_id))
        .where(col(Person.unit_id).in_(unit_ids), col(Violation.at) >= start, col(Violation.at) < end)
        .order_by(col(Violation.id))
    )
    return _rows(session, stmt)


def reports(
    session: AsyncSession, unit_ids: Sequence[str], start: datetime, end: datetime
) -> AsyncIterator[Any]:
    """(unit_id, reporter_id, kind, state, created_at, responsible_id, assigned_at, deadline, closed_at) of
    reports of these units created, assigned or closed in the window."""
    in_window = [
        and_(col(moment) >= start, col(moment) < end)
        for moment in (col(Report.created_at), col(Report.assigned_at), col(Report.closed_at))
    ]
    stmt = (
        select(
            col(Report.unit_id),
            col(Report.reporter_id),
            col(Report.kind),
            col(Report.state),
            col(Report.created_at),
            col(Report.responsible_id),
            col(Report.assigned_at),
            col(Report.deadline),
            col(Report.closed_at),
        )
        .where(col(Report.unit_id).in_(unit_ids), or_(*in_window))
        .order_by(col(Report.id))
    )
    return _rows(session, stmt)


def report_handling(
    session: AsyncSession, unit_ids: Sequence[str], start: datetime, end: datetime
) -> AsyncIterator[Any]:
    """(actor_id, at) of the steps leaders took on others' reports (assigned, closed, rejected …) by these
    units' people in the window."""
    stmt = (
        select(col(ReportEvent.actor_id), col(ReportEvent.at))
        .join(Person, col(Person.id) == col(ReportEvent.actor_id))
        .where(
            col(Person.unit_id).in_(unit_ids),
            col(ReportEvent.action).in_(HANDLED_REPORT_ACTIONS),
            col(ReportEvent.at) >= start,
            col(ReportEvent.at) < end,
        )
        .order_by(col(ReportEvent.id))
    )
    return _rows(session, stmt)


def card_acknowledgements(
    session: AsyncSession, unit_ids: Sequence[str], start: datetime, end: datetime
) -> AsyncIterator[Any]:
    """(person_id, occurrence_id, at) of the `read` answers to cards by these units' people in the window."""
    stmt = (
        select(col(CardEvent.person_id), col(CardEvent.occurrence_id), col(CardEvent.at))
        .join(Person, col(Person.id) == col(CardEvent.person_id))
        .where(
            col(Person.unit_id).in_(unit_ids),
            col(CardEvent.action) == "read",
            col(CardEvent.at) >= start,
            col(CardEvent.at) < end,
        )
        .order_by(col(CardEvent.id))
    )
    return _rows(session, stmt)


def card_recipients(
    session: AsyncSession, unit_ids: Sequence[str], start: datetime, end: datetime
) -> AsyncIterator[Any]:
    """(unit_id, send_at, read_at) of card deliveries to these units sent in the window."""
    stmt = (
        select(col(CardRecipient.unit_id), col(CardOccurrence.send_at), col(CardRecipient.read_at))
        .join(CardOccurrence, col(CardOccurrence.id) == col(CardRecipient.occurrence_id))
        .where(
            col(CardRecipient.unit_id).in_(unit_ids),
            col(CardOccurrence.send_at) >= start,
            col(CardOccurrence.send_at) < end,
        )
        .order_by(col(CardRecipient.id))
    )
    return _rows(session, stmt)


def handled_obligations(
    session: AsyncSession, unit_ids: Sequence[str], start: datetime, end: datetime
) -> AsyncIterator[Any]:
    """(closed_by, closed_at) of others' duties a leader of these units closed (handled) in the window."""
    stmt = (
        select(col(Obligation.closed_by), col(Obligation.closed_at))
        .join(Person, col(Person.id) == col(Obligation.closed_by))
        .where(
            col(Person.unit_id).in_(unit_ids),
            col(Obligation.closed_by) != col(Obligation.subject_id),
            col(Obligation.state) != "excused",  # leave excusing a round: counted as the leave decision
            col(Obligation.closed_at) >= start,
            col(Obligation.closed_at) < end,
        )
        .order_by(col(Obligation.id))
    )
    return _rows(session, stmt)


def leader_shifts(
    session: AsyncSession, unit_ids: Sequence[str], first: date, last: date
) -> AsyncIterator[Any]:
    """(person_id, day, confirmed_at) of 带班 (leader) duty shifts of these units' people in the month."""
    stmt = (
        select(col(DutyShift.person_id), col(DutyShift.day), col(DutyShift.confirmed_at))
        .join(Person, col(Person.id) == col(DutyShift.person_id))
        .where(
            col(Person.unit_id).in_(unit_ids),
            col(DutyShift.role) == "leader",
            col(DutyShift.day) >= first,
            col(DutyShift.day) <= last,
        )
        .order_by(col(DutyShift.id))
    )
    return _rows(session, stmt)


def leave_decisions(
    session: AsyncSession, unit_ids: Sequence[str], start: datetime, end: datetime
) -> AsyncIterator[Any]:
    """(decided_by, decided_at) of leave requests these units' leaders decided in the window."""
    stmt = (
        select(col(Leave.decided_by), col(Leave.decided_at))
        .join(Person, col(Person.id) == col(Leave.decided_by))
        .where(col(Person.unit_id).in_(unit_ids), col(Leave.decided_at) >= start, col(Leave.decided_at) < end)
        .order_by(col(Leave.id))
    )
    return _rows(session, stmt)
