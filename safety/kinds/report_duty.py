"""What the three report kinds (accident_ack, accident_report, rectification) share: the report behind a
reference "report:<id>", loaded in one batch for many references, and the lines that say what it is.

Privacy: the lines never name the reporter (a digest is one view for every recipient, and an anonymous
reporter may be shown to safety officers only), and these kinds do not list their subjects by name
(`lists_subjects = False`): their digests speak of the report, not of who has not acted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults
from safety.kinds.base import Picture
from safety.reports import routing
from safety.views import Line, Text
from storage import escalation_queries as eq
from storage import report_duty_queries as rdq
from storage.escalation_queries import DutyRow
from storage.models import Report

PREFIX = "report:"


def report_id_of(ref: str) -> int | None:
    number = ref.removeprefix(PREFIX)
    return int(number) if ref.startswith(PREFIX) and number.isdigit() else None


@dataclass(frozen=True)
class ReportExtra:
    """A report's own part of its duties' picture."""

    report: Report
    unit_id: str
    location: str | None  # the location's name, if the report names a known one
    people: dict[int, str]  # names of the responsible person, the assigner and the 已上报 presser


async def load_reports(session: AsyncSession, refs: Sequence[str], defaults: Defaults) -> dict[str, Any]:
    """The reports of these references, with the names their lines need (never the reporter's)."""
    ids = sorted({i for ref in refs if (i := report_id_of(ref)) is not None})
    reports = await rdq.reports_by_ids(session, ids=ids)
    places = await rdq.location_names(session, ids=[r.location_id for r in reports if r.location_id])
    wanted = {
        p
        for r in reports
        for p in (r.responsible_id, r.assigned_by, r.authority_reported_by, r.closed_by)
        if p is not None
    }
    names = {row.id: row.name for row in await eq.names_of(session, ids=wanted)}
    return {
        f"{PREFIX}{r.id}": ReportExtra(r, r.unit_id, places.get(r.location_id or ""), names) for r in reports
    }


def local(picture: Picture, moment: datetime | None, unit_id: str, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone(picture.zone(unit_id)).strftime(pattern) if moment is not None else ""


def what(picture: Picture, extra: ReportExtra) -> list[Line]:
    """What was reported (unit, time, category, grade or casualties, place, description), without the
    reporter line."""
    report = extra.report
    lines = routing.describe(
        report,
        unit_name=picture.unit_name(report.unit_id),
        reporter=None,
        location_name=extra.location,
        when=local(picture, report.created_at, report.unit_id),
    )
    return [line for line in lines if not (isinstance(line, Text) and line.key == "report.line_reporter")]


def kind_of(report: Report) -> Text:
    return routing.kind_text(report.kind)


def closed_line(picture: Picture, duty: DutyRow, unit_id: str, keys: dict[str, str]) -> Line | None:
    """Who closed a duty and when, by the kind's text per closing state (`keys`: state -> text key with
    {by} and {time}); None: still open, closed by no one, or a state the kind does not show."""
    key = keys.get(duty.state)
    if key is None or duty.closed_by is None:
        return None
    return Text(
        key, by=picture.name(duty.closed_by), time=local(picture, duty.closed_at, unit_id, "%m-%d %H:%M")
    )
