"""The lists readers ask for in chat: open reports in my scope (/incidents), my rectification tasks (/tasks)
and everything that waits on me (/pending). Each list is read fresh at every command and every page press,
so it shows the reports as they are now; rows are plain data with the lines they read as.

Scope: the units where the reader holds one of the reading roles, and every unit below them. A report
outside it is "not found", never shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.access import Actor
from safety.config import Defaults
from safety.kinds import KIND_NAMES, RECTIFICATION
from safety.reports.history import ReportHistory, UnitCounts, counts, descendants, history, state_text
from safety.reports.routing import kind_text
from safety.reports.rules import OPEN_STATES, Kind, State
from safety.roles import Role
from safety.views import Line, Text
from storage import report_read_queries as rr
from storage.models import Obligation, Report, Unit

PAGE_SIZE = 8
READERS = frozenset({Role.SAFETY_OFFICER, Role.MANAGER})  # who reads /incidents
TASK_STATES = (State.ASSIGNED, State.SUBMITTED)
REPORT_REF = "report:"  # safety.reports.duties.ref_of


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


# -- /pending ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingItem:
    what: str  # obligation | task | assign | verify
    since: datetime
    line: Text
    report_id: int | None = None
    number: str | None = None


async def pending(
    session: AsyncSession, actor: Actor, *, now: datetime, defaults: Defaults
) -> list[PendingItem]:
    """Everything that waits on me now, oldest first: my open obligations, my rectification tasks, and the
    reports in my scope waiting for me to assign (safety officer) or to verify (officer in scope, or the
    person who assigned it)."""
    units = {u.id: u for u in await rr.all_units(session)}
    items: list[PendingItem] = []
    my_tasks = [
        _task(r, units, now=now, defaults=defaults)
        for r in await rr.tasks_of(session, person_id=actor.person_id, states=TASK_STATES)
    ]
    task_ids = {t.report.id for t in my_tasks}
    for task in my_tasks:
        since = task.report.assigned_at or task.report.created_at
        items.append(PendingItem("task", since, task.line, task.report.id, task.report.number))
    obligations = await rr.open_obligations_of(session, person_id=actor.person_id)
    refs = [i for o in obligations if (i := _report_id(o.ref)) is not None]
    about = await rr.reports_by_ids(session, report_ids=refs)
    for obligation in obligations:
        report_id = _report_id(obligation.ref)
        if obligation.kind == RECTIFICATION and report_id in task_ids:
            continue  # the task itself is listed (and marked overdue)
        items.append(
            _obligation_item(obligation, about.get(report_id or 0), units, now=now, defaults=defaults)
        )
    officer_units = descendants(list(units.values()), sorted(actor.units_with({Role.SAFETY_OFFICER})))
    waiting = await rr.waiting_for_officer(
        session,
        person_id=actor.person_id,
        officer_units=officer_units,
        assign_state=State.REPORTED,
        verify_state=State.SUBMITTED,
    )
    scope = Scope(officer_units, units)
    locations = await rr.location_names(session, location_ids=[r.location_id for r in waiting])
    for report in waiting:
        if report.id in task_ids or report.responsible_id == actor.person_id:
            continue  # nobody verifies their own rectification
        line = report_line(report, scope, locations, now=now)
        if report.state == State.REPORTED:
            items.append(
                PendingItem(
                    "assign",
                    report.created_at,
                    Text("pending.to_assign", report=line),
                    report.id,
                    report.number,
                )
            )
        else:
            since = report.submitted_at or report.created_at
            items.append(
                PendingItem("verify", since, Text("pending.to_verify", report=line), report.id, report.number)
            )
    items.sort(key=lambda i: (i.since, i.number or ""))
    return items


def _report_id(ref: str) -> int | None:
    prefix, _, rest = ref.partition(":")
    return int(rest) if f"{prefix}:" == REPORT_REF and rest.isdigit() else None


def _obligation_item(
    obligation: Obligation,
    report: Report | None,
    units: dict[str, Unit],
    *,
    now: datetime,
    defaults: Defaults,
) -> PendingItem:
    unit = units.get(obligation.unit_id)
    zone = defaults.zone(unit.timezone if unit else None)
    kind = (
        Text(f"pending.kind_{obligation.kind}")
        if obligation.kind in KIND_NAMES
        else Text("pending.kind_other", kind=obligation.kind)
    )
    due = obligation.due_at.astimezone(zone).strftime("%m-%d %H:%M")
    late = Text("pending.late") if obligation.due_at < now else ""
    if report is not None:
        line = Text("pending.obligation_report", kind=kind, number=report.number, due=due, late=late)
        return PendingItem("obligation", obligation.due_at, line, report.id, report.number)
    unit_name = unit.name if unit else obligation.unit_id
    line = Text("pending.obligation", kind=kind, unit=unit_name, due=due, late=late)
    return PendingItem("obligation", obligation.due_at, line)


def page_of(items: Sequence[PendingItem], page: int) -> tuple[list[PendingItem], int, int]:
    """One page of the items: the items, the page (0-based, clamped) and the number of pages."""
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    return list(items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]), page, pages
