"""The monthly record (一单一档) as plain rows: one summary per unit and one record per person and day.

Computed a few units at a time (about BATCH_PEOPLE people; a larger unit alone) from the streamed queries of
storage.export_queries, so that memory holds one batch's month, never the whole company's: `unit_months`
yields, for each exported unit in the order of its name (then id), the unit's summary and its people's
records ordered by employee number and day; the caller writes them and lets them go. Besides, the few rows
that no index leads to from a unit are read once for the export and kept until their unit's turn
(safety.export.crossed): check-ins of people who moved at their former unit's rounds and the duties leaders
handled for others. Every moment is turned into a local date in the time zone of the person's (or report's)
unit — the unit's own, else its nearest ancestor's, else the default — and only what falls in the month is
kept. A unit's summary counts what happened at the unit (its rounds, reports, card deliveries); a person's
record counts what they did, at whichever exported unit. A person gets a row for each day on which anything
is on record: a round expected them, they checked in, were on leave, took a quiz, were recorded for a
violation, reported, were given a task, acknowledged a card, handled someone's duty or had a 带班 shift.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.export.crossed import Crossed, window
from safety.export.period import ExportError, Month, parse_month, rate
from safety.export.scope import subtree, zones
from safety.export.sheet import ExportScope
from safety.kinds import CHECKIN
from storage import export_queries as eq
from storage.models import Unit

# Month, parse_month, rate, subtree and zones are imported from here by other features' sheets
__all__ = [
    "ExportError",
    "Month",
    "PersonDay",
    "UnitMonth",
    "UnitSummary",
    "parse_month",
    "rate",
    "subtree",
    "unit_months",
    "zones",
]

KINDS = ("hazard", "near_miss", "accident", "violation")
STATES = ("reported", "assigned", "submitted", "closed")
CHECKED = ("on_time", "late", "issue")
BATCH_PEOPLE = 250  # people of the units read together: a few queries per batch, one batch's month in memory


@dataclass
class UnitSummary:
    unit_id: str
    unit_name: str
    expected: int = 0  # check-ins asked, excused ones included
    checked: int = 0  # on time, late or with an issue
    late: int = 0
    missed: int = 0
    excused: int = 0
    reports: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, state) → reports of the month
    due_closed: int = 0  # rectifications with a deadline closed this month
    closed_on_time: int = 0
    quiz_passed: int = 0
    quiz_failed: int = 0
    cards_sent: int = 0
    cards_acknowledged: int = 0

    @property
    def checkin_rate(self) -> float | None:
        return rate(self.checked, self.expected - self.excused)

    @property
    def rectification_rate(self) -> float | None:
        return rate(self.closed_on_time, self.due_closed)

    @property
    def quiz_pass_rate(self) -> float | None:
        return rate(self.quiz_passed, self.quiz_passed + self.quiz_failed)

    @property
    def card_rate(self) -> float | None:
        return rate(self.cards_acknowledged, self.cards_sent)


@dataclass
class PersonDay:
    person_id: int
    employee_no: str
    name: str
    unit_name: str
    day: date
    checkin: str = ""  # on_time | late | issue | missed | excused | "" (no round)
    on_leave: bool = False
    quiz_attempts: int = 0
    quiz_passed: int = 0
    violations: int = 0
    reports_made: int = 0
    tasks: int = 0  # rectifications assigned to them
    cards_acknowledged: int = 0
    duties_handled: int = 0  # as a leader: others' duties closed, report steps, leave decided
    leader_shift: str = ""  # confirmed | unconfirmed | "" (none)


@dataclass(frozen=True)
class UnitMonth:
    summary: UnitSummary
    days: list[PersonDay]  # the unit's people's records, by employee number and day


async def unit_months(session: AsyncSession, scope: ExportScope) -> AsyncIterator[UnitMonth]:
    """Each exported unit's month in the order of the units' names (then ids), read a batch of units at a
    time (about BATCH_PEOPLE people; a larger unit alone): few queries, and memory for one batch's month."""
    crossed = await Crossed.read(session, scope)
    sizes = {unit_id: count async for unit_id, count in eq.headcounts(session, scope.unit_ids)}
    for batch in _batches(sorted(scope.units, key=lambda u: (u.name, u.id)), sizes):
        for month in await _Collector(session, scope, batch, crossed).run():
            yield month


