"""The monthly record (一单一档) as plain rows: one summary per unit and one record per person and day.

Computed from the streamed queries of storage.export_queries for one month and, optionally, one unit's
subtree. Every moment is turned into a local date in the time zone of the person's (or report's) unit —
the unit's own, else its nearest ancestor's, else the default — and only what falls in the month is kept.
A person gets a row for each day on which anything is on record: a round expected them, they checked in,
were on leave, took a quiz, were recorded for a violation, reported, were given a task, acknowledged a
card, handled someone's duty or had a 带班 shift.

TODO(issue 12): the 责任清单 columns (`import duties` and each duty's evidence) are the issue's other part.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults
from safety.kinds import CHECKIN
from storage import export_queries as eq
from storage.models import Unit

KINDS = ("hazard", "near_miss", "accident", "violation")
STATES = ("reported", "assigned", "submitted", "closed")
CHECKED = ("on_time", "late", "issue")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class ExportError(ValueError):
    """A request that cannot be exported: `key` is the catalog text, `params` its values."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key, self.params = key, params


@dataclass(frozen=True)
class Month:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def parse_month(text: str) -> Month:
    """`YYYY-MM` → the month's first and last day; anything else raises ExportError."""
    found = _MONTH.match(text.strip())
    if not found or not 1 <= int(found[2]) <= 12 or int(found[1]) < 2000:
        raise ExportError("export.bad_month", month=text.strip()[:20])
    first = date(int(found[1]), int(found[2]), 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return Month(first, following - timedelta(days=1))


def rate(part: int, whole: int) -> float | None:
    """part / whole rounded to four places; None when there is nothing to count."""
    return round(part / whole, 4) if whole else None


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


@dataclass
class Export:
    month: Month
    units: list[UnitSummary]
    days: list[PersonDay]


def subtree(units: list[Unit], root: str | None) -> list[Unit]:
    """The unit named by id (or exact name) and every unit below it; all units when `root` is None."""
    if root is None:
        return units
    start = next((u for u in units if u.id == root), None) or next((u for u in units if u.name == root), None)
    if start is None:
        raise ExportError("export.unknown_unit", unit=root[:64])
    children: dict[str | None, list[Unit]] = defaultdict(list)
    for unit in units:
        children[unit.parent_id].append(unit)
    found, todo = [], [start]
    while todo:
        unit = todo.pop(0)
        found.append(unit)
        todo.extend(children[unit.id])
    order = {u.id: n for n, u in enumerate(units)}
    return sorted(found, key=lambda u: order[u.id])


def zones(units: list[Unit], defaults: Defaults) -> dict[str, ZoneInfo]:
    """Each unit's time zone: its own, else its nearest ancestor's, else the default."""
    by_id = {u.id: u for u in units}
    out: dict[str, ZoneInfo] = {}
    for unit in units:
        at: Unit | None = unit
        while at is not None and not at.timezone:
            at = by_id.get(at.parent_id) if at.parent_id else None
        out[unit.id] = defaults.zone(at.timezone if at is not None else None)
    return out


def _local(moment: datetime, zone: ZoneInfo) -> date:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).date()


async def build(session: AsyncSession, *, month: Month, unit: str | None, defaults: Defaults) -> Export:
    """The month's export for `unit`'s subtree (everyone when None)."""
    everything = await eq.all_units(session)
    scope = subtree(everything, unit)
    collector = _Collector(session, month, scope, zones(everything, defaults))
    async for pid, employee_no, name, unit_id in eq.people(session, collector.ids):
        collector.person_unit[pid], collector.who[pid] = unit_id, (employee_no, name)
    await collector.checkins()
    await collector.quizzes()
    await collector.reports()
    await collector.the_rest()
    ordered = sorted(collector.days.values(), key=lambda d: (d.unit_name, d.employee_no, d.day))
    return Export(month, [collector.summaries[u.id] for u in scope], ordered)


