"""A report's whole history as its readers see it, and the found / fixed / re-checked counts per unit.

`history()` loads the report with its unit, the names of everyone who acted on it, every event in order
(local time in the unit's zone), its photos and the rectification (五定: responsible person, deadline,
measures, issuer, the 整改通知单). `history_lines()` turns it into view lines: `show_reporter` False hides an
anonymous reporter (chat readers other than safety officers); `admin` (the CLI) adds stored paths, file ids
and event details.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults
from safety.reports.routing import describe, kind_text
from safety.reports.rules import Kind, State
from safety.views import Line, Text
from storage import report_queries as rq
from storage import report_read_queries as rr
from storage.models import Report, Unit

NUMBER_MAX = 24  # Report.number's length: longer input is no number
KNOWN_ACTIONS = frozenset(
    {
        "reported",
        "assigned",
        "submitted",
        "rejected",
        "closed",
        "rechecked",
        "reopened",
        "authority_reported",
    }
)
KNOWN_STAGES = frozenset({"report", "submission"})
STAMP = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class EventRow:
    action: str
    actor_id: int | None
    actor: str | None  # the actor's name (None: the system)
    at: str  # local time, YYYY-MM-DD HH:MM
    note: str | None
    detail: dict[str, Any] | None


@dataclass(frozen=True)
class PhotoRow:
    stage: str
    file_id: str
    path: str
    size: int


@dataclass(frozen=True)
class ReportHistory:
    report: Report
    unit_name: str
    zone: ZoneInfo
    reporter: str
    location: str | None
    events: list[EventRow]
    photos: list[PhotoRow]
    names: dict[int, str]

    def local(self, moment: datetime | None) -> str:
        return moment.astimezone(self.zone).strftime(STAMP) if moment is not None else ""

    def name(self, person_id: int | None) -> str | None:
        return self.names.get(person_id) if person_id is not None else None


async def history(
    session: AsyncSession, number: str, *, defaults: Defaults | None = None
) -> ReportHistory | None:
    """The report numbered `number` with everything that happened to it; None when there is none."""
    number = number.strip()
    if not number or len(number) > NUMBER_MAX:
        return None
    report = await rq.by_number(session, number)
    if report is None or report.id is None:
        return None
    defaults = defaults or Defaults()
    unit = await session.get(Unit, report.unit_id)
    events = await rq.events_of(session, report_id=report.id)
    photos = await rq.photos_of(session, report_id=report.id)
    people = [
        report.reporter_id,
        report.responsible_id,
        report.assigned_by,
        report.closed_by,
        report.authority_reported_by,
        *(e.actor_id for e in events),
    ]
    names = await rr.names_of(session, person_ids=people)
    locations = await rr.location_names(session, location_ids=[report.location_id])
    zone = defaults.zone(unit.timezone if unit else None)
    return ReportHistory(
        report=report,
        unit_name=unit.name if unit else report.unit_id,
        zone=zone,
        reporter=names.get(report.reporter_id, "?"),
        location=locations.get(report.location_id) if report.location_id else None,
        events=[
            EventRow(
                action=e.action,
                actor_id=e.actor_id,
                actor=names.get(e.actor_id) if e.actor_id is not None else None,
                at=e.at.astimezone(zone).strftime(STAMP),
                note=e.note,
                detail=e.detail,
            )
            for e in events
        ],
        photos=[PhotoRow(p.stage, p.file_id, p.path, p.size) for p in photos],
        names=names,
    )


def state_text(state: str) -> Text:
    return (
        Text(f"incidents.state_{state}")
        if state in set(State)
        else Text("incidents.state_other", state=state)
    )


def action_text(action: str) -> Text:
    if action in KNOWN_ACTIONS:
        return Text(f"incidents.action_{action}")
    return Text("incidents.action_other", action=action)


def stage_text(stage: str) -> Text:
    return (
        Text(f"incidents.stage_{stage}")
        if stage in KNOWN_STAGES
        else Text("incidents.stage_other", stage=stage)
    )


def history_lines(h: ReportHistory, *, show_reporter: bool, admin: bool = False) -> list[Line]:
    """Every line of the history: what was reported, the rectification, each event, the photos."""
    r = h.report
    hidden = r.anonymous and not show_reporter
    lines: list[Line] = [
        Text("incidents.history_title", kind=kind_text(r.kind), number=r.number, state=state_text(r.state))
    ]
    lines += describe(
        r,
        unit_name=h.unit_name,
        reporter=None if hidden else h.reporter,
        location_name=h.location,
        when=h.local(r.created_at),
    )
    if r.category_list and admin:
        lines.append(Text("incidents.line_category_list", list=r.category_list))
    lines += _rectification(h)
    lines.append(Text("incidents.events_title"))
    for event in h.events:
        actor: Any = event.actor if event.actor is not None else Text("incidents.system")
        if hidden and event.action == "reported" and event.actor_id == r.reporter_id:
            actor = Text("report.anonymous")
        lines.append(Text("incidents.event", at=event.at, action=action_text(event.action), actor=actor))
        if event.note:
            lines.append(Text("incidents.event_note", note=event.note))
        if admin and event.detail:
            shown = "; ".join(f"{k}={v}" for k, v in sorted(event.detail.items()))
            lines.append(Text("incidents.event_detail", detail=shown))
    lines += _photos(h.photos, admin=admin)
    return lines


def _rectification(h: ReportHistory) -> list[Line]:
    r = h.report
    lines: list[Line] = []
    if r.responsible_id is not None:
        lines.append(Text("incidents.line_responsible", name=h.name(r.responsible_id) or "?"))
    if r.deadline is not None:
        lines.append(Text("incidents.line_deadline", deadline=r.deadline.isoformat()))
    if r.measures:
        lines.append(Text("incidents.line_measures", measures=r.measures))
    if r.assigned_by is not None:
        lines.append(
            Text("incidents.line_assigned_by", name=h.name(r.assigned_by) or "?", at=h.local(r.assigned_at))
        )
    if r.notice_path:
        lines.append(Text("incidents.line_notice", path=r.notice_path))
    if r.submitted_at is not None:
        lines.append(Text("incidents.line_submitted", at=h.local(r.submitted_at)))
    if r.closed_at is not None:
        lines.append(Text("incidents.line_closed", name=h.name(r.closed_by) or "?", at=h.local(r.closed_at)))
    if r.recheck_due_at is not None and r.rechecked_at is None:
        lines.append(Text("incidents.line_recheck_due", at=h.local(r.recheck_due_at)))
    if r.rechecked_at is not None:
        lines.append(Text("incidents.line_rechecked", at=h.local(r.rechecked_at)))
    if r.kind == Kind.ACCIDENT and r.authority_reported_at is not None:
        lines.append(
            Text(
                "incidents.line_authority",
                name=h.name(r.authority_reported_by) or "?",
                at=h.local(r.authority_reported_at),
            )
        )
    return lines


def _photos(photos: Sequence[PhotoRow], *, admin: bool) -> list[Line]:
    if not photos:
        return []
    lines: list[Line] = [Text("incidents.photos_title")]
    if admin:
        for p in photos:
            lines.append(
                Text(
                    "incidents.photo_admin",
                    stage=stage_text(p.stage),
                    path=p.path,
                    file_id=p.file_id,
                    size=p.size,
                )
            )
        return lines
    stages: dict[str, int] = {}
    for p in photos:
        stages[p.stage] = stages.get(p.stage, 0) + 1
    lines += [Text("incidents.photo_count", stage=stage_text(s), count=n) for s, n in stages.items()]
    return lines


# -- found / fixed / re-checked ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitCounts:
    unit_id: str
    unit_name: str
    found: int  # hazard reports
    fixed: int  # closed (销号)
    rechecked: int  # 回头看 done


async def counts(session: AsyncSession, unit_ids: Sequence[str]) -> list[UnitCounts]:
    """Per unit of `unit_ids` and every unit below them, in tree order: its own hazards found, fixed and
    re-checked (units without hazards are left out)."""
    units = await rr.all_units(session)
    scope = descendants(units, unit_ids)
    by_unit = await rr.hazard_counts(session, unit_ids=scope, kind=Kind.HAZARD, closed_state=State.CLOSED)
    names = {u.id: u.name for u in units}
    return [
        UnitCounts(u, names.get(u, u), c.found, c.fixed, c.rechecked)
        for u in scope
        if (c := by_unit.get(u)) is not None
    ]


def count_lines(rows: Sequence[UnitCounts]) -> list[Line]:
    """The counts as lines, with a total when there are several units; a line that says none otherwise."""
    lines: list[Line] = [Text("incidents.counts_title")]
    if not rows:
        lines.append(Text("incidents.counts_none"))
        return lines
    for c in rows:
        lines.append(
            Text(
                "incidents.counts_unit", unit=c.unit_name, found=c.found, fixed=c.fixed, rechecked=c.rechecked
            )
        )
    if len(rows) > 1:
        lines.append(
            Text(
                "incidents.counts_total",
                found=sum(c.found for c in rows),
                fixed=sum(c.fixed for c in rows),
                rechecked=sum(c.rechecked for c in rows),
            )
        )
    return lines


def descendants(units: Sequence[Unit], roots: Sequence[str]) -> list[str]:
    """The roots and every unit below them, each once, in the tree's order (parents before children)."""
    children: dict[str, list[str]] = {}
    known = {u.id for u in units}
    for unit in units:
        if unit.parent_id is not None:
            children.setdefault(unit.parent_id, []).append(unit.id)
    found: list[str] = []
    seen: set[str] = set()
    for root in roots:
        if root not in known or root in seen:
            continue
        stack = [root]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            found.append(current)
            stack.extend(reversed(children.get(current, [])))
    return found
