"""Reports for reading tests: created through safety.reports.create (as /report does) and moved through
their states by writing the report's fields and events directly (the chat transitions are tested where
they are built)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import col, update

from safety.config import Defaults
from safety.imports.results import ImportReport
from safety.imports.service import import_org_file
from safety.reports.create import Photo, ReportInput, create
from storage import org_queries as oq
from storage.db import Database
from storage.models import Person, Report, ReportEvent, ReportPhoto
from tests.flow.harness import EXAMPLES

# 2026-11-27 00:30 UTC is 08:30 in Shanghai (the flow harness's clock starts here too).
NOW = datetime(2026, 11, 27, 0, 30, tzinfo=UTC)


async def load_org(db: Database) -> dict[str, Person]:
    async with db.session() as session:
        report = await import_org_file(session, EXAMPLES / "org.yaml")
        assert isinstance(report, ImportReport), report
        return {p.employee_no: p for p in await oq.all_people(session)}


def pid(people: dict[str, Person], employee_no: str) -> int:
    person_id = people[employee_no].id
    assert person_id is not None
    return person_id


async def new_report(
    db: Database,
    reporter_id: int,
    *,
    at: datetime = NOW,
    kind: str = "hazard",
    unit_id: str = "team-blast",
    description: str = "脚手架扣件松动",
    photos: int = 0,
    **fields: Any,
) -> Report:
    if kind == "hazard":
        fields.setdefault("severity", "general")
    data = ReportInput(
        kind=kind,
        unit_id=unit_id,
        description=description,
        photos=tuple(
            Photo(file_id=f"file-{kind}-{n}", sha256=f"{n:064d}", path=f"photos/{n:064d}.jpg", size=1000 + n)
            for n in range(photos)
        ),
        **fields,
    )
    async with db.session() as session:
        report = await create(session, data, reporter_id=reporter_id, now=at, defaults=Defaults())
        session.expunge(report)
    return report


async def move(
    db: Database,
    report_id: int,
    action: str,
    *,
    actor_id: int,
    at: datetime,
    note: str | None = None,
    detail: dict[str, Any] | None = None,
    photos: int = 0,
    **values: Any,
) -> None:
    """One step of a report: its fields (state and the rest) and its event, in one transaction."""
    async with db.session() as session:
        if values:
            await session.exec(
                update(Report)
                .where(col(Report.id) == report_id)
                .values(**values, version=col(Report.version) + 1)
            )
        for n in range(photos):
            session.add(
                ReportPhoto(
                    report_id=report_id,
                    stage="submission",
                    file_id=f"proof-{report_id}-{n}",
                    sha256=f"{report_id:032d}{n:032d}",
                    path=f"photos/proof-{report_id}-{n}.jpg",
                    size=2000 + n,
                    created_at=at,
                )
            )
        session.add(
            ReportEvent(
                report_id=report_id, action=action, actor_id=actor_id, note=note, detail=detail, at=at
            )
        )


async def assign(
    db: Database,
    report_id: int,
    *,
    by: int,
    to: int,
    at: datetime,
    deadline: date,
    measures: str = "更换扣件",
) -> None:
    await move(
        db,
        report_id,
        "assigned",
        actor_id=by,
        at=at,
        detail={"responsible": to, "deadline": deadline.isoformat()},
        state="assigned",
        responsible_id=to,
        deadline=deadline,
        measures=measures,
        assigned_by=by,
        assigned_at=at,
        notice_path=f"notices/{report_id}.pdf",
    )
