"""A submitted report: checked, numbered, stored with its photos and first event, its notices written and
the duties it opens started — all in the caller's transaction. The chat flow (`/report`), an inspection's
隐患 items and tests all come through here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import textcheck
from safety.config import Defaults
from safety.escalation import UnitTree
from safety.reports import duties, routing
from safety.reports.numbers import next_number
from safety.reports.rules import (
    CASUALTY_LIMIT,
    DESCRIPTION_LIMIT,
    GENERAL,
    LOCATION_LIMIT,
    MAJOR,
    MAX_PHOTOS,
    Kind,
)
from storage.models import Report, ReportEvent, ReportPhoto, Unit


@dataclass(frozen=True)
class Photo:
    """A photo kept for a report: the chat's file id and the copy under the data folder."""

    file_id: str
    sha256: str
    path: str
    size: int


@dataclass(frozen=True)
class ReportInput:
    kind: str
    unit_id: str  # the location's unit when there is a location, else the reporter's
    description: str
    category_list: str | None = None
    category_code: str | None = None
    category_name: str | None = None
    severity: str | None = None  # hazards: general | major
    deaths: int | None = None
    serious_injuries: int | None = None
    minor_injuries: int | None = None
    location_id: str | None = None
    location_text: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    photos: tuple[Photo, ...] = ()
    anonymous: bool = False
    inspection_id: int | None = None


class ReportRejected(ValueError):
    """The input breaks a rule; `key` is the text key that says which (nothing was stored)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def check(data: ReportInput) -> None:
    """The rules every report meets, whatever the way in; raises ReportRejected."""
    if data.kind not in set(Kind):
        raise ReportRejected("report.bad_kind")
    description = data.description.strip()
    if not description:
        raise ReportRejected("report.description_empty")
    if len(description) > DESCRIPTION_LIMIT:
        raise ReportRejected("report.description_too_long")
    if textcheck.control_characters(description, multiline=True):
        raise ReportRejected("report.control_characters")
    if data.location_text is not None and len(data.location_text) > LOCATION_LIMIT:
        raise ReportRejected("report.location_too_long")
    if len(data.photos) > MAX_PHOTOS:
        raise ReportRejected("report.too_many_photos")
    if data.kind == Kind.HAZARD and data.severity not in {GENERAL, MAJOR}:
        raise ReportRejected("report.bad_severity")
    for count in (data.deaths, data.serious_injuries, data.minor_injuries):
        if count is not None and not 0 <= count <= CASUALTY_LIMIT:
            raise ReportRejected("report.bad_casualties")


async def create(
    session: AsyncSession, data: ReportInput, *, reporter_id: int, now: datetime, defaults: Defaults
) -> Report:
    """Store the report and start what follows from it; raises ReportRejected (nothing stored)."""
    check(data)
    tree = await UnitTree.load(session)
    unit = tree.units.get(data.unit_id) or await session.get(Unit, data.unit_id)
    if unit is None:
        raise ReportRejected("report.bad_unit")
    number = await next_number(session, kind=data.kind, now=now, zone=defaults.zone(unit.timezone))
    report = Report(
        number=number,
        kind=data.kind,
        unit_id=unit.id,
        reporter_id=reporter_id,
        anonymous=data.anonymous,
        category_list=data.category_list,
        category_code=data.category_code,
        category_name=data.category_name,
        severity=data.severity if data.kind == Kind.HAZARD else None,
        deaths=data.deaths,
        serious_injuries=data.serious_injuries,
        minor_injuries=data.minor_injuries,
        location_id=data.location_id,
        location_text=data.location_text,
        latitude=data.latitude,
        longitude=data.longitude,
        description=data.description.strip(),
        inspection_id=data.inspection_id,
        created_at=now,
    )
    session.add(report)
    await session.flush()
    assert report.id is not None
    for photo in data.photos:
        session.add(
            ReportPhoto(
                report_id=report.id,
                stage="report",
                file_id=photo.file_id,
                sha256=photo.sha256,
                path=photo.path,
                size=photo.size,
                created_at=now,
            )
        )
    session.add(ReportEvent(report_id=report.id, action="reported", actor_id=reporter_id, at=now))
    await session.flush()
    await routing.notify(session, report, now=now, defaults=defaults, tree=tree)
    await duties.on_reported(session, report, now=now, defaults=defaults)
    return report
