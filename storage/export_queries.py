"""Queries for the monthly export (`safetybot export`): a batch of units' duty rows of a month, streamed.

The export runs a few units at a time, so most functions take the units being exported now (`unit_ids`) and
are driven by an index from them: rows about those units (their rounds, reports, card deliveries: for their
summaries) and rows about their people (for their records). Two kinds of rows cannot be found from a unit by
an index, and are read once for the whole export instead (the caller keeps them, few as they are): check-ins
of people at another unit's rounds (after a transfer: `crossed_checkins`, `crossed_answers`) and the duties
leaders handled for others (`handled_obligations`: the closer has no index). Each function is an async
generator over small tuples, read with `session.stream` and `yield_per`, so no query holds more than a batch
in memory. Time windows are given in UTC and are a little wider than the month (the caller drops what falls
outside the month in each unit's own time zone); dates that are already local (rounds, leave, shifts) are
given as dates.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, and_, cast, func, literal, or_, select
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


def _members(unit_ids: Sequence[str]) -> Any:
    """The ids of these units' people, as a subquery."""
    return select(col(Person.id)).where(col(Person.unit_id).in_(unit_ids)).scalar_subquery()


async def all_units(session: AsyncSession) -> list[Unit]:
    """Every unit (the tree is small: a company has hundreds of units, not millions)."""
    result = await session.exec(sm_select(Unit).order_by(col(Unit.sort_order), col(Unit.id)))
    return list(result.all())


def headcounts(session: AsyncSession, scope_ids: Sequence[str]) -> AsyncIterator[Any]:
    """(unit_id, number of people) of these units (those with anyone), to batch the units by size."""
    stmt = (
        select(col(Person.unit_id), func.count())
        .where(col(Person.unit_id).in_(scope_ids))
        .group_by(col(Person.unit_id))
    )
    return _rows(session, stmt)


def people(session: AsyncSession, unit_ids: Sequence[str]) -> AsyncIterator[Any]:
    """(id, employee_no, name, unit_id) of these units' people, by employee number."""
    stmt = (
        select(col(Person.id), col(Person.employee_no), col(Person.name), col(Person.unit_id))
        .where(col(Person.unit_id).in_(unit_ids))
        .order_by(col(Person.employee_no))
    )
    return _rows(session, stmt)


def _expected(kind: str) -> Any:
    ref = literal("round:") + cast(col(Round.id), String)
    return (
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
    )


def expected_checkins(
    session: AsyncSession, unit_ids: Sequence[str], first: date, last: date, *, kind: str
) -> AsyncIterator[Any]:
    """(person_id, round unit_id, round day, obligation state, check-in status or None) of every person
    these units' rounds from `first` to `last` (local dates) expected (obligations of `kind`)."""
    stmt = (
        _expected(kind)
        .where(col(Round.unit_id).in_(unit_ids), col(Round.day) >= first, col(Round.day) <= last)
        .order_by(col(Obligation.id))
    )
    return _rows(session, stmt)


def crossed_checkins(
    session: AsyncSession, scope_ids: Sequence[str], first: date, last: date, *, kind: str
) -> AsyncIterator[Any]:
    """(person_id, round unit_id, round day, obligation state, check-in status or None, person's unit_id) of
    the people whom a round of these units expected and who belong to another unit now (they moved since).

    The person's unit is a correlated subquery, not a join: joined, SQLite would start from every check-in
    obligation ever made instead of the month's rounds."""
    person_unit = (
        select(col(Person.unit_id)).where(col(Person.id) == col(Obligation.subject_id)).scalar_subquery()
    )
    stmt = (
        _expected(kind)
        .add_columns(person_unit)
        .where(
            col(Round.unit_id).in_(scope_ids),
            col(Round.day) >= first,
            col(Round.day) <= last,
            person_unit != col(Round.unit_id),
        )
        .order_by(col(Obligation.id))
    )
    return _rows(session, stmt)


def _answers() -> Any:
    return select(col(CheckIn.person_id), col(Round.unit_id), col(Round.day), col(CheckIn.status)).join(
        Round, col(CheckIn.round_id) == col(Round.id)
    )


def unexpected_checkins(
    session: AsyncSession, unit_ids: Sequence[str], first: date, last: date
) -> AsyncIterator[Any]:
    """(person_id, round unit_id, round day, status) of every check-in at these units' rounds (the caller
    keeps those no obligation expected)."""
    stmt = (
        _answers()
        .where(col(Round.unit_id).in_(unit_ids), col(Round.day) >= first, col(Round.day) <= last)
        .order_by(col(CheckIn.id))
    )
    return _rows(session, stmt)


def crossed_answers(
    session: AsyncSession, scope_ids: Sequence[str], first: date, last: date
) -> AsyncIterator[Any]:
    """(person_id, round unit_id, round day, status, person's unit_id) of the check-ins of these units'
    people at another of these units' rounds."""
    stmt = (
        _answers()
        .add_columns(col(Person.unit_id))
        .join(Person, col(Person.id) == col(CheckIn.person_id))
        .where(
            col(Round.unit_id).in_(scope_ids),
            col(Person.unit_id).in_(scope_ids),
            col(Person.unit_id) != col(Round.unit_id),
            col(Round.day) >= first,
            col(Round.day) <= last,
        )
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
    """(person_id, started_at, status) of these units' people's clearance quiz attempts (not card lessons)
    started in the window."""
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
    session: AsyncSession, unit_ids: Sequence[str], scope_ids: Sequence[str], start: datetime, end: datetime
) -> AsyncIterator[Any]:
    """(unit_id, reporter_id, kind, state, created_at, responsible_id, assigned_at, deadline, closed_at) of
    reports created, assigned or closed in the window: these units', and any exported unit's that one of
    these units' people reported or was given."""
    in_window = [
        and_(col(moment) >= start, col(moment) < end)
        for moment in (col(Report.created_at), col(Report.assigned_at), col(Report.closed_at))
    ]
    members = _members(unit_ids)
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
        .where(
            col(Report.unit_id).in_(scope_ids),
            or_(
                col(Report.unit_id).in_(unit_ids),
                col(Report.reporter_id).in_(members),
                col(Report.responsible_id).in_(members),
            ),
            or_(*in_window),
        )
        .order_by(col(Report.id))
    )
    return _rows(session, stmt)


def report_handling(
    session: AsyncSession, unit_ids: Sequence[str], start: datetime, end: datetime
) -> AsyncIterator[Any]:
    """(actor_id, at) of the steps these units' people took on reports (assigned, closed, rejected …) in the
    window."""
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
    session: AsyncSession, scope_ids: Sequence[str], start: datetime, end: datetime
) -> AsyncIterator[Any]:
    """(closer's unit_id, closed_by, closed_at) of others' duties the leaders of these units closed (handled)
    in the window."""
    stmt = (
        select(col(Person.unit_id), col(Obligation.closed_by), col(Obligation.closed_at))
        .join(Person, col(Person.id) == col(Obligation.closed_by))
        .where(
            col(Person.unit_id).in_(scope_ids),
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
