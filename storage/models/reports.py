"""Reports (hazard 隐患, near miss 未遂, accident 事故, violation 违章) and their rectification (整改),
category lists, site locations (QR codes), inspection checklists and inspections."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.base import utcnow

# --- categories and locations -------------------------------------------------------------------------------


class CategoryList(SQLModel, table=True):
    """A list of report categories for one report kind (GB 6441-86's 20 accident categories; a hazard
    list), in use from `effective_from`: the list in force on a report's date is the one offered."""

    __tablename__ = "category_lists"

    id: str = Field(primary_key=True, max_length=64)  # e.g. "gb6441-1986"
    kind: str = Field(max_length=16, index=True)  # accident | hazard | near_miss | violation
    name: str = Field(max_length=200)  # shown with the categories: which list is in use
    effective_from: date
    source: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow)


class Category(SQLModel, table=True):
    """One category of a list, in the list's order."""

    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("list_id", "code", name="uq_category_list_code"),)

    id: int | None = Field(default=None, primary_key=True)
    list_id: str = Field(foreign_key="category_lists.id", index=True, max_length=64)
    code: str = Field(max_length=32)
    name: str = Field(max_length=100)
    position: int = Field(default=0)


class Location(SQLModel, table=True):
    """A site location where hazards are reported (a QR poster hangs there); its unit decides who is told."""

    __tablename__ = "locations"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    unit_id: str = Field(foreign_key="units.id", index=True, max_length=64)
    active: bool = Field(default=True)


# --- reports ------------------------------------------------------------------------------------------------


class ReportCounter(SQLModel, table=True):
    """The last number given per prefix and local day: `YH-20261127-0003` is (YH, 2026-11-27, 3). Taken by
    one atomic upsert, so concurrent submits never share a number."""

    __tablename__ = "report_counters"

    prefix: str = Field(primary_key=True, max_length=4)
    day: date = Field(primary_key=True)
    last: int = Field(default=0)


class Report(SQLModel, table=True):
    """A report and its rectification: reported → assigned → submitted → closed (rejected: back to assigned).
    `version` makes every transition a compare-and-set; `events` keep who did what, when."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_unit_state", "unit_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=24)
    kind: str = Field(max_length=16)  # hazard | near_miss | accident | violation
    state: str = Field(default="reported", max_length=16)  # reported | assigned | submitted | closed
    version: int = Field(default=0)
    unit_id: str = Field(foreign_key="units.id", index=True, max_length=64)
    reporter_id: int = Field(foreign_key="people.id", index=True)
    anonymous: bool = Field(default=False)  # the reporter is shown to safety officers only
    category_list: str | None = Field(default=None, max_length=64)  # which list the category came from
    category_code: str | None = Field(default=None, max_length=32)
    category_name: str | None = Field(default=None, max_length=100)
    severity: str | None = Field(default=None, max_length=16)  # hazards: general | major
    deaths: int | None = None  # accidents: the casualties
    serious_injuries: int | None = None
    minor_injuries: int | None = None
    location_id: str | None = Field(default=None, foreign_key="locations.id", max_length=64)
    location_text: str | None = Field(default=None, max_length=200)
    latitude: float | None = None
    longitude: float | None = None
    description: str = Field(max_length=1000)
    inspection_id: int | None = Field(default=None, foreign_key="inspections.id")
    # rectification (五定: the person, the deadline, the measures; the issuer)
    responsible_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    deadline: date | None = None  # local date in the unit's time zone; due at its end
    measures: str | None = Field(default=None, max_length=1000)
    assigned_by: int | None = Field(default=None, foreign_key="people.id")
    assigned_at: datetime | None = None
    notice_path: str | None = Field(default=None, max_length=300)  # 整改通知单 PDF, under the data folder
    submitted_at: datetime | None = None
    closed_by: int | None = Field(default=None, foreign_key="people.id")
    closed_at: datetime | None = None
    # 回头看: the re-check of a closed hazard
    recheck_due_at: datetime | None = None
    rechecked_at: datetime | None = None
    # accidents: reported to the authorities (国务院令第493号: within one hour)
    authority_reported_by: int | None = Field(default=None, foreign_key="people.id")
    authority_reported_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ReportPhoto(SQLModel, table=True):
    """A photo of a report (`stage` report) or of its rectification (`stage` submission): the chat's file id
    and a copy under the data folder named by its content hash."""

    __tablename__ = "report_photos"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="reports.id", index=True)
    stage: str = Field(default="report", max_length=16)
    file_id: str = Field(max_length=256)
    sha256: str = Field(max_length=64)
    path: str = Field(max_length=300)  # relative to the data folder
    size: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)


class ReportEvent(SQLModel, table=True):
    """One step of a report's history: reported, assigned, submitted, rejected, closed, rechecked,
    reopened, authority_reported — who, when, with a note."""

    __tablename__ = "report_events"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="reports.id", index=True)
    action: str = Field(max_length=32)
    actor_id: int | None = Field(default=None, foreign_key="people.id")
    note: str | None = Field(default=None, max_length=1000)
    detail: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    at: datetime = Field(default_factory=utcnow)


# --- inspections ------------------------------------------------------------------------------------------


class Checklist(SQLModel, table=True):
    """An inspection checklist by topic (脚手架搭拆, 消防器材…); its items are data."""

    __tablename__ = "checklists"

    id: str = Field(primary_key=True, max_length=64)
    title: str = Field(max_length=200)
    items: list[str] = Field(sa_column=Column(JSON, nullable=False))
    active: bool = Field(default=True)


class Inspection(SQLModel, table=True):
    """One inspection by a checklist at a location (who, when, where), with one result per item."""

    __tablename__ = "inspections"

    id: int | None = Field(default=None, primary_key=True)
    checklist_id: str = Field(foreign_key="checklists.id", max_length=64)
    unit_id: str = Field(foreign_key="units.id", index=True, max_length=64)
    location_id: str | None = Field(default=None, foreign_key="locations.id", max_length=64)
    location_text: str | None = Field(default=None, max_length=200)
    inspector_id: int = Field(foreign_key="people.id", index=True)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class InspectionResult(SQLModel, table=True):
    """One item's answer: ok (合格) or hazard (隐患, with the hazard report it became)."""

    __tablename__ = "inspection_results"
    __table_args__ = (UniqueConstraint("inspection_id", "position", name="uq_inspection_result"),)

    id: int | None = Field(default=None, primary_key=True)
    inspection_id: int = Field(foreign_key="inspections.id", index=True)
    position: int
    item: str = Field(max_length=300)
    result: str = Field(max_length=16)  # ok | hazard
    note: str | None = Field(default=None, max_length=1000)
    photo_file_id: str | None = Field(default=None, max_length=256)
    report_id: int | None = Field(default=None, foreign_key="reports.id")
