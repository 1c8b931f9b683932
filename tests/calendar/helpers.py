"""Shared helpers for the calendar tests."""

from __future__ import annotations

from pathlib import Path

from safety.imports import ImportRejected
from safety.imports.holidays_file import HolidaysReport, import_holidays
from storage import calendar_queries
from storage.db import Database

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_2027 = ROOT / "examples" / "holidays-2027.yaml"
EXAMPLE_TEXT = EXAMPLE_2027.read_text(encoding="utf-8")


async def run_import(db: Database, text: str) -> HolidaysReport | ImportRejected:
    async with db.session() as session:
        return await import_holidays(session, text)


def ok(result: HolidaysReport | ImportRejected) -> HolidaysReport:
    assert isinstance(result, HolidaysReport), [f"{p.line}: {p.message}" for p in result.problems]
    return result


def rejected(result: object) -> list[tuple[int, str]]:
    assert isinstance(result, ImportRejected), f"expected problems, got {result}"
    return [(p.line, p.code) for p in result.problems]


async def stored(db: Database) -> list[tuple[str, int, bool, str | None]]:
    async with db.session() as session:
        rows = await calendar_queries.official_days(session)
    return [(r.day.isoformat(), r.year, r.is_workday, r.name) for r in rows]
