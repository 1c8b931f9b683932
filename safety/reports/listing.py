"""The lists readers ask for in chat: open reports in my scope (/incidents) and my rectification tasks
(/tasks); /pending, which lists these tasks among everything else that waits on me, is safety/pending.
Each list is read fresh at every command and every page press, so it shows the reports as they are now;
rows are plain data with the lines they read as.

Scope: the units where the reader holds one of the reading roles, and every unit below them. A report
outside it is "not found", never shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.access import Actor
from safety.config import Defaults
from safety.reports.history import ReportHistory, UnitCounts, counts, descendants, history, state_text
from safety.reports.routing import kind_text
from safety.reports.rules import OPEN_STATES, Kind, State
from safety.roles import Role
from safety.views import Line, Text
from storage import report_read_queries as rr
from storage.models import Report, Unit

PAGE_SIZE = 8
READERS = frozenset({Role.SAFETY_OFFICER, Role.MANAGER})  # who reads /incidents
TASK_STATES = (State.ASSIGNED, State.SUBMITTED)


@dataclass(frozen=True)
class Scope:
    units: list[str]
    by_id: dict[str, Unit]

    def name(self, unit_id: str) -> str:
        unit = self.by_id.get(unit_id)
        return unit.name if unit else unit_id

    def timezone(self, unit_id: str) -> str | None:
        unit = self.by_id.get(unit_id)
        return unit.timezone if unit else None


async def scope_of(session: AsyncSession, actor: Actor, roles: Iterable[str]) -> Scope:
    """The units where the actor holds one of `roles`, and everything below them (tree order)."""
    units = await rr.all_units(session)
    roots = sorted(actor.units_with(roles))
    return Scope(descendants(units, roots), {u.id: u for u in units})


def age(now: datetime, since: datetime) -> Text:
    """How long ago: minutes under an hour, hours under two days, else days."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return Text("incidents.age_minutes", n=minutes)
    if minutes < 48 * 60:
        return Text("incidents.age_hours", n=minutes // 60)
    return Text("incidents.age_days", n=minutes // (24 * 60))


def overdue(report: Report, *, now: datetime, defaults: Defaults, timezone: str | None) -> bool:
    """A task still with the responsible person after its deadline day (due at the day's end, local)."""
    return (
        report.state == State.ASSIGNED
        and report.deadline is not None
        and defaults.today(now, timezone) > report.deadline
    )


def report_line(report: Report, scope: Scope, locations: dict[str, str], *, now: datetime) -> Text:
    """One open report: number, kind, state, age, unit and place."""
    place = locations.get(report.location_id or "") or report.location_text
    return Text(
        "incidents.row",
        number=report.number,
        kind=kind_text(report.kind),
        state=state_text(report.state),
        age=age(now, report.created_at),
        unit=scope.name(report.unit_id),
        place=place if place else Text("incidents.no_place"),
    )


# -- /incidents ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentsPage:
    lines: list[Line]  # one per report on the page
    total: int
    page: int  # 0-based, clamped
    pages: int
    kind: str | None
    state: str | None
    counts: list[UnitCounts]


async def incidents(
    session: AsyncSession,
    actor: Actor,
    *,
    kind: str | None,
    state: str | None,
    page: int,
    now: datetime,
) -> IncidentsPage:
    """One page of the open reports in the reader's scope, oldest first, filtered by kind and state."""
    scope = await scope_of(session, actor, READERS)
    states = [state] if state in OPEN_STATES else sorted(OPEN_STATES)
    kind = kind if kind in set(Kind) else None
    state = state if state in OPEN_STATES else None
    found = await rr.reports_in_units(
        session, unit_ids=scope.units, states=states, kind=kind, offset=page * PAGE_SIZE, limit=PAGE_SIZE
    )
    pages = max(1, -(-found.total // PAGE_SIZE))
    if not 0 <= page < pages:  # an old page of a list that has shrunk (or a forged number): the nearest
        page = min(max(page, 0), pages - 1)
        found = await rr.reports_in_units(
            session, unit_ids=scope.units, states=states, kind=kind, offset=page * PAGE_SIZE, limit=PAGE_SIZE
        )
    locations = await rr.location_names(session, location_ids=[r.location_id for r in found.reports])
    return IncidentsPage(
        lines=[report_line(r, scope, locations, now=now) for r in found.reports],
        total=found.total,
        page=page,
        pages=max(1, -(-found.total // PAGE_SIZE)),
        kind=kind,
        state=state,
        counts=await counts(session, sorted(actor.units_with(READERS))),
    )


@dataclass(frozen=True)
class Readable:
    history: ReportHistory
    show_reporter: bool  # the reader is a safety officer over the report's unit


async def readable_report(
    session: AsyncSession, actor: Actor, number: str, *, defaults: Defaults
) -> Readable | None:
    """The history of a report in the reader's scope; None for an unknown number or one outside it."""
    scope = await scope_of(session, actor, READERS)
    found = await history(session, number, defaults=defaults)
    if found is None or found.report.unit_id not in scope.units:
        return None
    officer = descendants(list(scope.by_id.values()), sorted(actor.units_with({Role.SAFETY_OFFICER})))
    return Readable(found, found.report.unit_id in officer)


# -- /tasks --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    report: Report
    line: Text
    overdue: bool


async def tasks(session: AsyncSession, actor: Actor, *, now: datetime, defaults: Defaults) -> list[Task]:
    """My rectification tasks (assigned to me, not yet closed), nearest deadline first."""
    reports = await rr.tasks_of(session, person_id=actor.person_id, states=TASK_STATES)
    units = {u.id: u for u in await rr.all_units(session)}
    return [_task(r, units, now=now, defaults=defaults) for r in reports]


def _task(report: Report, units: dict[str, Unit], *, now: datetime, defaults: Defaults) -> Task:
    unit = units.get(report.unit_id)
    late = overdue(report, now=now, defaults=defaults, timezone=unit.timezone if unit else None)
    line = Text(
        "tasks.row",
        number=report.number,
        kind=kind_text(report.kind),
        state=state_text(report.state),
        deadline=report.deadline.isoformat() if report.deadline else Text("tasks.no_deadline"),
        late=Text("tasks.overdue") if late else "",
        description=_short(report.description),
    )
    return Task(report, line, late)


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
