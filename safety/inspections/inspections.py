"""An inspection by checklist at a location (每天例行安全检查, 每月安全大检查, 专项检查): who, when, where,
every item's result; every 隐患 item becomes a hazard report (safety.reports.create) that enters the
rectification loop; a finished inspection closes the required inspections it fulfils.

Inspectors are team leaders and safety officers; their scope is the units where they hold one of these
roles and every unit below. All of `record` happens in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.access import Actor
from safety.config import Defaults
from safety.inspections import requirements
from safety.reports.create import Photo, ReportInput, create
from safety.reports.rules import DESCRIPTION_LIMIT, GENERAL, Kind
from safety.roles import Role
from safety.texts import t
from storage import inspection_queries as iq
from storage import org_queries as oq
from storage.models import Checklist, Inspection, InspectionResult, Location, Unit

INSPECTORS = frozenset({Role.TEAM_LEADER, Role.SAFETY_OFFICER})
OK, HAZARD = "ok", "hazard"
NOTE_LIMIT = 500
LOCATION_LIMIT = 200


@dataclass(frozen=True)
class Answer:
    """One item as answered: ok or hazard (with an optional note and photo)."""

    result: str
    note: str | None = None
    photo: Photo | None = None


@dataclass(frozen=True)
class Recorded:
    inspection_id: int
    items: int
    hazards: int
    numbers: tuple[str, ...]  # the hazard reports, in item order


class InspectionRefused(ValueError):
    """The inspection cannot be recorded as asked; `key` says why (nothing stored)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def may_inspect(actor: Actor) -> bool:
    return actor.has_any(INSPECTORS)


async def scope(session: AsyncSession, actor: Actor) -> list[str]:
    """The units the actor may inspect: where they are team leader or safety officer, and below."""
    units: list[str] = []
    for unit_id in sorted(actor.units_with(INSPECTORS)):
        for found in await oq.unit_descendants(session, unit_id=unit_id, active_only=True):
            if found not in units:
                units.append(found)
    return units


async def checklists(session: AsyncSession) -> list[Checklist]:
    return await iq.active_checklists(session)


async def checklist(session: AsyncSession, checklist_id: str) -> Checklist | None:
    found = await iq.get_checklist(session, checklist_id=checklist_id)
    return found if found is not None and found.active else None


async def locations(session: AsyncSession, actor: Actor) -> list[Location]:
    """The active locations of the units in the actor's scope."""
    return await iq.active_locations(session, unit_ids=await scope(session, actor))


async def location_in_scope(session: AsyncSession, actor: Actor, location_id: str) -> Location | None:
    """The location, if active and in the actor's scope now."""
    found = await iq.get_location(session, location_id=location_id)
    if found is None or not found.active or found.unit_id not in await scope(session, actor):
        return None
    return found


def description(language: str, *, title: str, item: str, note: str | None) -> str:
    """A 隐患 item as the hazard report's description: the checklist, the item and the note."""
    key = "inspect.report_description_note" if note else "inspect.report_description"
    text = t(language, key, checklist=title, item=item, note=note or "")
    return text if len(text) <= DESCRIPTION_LIMIT else text[: DESCRIPTION_LIMIT - 1] + "…"


async def record(
    session: AsyncSession,
    *,
    actor: Actor,
    checklist_id: str,
    items: Sequence[str],
    answers: Sequence[Answer],
    location_id: str | None,
    location_text: str | None,
    started_at: datetime,
    now: datetime,
    defaults: Defaults,
) -> Recorded:
    """Store the inspection and one result per item, create a hazard report per 隐患 item and close the
    required inspections it fulfils; raises InspectionRefused (nothing stored)."""
    if not may_inspect(actor):
        raise InspectionRefused("inspect.not_allowed")
    found = await iq.get_checklist(session, checklist_id=checklist_id)
    if found is None or len(answers) != len(items) or not items:
        raise InspectionRefused("inspect.checklist_gone")
    if any(a.result not in (OK, HAZARD) for a in answers):
        raise InspectionRefused("inspect.bad_answer")
    unit_id = actor.unit_id
    if location_id is not None:
        location = await location_in_scope(session, actor, location_id)
        if location is None:
            raise InspectionRefused("inspect.location_gone")
        unit_id = location.unit_id
    elif location_text is None or not location_text.strip() or len(location_text) > LOCATION_LIMIT:
        raise InspectionRefused("inspect.location_missing")
    inspection = await iq.add_inspection(
        session,
        inspection=Inspection(
            checklist_id=checklist_id,
            unit_id=unit_id,
            location_id=location_id,
            location_text=location_text.strip() if location_text else None,
            inspector_id=actor.person_id,
            started_at=min(started_at, now),
            finished_at=now,
        ),
        results=[
            InspectionResult(
                inspection_id=0,
                position=index,
                item=item,
                result=answer.result,
                note=answer.note,
                photo_file_id=answer.photo.file_id if answer.photo else None,
            )
            for index, (item, answer) in enumerate(zip(items, answers, strict=True))
        ],
    )
    assert inspection.id is not None
    numbers = await _hazard_reports(
        session, inspection, title=found.title, items=items, answers=answers, now=now, defaults=defaults
    )
    await requirements.close_done(
        session, unit_id=unit_id, inspector_id=actor.person_id, now=now, defaults=defaults
    )
    hazards = sum(1 for a in answers if a.result == HAZARD)
    return Recorded(inspection.id, len(items), hazards, tuple(numbers))


async def _hazard_reports(
    session: AsyncSession,
    inspection: Inspection,
    *,
    title: str,
    items: Sequence[str],
    answers: Sequence[Answer],
    now: datetime,
    defaults: Defaults,
) -> list[str]:
    """One hazard report (一般) per 隐患 item, linked to the inspection and to its result row."""
    assert inspection.id is not None
    results = {r.position: r for r in await iq.results_of(session, inspection_id=inspection.id)}
    numbers = []
    for index, (item, answer) in enumerate(zip(items, answers, strict=True)):
        if answer.result != HAZARD:
            continue
        report = await create(
            session,
            ReportInput(
                kind=Kind.HAZARD,
                unit_id=inspection.unit_id,
                description=description(defaults.language, title=title, item=item, note=answer.note),
                severity=GENERAL,
                location_id=inspection.location_id,
                location_text=inspection.location_text,
                photos=(answer.photo,) if answer.photo else (),
                inspection_id=inspection.id,
            ),
            reporter_id=inspection.inspector_id,
            now=now,
            defaults=defaults,
        )
        result = results.get(index)
        if result is not None:
            result.report_id = report.id
            session.add(result)
        numbers.append(report.number)
    await session.flush()
    return numbers


@dataclass(frozen=True)
class TodayCounts:
    inspections: int
    hazards: int


async def todays_counts(
    session: AsyncSession, *, actor: Actor, units: Sequence[str], now: datetime, defaults: Defaults
) -> TodayCounts:
    """Inspections finished today (the actor's unit's date) at these units, and the 隐患 items found."""
    unit = await session.get(Unit, actor.unit_id)
    zone = defaults.zone(unit.timezone if unit else None)
    local = now.astimezone(zone)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    found, hazards = await iq.counts_in_units(
        session, unit_ids=units, start=start.astimezone(UTC), end=(start + timedelta(days=1)).astimezone(UTC)
    )
    return TodayCounts(found, hazards)
