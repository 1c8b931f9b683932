"""Report numbers: per kind prefix and local day, and distinct under concurrent submits."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from safety.config import Defaults
from safety.imports.results import ImportReport
from safety.imports.service import import_org_file
from safety.reports.create import ReportInput, ReportRejected, create
from storage import org_queries as oq
from storage.db import Database
from tests.flow.harness import EXAMPLES

# 2026-11-27 16:30 UTC is 2026-11-28 00:30 in Shanghai: the number's day is the unit's local day.
NOW = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)


async def _reporter(db: Database) -> int:
    async with db.session() as session:
        report = await import_org_file(session, EXAMPLES / "org.yaml")
        assert isinstance(report, ImportReport), report
        people = {p.employee_no: p for p in await oq.all_people(session)}
    person = people["E1001"]
    assert person.id is not None
    return person.id


def _hazard(unit_id: str = "team-blast", **changes: object) -> ReportInput:
    fields: dict[str, object] = {
        "kind": "hazard",
        "unit_id": unit_id,
        "description": "脚手架扣件松动",
        "severity": "general",
    }
    fields.update(changes)
    return ReportInput(**fields)  # type: ignore[arg-type]


async def test_numbers_count_per_kind_and_local_day(db: Database) -> None:
    reporter = await _reporter(db)
    numbers = []
    for data in (_hazard(), _hazard(), _hazard(kind="accident", severity=None), _hazard(kind="violation")):
        async with db.session() as session:
            numbers.append(
                (await create(session, data, reporter_id=reporter, now=NOW, defaults=Defaults())).number
            )
    assert numbers == ["YH-20261128-0001", "YH-20261128-0002", "SG-20261128-0001", "WZ-20261128-0001"]


async def test_a_rejected_report_takes_no_number(db: Database) -> None:
    reporter = await _reporter(db)
    async with db.session() as session:
        with pytest.raises(ReportRejected) as raised:
            await create(
                session, _hazard(description="x" * 1001), reporter_id=reporter, now=NOW, defaults=Defaults()
            )
    assert raised.value.key == "report.description_too_long"
    async with db.session() as session:
        report = await create(session, _hazard(), reporter_id=reporter, now=NOW, defaults=Defaults())
    assert report.number == "YH-20261128-0001"


async def test_fifty_concurrent_submits_get_fifty_numbers(db: Database) -> None:
    """On PostgreSQL the fifty transactions really overlap (one upsert decides); SQLite queues writers."""
    reporter = await _reporter(db)

    async def submit(i: int) -> str:
        async with db.session() as session:
            data = _hazard(description=f"隐患 {i}")
            return (await create(session, data, reporter_id=reporter, now=NOW, defaults=Defaults())).number

    numbers = await asyncio.gather(*(submit(i) for i in range(50)))
    assert len(set(numbers)) == 50
    assert sorted(numbers) == [f"YH-20261128-{n:04d}" for n in range(1, 51)]
