"""`import holidays` against the database (SQLite and PostgreSQL): all-or-nothing, idempotent, and what the
WorkCalendar built from the stored rows says."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from safety.calendar import WorkCalendar
from storage import calendar_queries
from storage.db import Database
from storage.models import AuditEntry
from tests.calendar.helpers import EXAMPLE_TEXT, ok, rejected, run_import, stored

THREE_ERRORS = (
    "year: 2027\n"
    "holidays:\n"
    "  - {name: 春节, from: 2027-02-05, to: 2027-02-13}\n"
    "  - {name: 国庆, from: 2027-10-07, to: 2027-10-01}\n"  # 4: reversed
    "workdays:\n"
    "  - 2027-02-10\n"  # 6: inside 春节
    "  - 2027-03-01\n"  # 7: a Monday
)


async def test_import_then_the_calendar_knows_2027(db: Database) -> None:
    report = ok(await run_import(db, EXAMPLE_TEXT))
    assert report.change.created == len(report.plan.days) and not report.library_year
    async with db.session() as session:
        calendar = await WorkCalendar.load(session)
    assert calendar.source(2027) == "imported"
    assert calendar.is_workday(date(2027, 2, 8)) is False  # a Monday inside 春节
    assert calendar.is_workday(date(2027, 2, 14)) is True  # a Sunday, 调休
    assert calendar.holiday_name(date(2027, 10, 1)) == "国庆节"
    assert calendar.source(2026) == "library"


async def test_reimport_changes_nothing(db: Database) -> None:
    first = ok(await run_import(db, EXAMPLE_TEXT))
    before = await stored(db)
    second = ok(await run_import(db, EXAMPLE_TEXT))
    assert not second.change.changed
    assert second.change.unchanged == first.change.created == len(before)
    assert await stored(db) == before


async def test_reimport_replaces_the_year_exactly(db: Database) -> None:
    example = ok(await run_import(db, EXAMPLE_TEXT)).plan
    ok(await run_import(db, "year: 2028\nholidays:\n  - {name: 元旦, from: 2028-01-01, to: 2028-01-03}\n"))
    smaller = (
        "year: 2027\nholidays:\n  - {name: 春节, from: 2027-02-06, to: 2027-02-13}\nworkdays: [2027-02-20]\n"
    )
    report = ok(await run_import(db, smaller))
    assert report.change.created == 1  # 02-20
    assert report.change.unchanged == 8  # 02-06 … 02-13
    assert report.change.updated == 0
    assert report.change.deleted == len(example.days) - 8  # 02-05 and every other day of the example
    ok(await run_import(db, smaller))
    rows = await stored(db)
    assert [r for r in rows if r[1] == 2027] == [
        *((f"2027-02-{d:02d}", 2027, False, "spring_festival") for d in range(6, 14)),
        ("2027-02-20", 2027, True, "spring_festival"),
    ]
    assert [r[0] for r in rows if r[1] == 2028] == ["2028-01-01", "2028-01-02", "2028-01-03"]
    async with db.session() as session:
        assert await calendar_queries.imported_years(session) == [2027, 2028]


async def test_three_errors_are_all_listed_and_nothing_changes(db: Database) -> None:
    ok(await run_import(db, EXAMPLE_TEXT))
    before = await stored(db)
    assert rejected(await run_import(db, THREE_ERRORS)) == [
        (4, "holiday_range_reversed"),
        (6, "workday_in_holiday"),
        (7, "workday_not_weekend"),
    ]
    assert await stored(db) == before


async def test_each_applied_import_is_audited(db: Database) -> None:
    ok(await run_import(db, EXAMPLE_TEXT))
    rejected(await run_import(db, THREE_ERRORS))
    async with db.session() as session:
        entries = list((await session.exec(select(AuditEntry))).all())
    assert [e.action for e in entries] == ["import.holidays"]
    assert entries[0].detail is not None and entries[0].detail["year"] == 2027


async def test_a_library_year_can_be_overridden(db: Database) -> None:
    report = ok(
        await run_import(db, "year: 2026\nholidays:\n  - {name: 国庆, from: 2026-10-01, to: 2026-10-08}\n")
    )
    assert report.library_year
    async with db.session() as session:
        calendar = await WorkCalendar.load(session)
    assert calendar.source(2026) == "imported"
    assert calendar.is_workday(date(2026, 10, 8)) is False
    assert calendar.is_workday(date(2026, 2, 16)) is True  # the imported year replaces the library's