def _batches(units: list[Unit], sizes: dict[str, int]) -> Iterator[list[Unit]]:
    batch: list[Unit] = []
    people = 0
    for unit in units:
        if batch and people + sizes.get(unit.id, 0) > BATCH_PEOPLE:
            yield batch
            batch, people = [], 0
        batch.append(unit)
        people += sizes.get(unit.id, 0)
    if batch:
        yield batch


def _local(moment: datetime, zone: ZoneInfo) -> date:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).date()


class _Collector:
    """Streams a batch of units' rows of the month into their summaries and their people's day records."""

    def __init__(
        self, session: AsyncSession, scope: ExportScope, batch: list[Unit], crossed: Crossed
    ) -> None:
        self.session, self.month, self.zone = session, scope.month, scope.zones
        self.batch, self.scope_ids = [u.id for u in batch], scope.unit_ids
        self.summaries = {u.id: UnitSummary(u.id, u.name) for u in batch}
        self.start, self.end = window(scope.month)
        # rows at other units' rounds only: those at this batch's rounds come with its own queries
        self.crossed_expected = [
            r for u in batch for r in crossed.expected.pop(u.id, []) if r[1] not in self.summaries
        ]
        self.crossed_answers = [
            r for u in batch for r in crossed.answers.pop(u.id, []) if r[1] not in self.summaries
        ]
        self.handled = [r for u in batch for r in crossed.handled.pop(u.id, [])]
        self.who: dict[int, tuple[str, str, str]] = {}  # the batch's people: employee_no, name, unit_id
        self.days: dict[tuple[int, date], PersonDay] = {}

    async def run(self) -> list[UnitMonth]:
        async for pid, employee_no, name, unit_id in eq.people(self.session, self.batch):
            self.who[pid] = (employee_no, name, unit_id)
        await self.checkins()
        await self.quizzes()
        await self.reports()
        await self.the_rest()
        days: dict[str, list[PersonDay]] = defaultdict(list)
        for day in sorted(self.days.values(), key=lambda d: (d.employee_no, d.day)):
            days[self.who[day.person_id][2]].append(day)
        return [UnitMonth(self.summaries[unit_id], days[unit_id]) for unit_id in self.batch]

    def in_month(self, moment: datetime, unit_id: str) -> date | None:
        day = _local(moment, self.zone[unit_id])
        return day if self.month.first <= day <= self.month.last else None

    def row(self, pid: int | None, day: date | None) -> PersonDay | None:
        """The record of one of the batch's people on a day of the month (made when first needed)."""
        if (
            pid is None
            or day is None
            or pid not in self.who
            or not self.month.first <= day <= self.month.last
        ):
            return None
        if (pid, day) not in self.days:
            employee_no, name, unit_id = self.who[pid]
            self.days[pid, day] = PersonDay(pid, employee_no, name, self.summaries[unit_id].unit_name, day)
        return self.days[pid, day]

    def local_row(self, pid: int | None, moment: datetime | None) -> PersonDay | None:
        if pid is None or moment is None or pid not in self.who:
            return None
        return self.row(pid, _local(moment, self.zone[self.who[pid][2]]))

    def person_summary(self, pid: int) -> UnitSummary:
        return self.summaries[self.who[pid][2]]

    async def checkins(self) -> None:
        first, last, seen = self.month.first, self.month.last, set()
        expected = eq.expected_checkins(self.session, self.batch, first, last, kind=CHECKIN)
        async for pid, unit_id, day, state, status in _then(expected, self.crossed_expected):
            seen.add((pid, day))
            outcome = status or ("excused" if state == "excused" else "missed")
            if unit_id in self.summaries:
                _count_checkin(self.summaries[unit_id], outcome, expected=True)
            if (found := self.row(pid, day)) is not None:
                found.checkin = outcome
        answers = eq.unexpected_checkins(self.session, self.batch, first, last)
        async for pid, unit_id, day, status in _then(answers, self.crossed_answers):
            if (pid, day) not in seen:
                if unit_id in self.summaries:
                    _count_checkin(self.summaries[unit_id], status, expected=False)
                if (found := self.row(pid, day)) is not None:
                    found.checkin = status
        async for pid, leave_first, leave_last in eq.approved_leave(self.session, self.batch, first, last):
            day = max(leave_first, first)
            while day <= min(leave_last, last):
                if (found := self.row(pid, day)) is not None:
                    found.on_leave = True
                day += timedelta(days=1)

    async def quizzes(self) -> None:
        async for pid, started_at, status in eq.quiz_attempts(self.session, self.batch, self.start, self.end):
            if (found := self.local_row(pid, started_at)) is None:
                continue
            found.quiz_attempts += 1
            found.quiz_passed += status == "passed"
            self.person_summary(pid).quiz_passed += status == "passed"
            self.person_summary(pid).quiz_failed += status == "failed"

    async def reports(self) -> None:
        rows = eq.reports(self.session, self.batch, self.scope_ids, self.start, self.end)
        async for unit_id, reporter, kind, state, created, responsible, assigned, deadline, closed in rows:
            summary = self.summaries.get(unit_id)
            if self.in_month(created, unit_id) is not None:
                if summary is not None:
                    summary.reports[kind, state] = summary.reports.get((kind, state), 0) + 1
                if (found := self.local_row(reporter, created)) is not None:
                    found.reports_made += 1
            if (found := self.local_row(responsible, assigned)) is not None:
                found.tasks += 1
            if summary is None or closed is None or deadline is None:
                continue
            if (closed_on := self.in_month(closed, unit_id)) is not None:
                summary.due_closed += 1
                summary.closed_on_time += closed_on <= deadline

    async def the_rest(self) -> None:
        """Violations, cards, duties handled as a leader and 带班 shifts."""
        session, batch, start, end = self.session, self.batch, self.start, self.end
        async for pid, at in eq.violations(session, batch, start, end):
            if (found := self.local_row(pid, at)) is not None:
                found.violations += 1
        async for pid, _occurrence, at in eq.card_acknowledgements(session, batch, start, end):
            if (found := self.local_row(pid, at)) is not None:
                found.cards_acknowledged += 1
        async for unit_id, send_at, read_at in eq.card_recipients(session, batch, start, end):
            if self.in_month(send_at, unit_id) is not None:
                self.summaries[unit_id].cards_sent += 1
                self.summaries[unit_id].cards_acknowledged += read_at is not None
        handled = _then(eq.report_handling(session, batch, start, end), self.handled)
        for source in (handled, eq.leave_decisions(session, batch, start, end)):
            async for pid, at in source:
                if (found := self.local_row(pid, at)) is not None:
                    found.duties_handled += 1
        async for pid, day, confirmed_at in eq.leader_shifts(
            session, batch, self.month.first, self.month.last
        ):
            if (found := self.row(pid, day)) is not None:
                found.leader_shift = "confirmed" if confirmed_at is not None else "unconfirmed"


async def _then(rows: AsyncIterator[Any], more: list[Any]) -> AsyncIterator[Any]:
    """The streamed rows, then the ones kept in memory."""
    async for row in rows:
        yield row
    for row in more:
        yield row


def _count_checkin(summary: UnitSummary, outcome: str, *, expected: bool) -> None:
    summary.expected += 1
    if outcome in CHECKED:
        summary.checked += 1
        summary.late += outcome == "late"
    elif outcome == "excused":
        summary.excused += 1
    elif expected:
        summary.missed += 1