class _Collector:
    """Streams the month's rows into the unit summaries and the person-day records."""

    def __init__(
        self, session: AsyncSession, month: Month, scope: list[Unit], zone: dict[str, ZoneInfo]
    ) -> None:
        self.session, self.month, self.zone = session, month, zone
        self.ids = [u.id for u in scope]
        self.names = {u.id: u.name for u in scope}
        self.summaries = {u.id: UnitSummary(u.id, u.name) for u in scope}
        # a UTC window wider than the month in any zone; local dates outside the month are dropped
        self.start = datetime.combine(month.first, datetime.min.time(), UTC) - timedelta(days=1)
        self.end = datetime.combine(month.last, datetime.min.time(), UTC) + timedelta(days=2)
        self.person_unit: dict[int, str] = {}
        self.who: dict[int, tuple[str, str]] = {}
        self.days: dict[tuple[int, date], PersonDay] = {}

    def in_month(self, moment: datetime, unit_id: str) -> date | None:
        day = _local(moment, self.zone[unit_id])
        return day if self.month.first <= day <= self.month.last else None

    def row(self, pid: int | None, day: date | None) -> PersonDay | None:
        if (
            pid is None
            or day is None
            or pid not in self.who
            or not self.month.first <= day <= self.month.last
        ):
            return None
        if (pid, day) not in self.days:
            employee_no, name = self.who[pid]
            self.days[pid, day] = PersonDay(pid, employee_no, name, self.names[self.person_unit[pid]], day)
        return self.days[pid, day]

    def local_row(self, pid: int | None, moment: datetime | None) -> PersonDay | None:
        if pid is None or moment is None or pid not in self.person_unit:
            return None
        return self.row(pid, _local(moment, self.zone[self.person_unit[pid]]))

    async def checkins(self) -> None:
        first, last, seen = self.month.first, self.month.last, set()
        async for pid, unit_id, day, state, status in eq.expected_checkins(
            self.session, self.ids, first, last, kind=CHECKIN
        ):
            seen.add((pid, day))
            outcome = status or ("excused" if state == "excused" else "missed")
            _count_checkin(self.summaries[unit_id], outcome, expected=True)
            if (found := self.row(pid, day)) is not None:
                found.checkin = outcome
        async for pid, unit_id, day, status in eq.unexpected_checkins(self.session, self.ids, first, last):
            if (pid, day) not in seen:
                _count_checkin(self.summaries[unit_id], status, expected=False)
                if (found := self.row(pid, day)) is not None:
                    found.checkin = status
        async for pid, leave_first, leave_last in eq.approved_leave(self.session, self.ids, first, last):
            day = max(leave_first, first)
            while day <= min(leave_last, last):
                if (found := self.row(pid, day)) is not None:
                    found.on_leave = True
                day += timedelta(days=1)

    async def quizzes(self) -> None:
        async for pid, started_at, status in eq.quiz_attempts(self.session, self.ids, self.start, self.end):
            if (found := self.local_row(pid, started_at)) is None:
                continue
            found.quiz_attempts += 1
            found.quiz_passed += status == "passed"
            summary = self.summaries[self.person_unit[pid]]
            summary.quiz_passed += status == "passed"
            summary.quiz_failed += status == "failed"

    async def reports(self) -> None:
        rows = eq.reports(self.session, self.ids, self.start, self.end)
        async for unit_id, reporter, kind, state, created, responsible, assigned, deadline, closed in rows:
            summary = self.summaries[unit_id]
            if self.in_month(created, unit_id) is not None:
                summary.reports[kind, state] = summary.reports.get((kind, state), 0) + 1
                if (found := self.local_row(reporter, created)) is not None:
                    found.reports_made += 1
            if (found := self.local_row(responsible, assigned)) is not None:
                found.tasks += 1
            closed_on = self.in_month(closed, unit_id) if closed is not None else None
            if closed_on is not None and deadline is not None:
                summary.due_closed += 1
                summary.closed_on_time += closed_on <= deadline

    async def the_rest(self) -> None:
        """Violations, cards, duties handled as a leader and 带班 shifts."""
        session, ids, start, end = self.session, self.ids, self.start, self.end
        async for pid, at in eq.violations(session, ids, start, end):
            if (found := self.local_row(pid, at)) is not None:
                found.violations += 1
        async for pid, _occurrence, at in eq.card_acknowledgements(session, ids, start, end):
            if (found := self.local_row(pid, at)) is not None:
                found.cards_acknowledged += 1
        async for unit_id, send_at, read_at in eq.card_recipients(session, ids, start, end):
            if self.in_month(send_at, unit_id) is not None:
                self.summaries[unit_id].cards_sent += 1
                self.summaries[unit_id].cards_acknowledged += read_at is not None
        for source in (eq.handled_obligations, eq.report_handling, eq.leave_decisions):
            async for pid, at in source(session, ids, start, end):
                if (found := self.local_row(pid, at)) is not None:
                    found.duties_handled += 1
        async for pid, day, confirmed_at in eq.leader_shifts(session, ids, self.month.first, self.month.last):
            if (found := self.row(pid, day)) is not None:
                found.leader_shift = "confirmed" if confirmed_at is not None else "unconfirmed"


def _count_checkin(summary: UnitSummary, outcome: str, *, expected: bool) -> None:
    summary.expected += 1
    if outcome in CHECKED:
        summary.checked += 1
        summary.late += outcome == "late"
    elif outcome == "excused":
        summary.excused += 1
    elif expected:
        summary.missed += 1
