"""A report being written in the chat (the flow "report"): which step comes next, what typed input means,
and the finished draft as a `ReportInput` for create().

The draft is the flow's data: kind; list_id, category_code, category_name; severity; deaths, serious,
minor; location_id, location_name, unit_id (from a QR code), location_text, lat, lon; description;
photos (dicts of a `Photo`), photos_done; anonymous. The next step is always the first one whose answer is
missing (`next_step`), so `修改` is: forget one answer (`EDIT_CLEARS`) and ask again — the other answers stay
and the flow comes back to the summary.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import textcheck
from safety.config import Defaults
from safety.reports.categories import needs_category
from safety.reports.create import Photo, ReportInput
from safety.reports.rules import (
    CASUALTY_LIMIT,
    DESCRIPTION_LIMIT,
    GENERAL,
    LOCATION_LIMIT,
    MAJOR,
    MAX_PHOTOS,
    Kind,
)
from safety.texts import LANGUAGES, t
from storage.models import Location, Unit

FLOW = "report"
KIND, CATEGORY, SEVERITY, CASUALTIES = "kind", "category", "severity", "casualties"
LOCATION, DESCRIPTION, PHOTOS, SUMMARY = "location", "description", "photos", "summary"
EDITABLE = (KIND, CATEGORY, SEVERITY, CASUALTIES, LOCATION, DESCRIPTION, PHOTOS)
KINDS = (Kind.HAZARD, Kind.NEAR_MISS, Kind.ACCIDENT, Kind.VIOLATION)
SEVERITIES = (GENERAL, MAJOR)

_ANSWER = {
    CATEGORY: ("list_id", "category_code", "category_name"),
    SEVERITY: ("severity",),
    CASUALTIES: ("deaths", "serious", "minor"),
    LOCATION: ("location_id", "location_name", "unit_id", "location_text", "lat", "lon"),
    DESCRIPTION: ("description",),
    PHOTOS: ("photos", "photos_done"),
}
EDIT_CLEARS: dict[str, tuple[str, ...]] = {
    KIND: ("kind", *_ANSWER[CATEGORY], *_ANSWER[SEVERITY], *_ANSWER[CASUALTIES]),
    **_ANSWER,
}
_SEPARATORS = re.compile(r"[\s,，、/]+")


def next_step(data: dict[str, Any]) -> str:
    """The first step whose answer is missing; the summary when none is."""
    kind = data.get("kind")
    if not kind:
        return KIND
    if needs_category(kind) and not data.get("category_code"):
        return CATEGORY
    if kind == Kind.HAZARD and data.get("severity") not in SEVERITIES:
        return SEVERITY
    if kind == Kind.ACCIDENT and data.get("deaths") is None:
        return CASUALTIES
    if not (data.get("location_id") or data.get("location_text") or data.get("lat") is not None):
        return LOCATION
    if not data.get("description"):
        return DESCRIPTION
    if not data.get("photos_done"):
        return PHOTOS
    return SUMMARY


def editable_steps(data: dict[str, Any]) -> list[str]:
    """The steps `修改` offers for this draft (those its kind has)."""
    kind = data.get("kind")
    steps = [KIND]
    if kind and needs_category(kind):
        steps.append(CATEGORY)
    if kind == Kind.HAZARD:
        steps.append(SEVERITY)
    if kind == Kind.ACCIDENT:
        steps.append(CASUALTIES)
    return [*steps, LOCATION, DESCRIPTION, PHOTOS]


def cleared(step: str) -> dict[str, Any]:
    """The changes that forget the answer of `step` (so it is asked again)."""
    return {key: None for key in EDIT_CLEARS[step]}


def _words(key: str) -> set[str]:
    return {t(language, key).strip().casefold() for language in LANGUAGES}


def typed_choice(text: str, options: dict[str, str]) -> str | None:
    """The option whose word (a catalog key, in any language) is the typed text: {value: key}."""
    typed = textcheck.visible(text).strip().casefold()
    return next((value for value, key in options.items() if typed in _words(key)), None)


def typed_kind(text: str) -> str | None:
    return typed_choice(text, {str(k): f"report_flow.kind_{k}" for k in KINDS})


def typed_severity(text: str) -> str | None:
    return typed_choice(text, {s: f"report_flow.severity_{s}" for s in SEVERITIES})


def casualties(text: str) -> tuple[int, int, int] | None:
    """Typed `死亡 重伤 轻伤` counts ("0 1 2"), or the words of `无人员伤亡`; None when it is neither."""
    if typed_choice(text, {"none": "report_flow.no_casualties"}) is not None:
        return (0, 0, 0)
    parts = [p for p in _SEPARATORS.split(textcheck.visible(text).strip()) if p]
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() and len(p) <= 6 for p in parts):
        return None
    counts = (int(parts[0]), int(parts[1]), int(parts[2]))
    return counts if all(0 <= c <= CASUALTY_LIMIT for c in counts) else None


def location_problem(text: str) -> str | None:
    """The text key that refuses a typed location, or None."""
    if textcheck.is_blank(text):
        return "report_flow.location_blank"
    if len(text.strip()) > LOCATION_LIMIT:
        return "report_flow.location_too_long"
    if textcheck.control_characters(text):
        return "report.control_characters"
    return None


def description_problem(text: str) -> str | None:
    if textcheck.is_blank(text):
        return "report.description_empty"
    if len(text.strip()) > DESCRIPTION_LIMIT:
        return "report.description_too_long"
    if textcheck.control_characters(text, multiline=True):
        return "report.control_characters"
    return None


def photos_of(data: dict[str, Any]) -> tuple[Photo, ...]:
    return tuple(Photo(**p) for p in data.get("photos") or [])


def room_for_photo(data: dict[str, Any]) -> bool:
    return len(data.get("photos") or []) < MAX_PHOTOS


def with_photo(data: dict[str, Any], photo: Photo) -> list[dict[str, Any]]:
    kept = list(data.get("photos") or [])
    kept.append({"file_id": photo.file_id, "sha256": photo.sha256, "path": photo.path, "size": photo.size})
    return kept


def to_input(data: dict[str, Any], *, reporter_unit: str) -> ReportInput:
    """The finished draft; its unit is the location's (a QR code) or else the reporter's."""
    kind = str(data.get("kind"))
    accident = kind == Kind.ACCIDENT
    return ReportInput(
        kind=kind,
        unit_id=str(data.get("unit_id") or reporter_unit),
        description=str(data.get("description") or ""),
        category_list=data.get("list_id"),
        category_code=data.get("category_code"),
        category_name=data.get("category_name"),
        severity=data.get("severity") if kind == Kind.HAZARD else None,
        deaths=data.get("deaths") if accident else None,
        serious_injuries=data.get("serious") if accident else None,
        minor_injuries=data.get("minor") if accident else None,
        location_id=data.get("location_id"),
        location_text=data.get("location_text"),
        latitude=data.get("lat"),
        longitude=data.get("lon"),
        photos=photos_of(data),
        anonymous=bool(data.get("anonymous")),
    )


async def location_for_report(session: AsyncSession, location_id: str) -> Location | None:
    """An active site location (a QR code's), whose unit is active; None otherwise."""
    if not location_id or len(location_id) > 64:
        return None
    location = await session.get(Location, location_id)
    if location is None or not location.active:
        return None
    unit = await session.get(Unit, location.unit_id)
    return location if unit is not None and unit.active else None


async def local_date(
    session: AsyncSession, data: dict[str, Any], *, reporter_unit: str, now: datetime, defaults: Defaults
) -> date:
    """The report's local date: today in the time zone of its unit (the location's, else the reporter's)."""
    unit = await session.get(Unit, str(data.get("unit_id") or reporter_unit))
    return defaults.today(now, unit.timezone if unit else None)


async def unit_name(session: AsyncSession, unit_id: str) -> str:
    unit = await session.get(Unit, unit_id)
    return unit.name if unit is not None else unit_id
