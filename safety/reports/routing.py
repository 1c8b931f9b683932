"""Who is told of a report, and what a report reads like.

Every report goes at once to the nearest team leader and safety officer of its unit (the officer's notice
has `指派`); a 重大 hazard or an accident also goes to the nearest manager (an accident's with `已上报`). A
person holding several of these roles gets one notice with every button their roles give. An anonymous
report names its reporter to safety officers only. A serious one also reaches whoever is on the duty
roster now for the unit or the units above it (节假日带班领导和值班员, safety/shifts/roster.py), no buttons.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import outbox
from safety.config import Defaults
from safety.escalation import UnitTree
from safety.outbox import Envelope
from safety.reports.rules import ASSIGN, AUTHORITY_REPORTED, Kind, is_serious
from safety.roles import Role
from safety.shifts import roster
from safety.views import Action, Attachment, Line, Text, View
from storage import report_queries as rq
from storage.models import Location, Person, Report, Unit

ON_DUTY = "on_duty"  # a notice's reader on the duty roster now (带班领导, 值班员), not by a role of theirs


def kind_text(kind: str) -> Text:
    return Text(f"report.kind_{kind}")


def casualties(report: Report) -> Text:
    if not (report.deaths or report.serious_injuries or report.minor_injuries):
        return Text("report.no_casualties")
    return Text(
        "report.casualties",
        deaths=report.deaths or 0,
        serious=report.serious_injuries or 0,
        minor=report.minor_injuries or 0,
    )


def describe(
    report: Report,
    *,
    unit_name: str,
    reporter: str | None,
    location_name: str | None = None,
    when: str = "",
) -> list[Line]:
    """The lines that say what was reported (notices, /incidents, the summary). `reporter` None: hidden
    (anonymous, and the reader is no safety officer)."""
    lines: list[Line] = [Text("report.line_unit", unit=unit_name)]
    if when:
        lines.append(Text("report.line_when", when=when))
    if report.category_name:
        lines.append(Text("report.line_category", category=report.category_name))
    if report.kind == Kind.HAZARD and report.severity:
        lines.append(Text("report.line_severity", severity=Text(f"report.severity_{report.severity}")))
    if report.kind == Kind.ACCIDENT:
        lines.append(Text("report.line_casualties", casualties=casualties(report)))
    place = location_name or report.location_text
    if place:
        lines.append(Text("report.line_location", location=place))
    elif report.latitude is not None and report.longitude is not None:
        lines.append(
            Text("report.line_coordinates", lat=f"{report.latitude:.5f}", lon=f"{report.longitude:.5f}")
        )
    lines.append(Text("report.line_description", description=report.description))
    lines.append(
        Text("report.line_reporter", reporter=reporter if reporter is not None else Text("report.anonymous"))
    )
    return lines


def reporter_for(report: Report, reporter_name: str, *, reader_is_officer: bool) -> str | None:
    """The reporter's name as this reader may see it (None: hidden)."""
    return reporter_name if (not report.anonymous or reader_is_officer) else None


async def location_name(session: AsyncSession, report: Report) -> str | None:
    if report.location_id is None:
        return None
    location = await session.get(Location, report.location_id)
    return location.name if location else None


async def notify(
    session: AsyncSession, report: Report, *, now: datetime, defaults: Defaults, tree: UnitTree | None = None
) -> int:
    """The notices of a new report (outbox, in the caller's transaction); returns how many."""
    assert report.id is not None
    tree = tree or await UnitTree.load(session)
    roles = [Role.TEAM_LEADER, Role.SAFETY_OFFICER]
    if is_serious(report.kind, report.severity):
        roles.append(Role.MANAGER)
    held: dict[int, set[str]] = {}
    for role in roles:
        for person in (await tree.audience(report.unit_id, role)).people:
            if person.id is not None and person.id != report.reporter_id:
                held.setdefault(person.id, set()).add(role)
    if is_serious(report.kind, report.severity):  # on a holiday: the 带班领导 and 值班员 on duty now too
        for duty in await roster.on_duty(session, unit_id=report.unit_id, now=now, defaults=defaults):
            if duty.person_id != report.reporter_id and duty.person_id not in held:
                held[duty.person_id] = {ON_DUTY}
    if not held:
        return 0
    unit = tree.units.get(report.unit_id) or await session.get(Unit, report.unit_id)
    reporter = await session.get(Person, report.reporter_id)
    place = await location_name(session, report)
    photos = await rq.photos_of(session, report_id=report.id, stage="report")
    files = tuple(Attachment("photo", path=p.path, file_id=p.file_id) for p in photos)
    when = defaults.zone(unit.timezone if unit else None)
    envelopes = []
    for person_id, person_roles in held.items():
        officer = Role.SAFETY_OFFICER in person_roles
        lines = describe(
            report,
            unit_name=unit.name if unit else report.unit_id,
            reporter=reporter_for(report, reporter.name if reporter else "?", reader_is_officer=officer),
            location_name=place,
            when=report.created_at.astimezone(when).strftime("%Y-%m-%d %H:%M"),
        )
        title = Text(
            "report.notice_serious" if is_serious(report.kind, report.severity) else "report.notice",
            kind=kind_text(report.kind),
            number=report.number,
        )
        view = View((title, *lines), notice_actions(report, person_roles), files)
        key = f"report:{report.id}:notice:{person_id}"
        envelopes.append(Envelope(key=key, kind="report", view=view, person_id=person_id))
    return await outbox.enqueue(session, envelopes, now=now, default_channel=defaults.channel)


def notice_actions(report: Report, roles: Sequence[str] | set[str]) -> tuple[tuple[Action, ...], ...]:
    row: list[Action] = []
    if Role.SAFETY_OFFICER in roles:
        row.append(Action(Text("report.assign"), ASSIGN, str(report.id)))
    if Role.MANAGER in roles and report.kind == Kind.ACCIDENT:
        row.append(Action(Text("report.authority_reported"), AUTHORITY_REPORTED, str(report.id)))
    return (tuple(row),) if row else ()
