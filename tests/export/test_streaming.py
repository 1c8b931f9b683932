"""The export streams: the per-person sheet is read a batch of units at a time (a batch's rows are written
before the next batch is read, so memory holds one batch's month), every row reaches the file in batches
with progress, the progress line shows on stderr for a large export, and a person who moved to another
unit keeps the days spent at the former one (their rows come with their unit's, the former unit's summary
keeps its rounds)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, update

from bot.cli_export import PROGRESS_FROM, ProgressLine
from safety.export import rows
from safety.export.period import parse_month
from safety.export.rows import PersonDay
from safety.export.scope import load_scope
from safety.export.sheet import Cell
from safety.export.sheets import MonthRecord, Sheet, person_cells, person_columns, summary_columns
from safety.export.writers import write
from storage import export_queries as eq
from storage.db import Database
from storage.models import Person, Unit
from tests.export.expected import PEOPLE, SUMMARY, xlsx_rows
from tests.export.month import DEFAULTS, play


def big_sheets() -> list[Sheet]:
    month = parse_month("2026-11")

    async def people() -> AsyncIterator[list[Cell]]:
        for n in range(100):
            for d in range(30):
                day = PersonDay(
                    n, f"E{n:04d}", f"人{n}", "班", month.first + timedelta(days=d), checkin="on_time"
                )
                yield person_cells(day, "zh-CN")

    async def summary() -> AsyncIterator[list[Cell]]:
        yield ["team", "班", 3000, 3000, *[0] * 29]

    return [
        Sheet("汇总", summary_columns("zh-CN"), summary, last=True),
        Sheet("个人记录", person_columns("zh-CN"), people),
    ]


async def test_a_large_export_writes_every_row_in_batches_with_progress(tmp_path: Path) -> None:
    steps: list[int] = []
    for file_format, name in (("xlsx", "big.xlsx"), ("csv", "big.zip")):
        steps.clear()
        counts = await write(big_sheets(), tmp_path / name, file_format=file_format, progress=steps.append)
        assert counts == [1, 3000]
        assert sum(steps) == 3001 and max(steps) == 500  # in batches, not once at the end
    rows = xlsx_rows(tmp_path / "big.xlsx", "个人记录")
    assert len(rows) == 3001 and rows[-1][:5] == ["E0099", "人99", "班", "2026-11-30", "按时"]
    assert xlsx_rows(tmp_path / "big.xlsx", "汇总")[1][:3] == ["team", "班", 3000]
    with zipfile.ZipFile(tmp_path / "big.zip") as archive:
        assert archive.namelist() == ["汇总.csv", "个人记录.csv"]
        assert archive.read("个人记录.csv").decode("utf-8-sig").count("\r\n") == 3001


async def test_a_batch_of_units_is_read_only_after_the_previous_batchs_rows_went_out(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await play(db, tmp_path / "data")
    read: list[list[str]] = []
    people = eq.people

    def recording(session: Any, unit_ids: list[str]) -> AsyncIterator[Any]:
        read.append(list(unit_ids))
        return people(session, unit_ids)

    monkeypatch.setattr(eq, "people", recording)
    async with db.session() as session:
        scope = await load_scope(session, month=parse_month("2026-11"), unit=None, defaults=DEFAULTS)
        together = [row async for row in MonthRecord(session, scope, "zh-CN").people_rows()]
        assert read == [["team-x", "proj-x"]]  # 4 people: one batch, 导出班 sorts first

        read.clear()
        monkeypatch.setattr(rows, "BATCH_PEOPLE", 1)  # one unit per batch
        record = MonthRecord(session, scope, "zh-CN")
        found = record.people_rows()
        first = await anext(found)
        assert first[:4] == ["L1", "班长", "导出班", "2026-11-02"] and read == [["team-x"]]
        rest = [row async for row in found]
        assert [r[0] for r in rest] == ["L1", "W1", "W1", "W2", "W2", "W2", "S1", "S1"]
        assert read == [["team-x"], ["proj-x"]] and [first, *rest] == together
        summary = [row async for row in record.summary_rows()]  # kept as the units went by: no third pass
    assert [r[0] for r in summary] == ["proj-x", "team-x"] and read == [["team-x"], ["proj-x"]]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_line_shows_only_for_a_large_export() -> None:
    quiet = io.StringIO()
    small = ProgressLine("zh-CN", quiet)
    small(PROGRESS_FROM - 1)
    small(0)
    small.close()
    assert quiet.getvalue() == ""

    log = io.StringIO()  # not a terminal: one line when it starts, the count at the end
    large = ProgressLine("zh-CN", log)
    for _ in range(12):
        large(500)
    large.close()
    assert log.getvalue() == "正在导出…\n正在导出…已写入 6000 行\n"

    screen = Terminal()  # a terminal: one line redrawn, a spinner and the count
    live = ProgressLine("en", screen)
    for _ in range(5):
        live(500)
    live.close()
    drawn = screen.getvalue()
    assert drawn.startswith("\r| Exporting… 2000 rows written\r/ Exporting… 2500 rows written")
    assert drawn.endswith("\rExporting… 2500 rows written  \n")


@pytest.mark.parametrize("batch", [1, rows.BATCH_PEOPLE])  # the former unit read apart, or together
async def test_a_person_who_moved_keeps_the_days_at_the_former_unit(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    await play(db, tmp_path / "data")
    async with db.session() as session:  # W1 moves to a new team after the month
        session.add(Unit(id="team-y", name="新班", parent_id="proj-x"))
    async with db.session() as session:
        await session.exec(update(Person).where(col(Person.employee_no) == "W1").values(unit_id="team-y"))
    monkeypatch.setattr(rows, "BATCH_PEOPLE", batch)
    async with db.session() as session:
        scope = await load_scope(session, month=parse_month("2026-11"), unit=None, defaults=DEFAULTS)
        record = MonthRecord(session, scope, "zh-CN")
        people = [row async for row in record.people_rows()]
        summary = {row[0]: row async for row in record.summary_rows()}
    moved = [row for row in PEOPLE if row[0] == "W1"]
    stayed = [row for row in PEOPLE if row[0] != "W1"]
    assert people == [*stayed, *[[*row[:2], "新班", *row[3:]] for row in moved]]  # 新 sorts after 导
    assert summary["team-x"] == SUMMARY[1]  # the rounds, the report and the card stay the team's
    assert summary["team-y"][2:8] == [0, 0, 0, 0, 0, None]
