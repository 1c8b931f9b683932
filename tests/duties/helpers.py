"""Shared helpers of the duty-list tests: importing a list in one session and reading what is stored."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from safety.imports.duties_file import DutiesReport, import_duties, import_duties_file
from safety.imports.results import ImportRejected
from storage import duty_list_queries as dlq
from storage.db import Database
from tests.imports.helpers import EXAMPLES

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
DUTIES = EXAMPLES / "duties.yaml"
HEADER = ["id", "role", "person", "units", "title", "frequency", "evidence"]


async def run_text(db: Database, text: str, now: datetime = NOW) -> DutiesReport | ImportRejected:
    async with db.session() as session:
        return await import_duties(session, text, now=now)


async def run_file(db: Database, path: Path, now: datetime = NOW) -> DutiesReport | ImportRejected:
    async with db.session() as session:
        return await import_duties_file(session, path, now=now)


def done(result: DutiesReport | ImportRejected) -> DutiesReport:
    assert isinstance(result, DutiesReport), [f"{p.line}: {p.message}" for p in result.problems]
    return result


def problems(result: DutiesReport | ImportRejected) -> list[tuple[int, str]]:
    assert isinstance(result, ImportRejected), f"expected problems, got {result}"
    return [(p.line, p.code) for p in result.problems]


async def stored(db: Database) -> dict[str, tuple[Any, ...]]:
    """id → (title, role, person_id, units, every, times, evidence, active), everything the list holds."""
    async with db.session() as session:
        items = await dlq.all_items(session)
    return {
        i.id: (i.title, i.role, i.person_id, i.units, i.every, i.times, i.evidence, i.source, i.active)
        for i in items
    }


def workbook(path: Path, rows: list[list[Any]], *, sheet: str = "duties", header: list[str] = HEADER) -> Path:
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = sheet
    first.append(header)
    for row in rows:
        first.append(row)
    book.save(path)
    return path
