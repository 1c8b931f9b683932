"""Sheets other features register (safety.export.extra.EXTRA_SHEETS) follow the two built-in sheets in the
workbook and in the CSV zip, with the same layout (frozen header, widths, percentages) and progress; a
database failure while a sheet streams exits 2 with nothing written; and while an export runs, the bot
keeps writing (on SQLite the export reads without the write lock)."""

from __future__ import annotations

import asyncio
import csv
import io
import threading
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession
from typer.testing import CliRunner, Result

from bot.cli import app
from safety.export import extra
from safety.export.period import parse_month
from safety.export.scope import load_scope
from safety.export.sheet import Cell, Column, ExportScope
from safety.export.sheets import sheets
from safety.export.writers import write
from safety.texts import catalog
from storage.db import Database
from storage.models import Person
from tests.export.expected import xlsx_rows
from tests.export.month import DEFAULTS, play

runner = CliRunner()


class Sample:
    """A tiny sheet: one row per exported unit with a rate, read from the export's scope."""

    key = "sample"

    def __init__(
        self, fail_after: int | None = None, pause: tuple[threading.Event, threading.Event] | None = None
    ):
        self.fail_after, self.pause = fail_after, pause

    def columns(self, language: str) -> list[Column]:
        return [Column("单位编号", 16), Column("单位", 18), Column("完成率", 9, percent=True)]

    async def rows(
        self, session: AsyncSession, scope: ExportScope, language: str
    ) -> AsyncIterator[list[Cell]]:
        for n, unit in enumerate(scope.units):
            if self.fail_after is not None and n >= self.fail_after:
                raise OperationalError("SELECT", {}, Exception("server closed the connection"))
            if self.pause is not None:  # tell the test the export is under way, wait until it says go
                started, go = self.pause
                started.set()
                assert await asyncio.to_thread(go.wait, 20)
            yield [unit.id, unit.name, 0.75 if n == 0 else None]


@pytest.fixture(autouse=True)
def sample_title(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SAFETYBOT_LANGUAGE", "zh-CN")
    monkeypatch.setitem(catalog("zh-CN"), "export.sheet.sample", "样例")
    monkeypatch.setitem(catalog("en"), "export.sheet.sample", "Sample")
    yield


def register(monkeypatch: pytest.MonkeyPatch, source: Sample) -> None:
    monkeypatch.setattr(extra, "EXTRA_SHEETS", [source])


async def run_export(db: Database, *args: str) -> Result:
    return await asyncio.to_thread(runner.invoke, app, ["export", *args, "--database-url", db.url])


async def test_a_registered_sheet_follows_in_the_workbook_and_the_zip(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await play(db, tmp_path / "data")
    register(monkeypatch, Sample())
    out = tmp_path / "m.xlsx"
    result = await run_export(db, "--month", "2026-11", "--out", str(out))
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == ["汇总", "个人记录", "样例"]
    sheet = book["样例"]
    assert sheet.freeze_panes == "A2" and sheet.column_dimensions["B"].width == 18
    assert sheet["C2"].value == 0.75 and sheet["C2"].number_format == "0.0%"
    assert xlsx_rows(out, "样例") == [
        ["单位编号", "单位", "完成率"],
        ["proj-x", "导出项目部", 0.75],
        ["team-x", "导出班", None],
    ]
    assert len(xlsx_rows(out, "个人记录")) == 10  # the built-in sheets are whole

    zipped = tmp_path / "m.zip"
    result = await run_export(db, "--month", "2026-11", "--out", str(zipped), "--format", "csv")
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(zipped) as archive:
        assert archive.namelist() == ["汇总.csv", "个人记录.csv", "样例.csv"]
        found = list(csv.reader(io.StringIO(archive.read("样例.csv").decode("utf-8-sig"))))
    assert found == [
        ["单位编号", "单位", "完成率"],
        ["proj-x", "导出项目部", "0.75"],
        ["team-x", "导出班", ""],
    ]


async def test_a_registered_sheet_counts_in_the_progress(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await play(db, tmp_path / "data")
    register(monkeypatch, Sample())
    steps: list[int] = []
    async with db.session() as session:
        scope = await load_scope(session, month=parse_month("2026-11"), unit="team-x", defaults=DEFAULTS)
        tables = sheets(session, scope, "en")
        counts = await write(tables, tmp_path / "t.xlsx", file_format="xlsx", progress=steps.append)
    assert [t.name for t in tables] == ["Summary", "Records", "Sample"]
    assert counts == [1, 7, 1] and sum(steps) == 9


async def test_a_database_failure_while_a_sheet_streams_leaves_nothing(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await play(db, tmp_path / "data")
    register(monkeypatch, Sample(fail_after=1))
    out = tmp_path / "out"
    out.mkdir()
    for file_format, name in (("xlsx", "m.xlsx"), ("csv", "m.zip")):
        result = await run_export(db, "--month", "2026-11", "--out", str(out / name), "--format", file_format)
        assert result.exit_code == 2 and "数据库无法读取：" in result.output, result.output
        assert "server closed the connection" in result.output
    assert list(out.iterdir()) == []


async def test_the_bot_keeps_writing_while_an_export_runs(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await play(db, tmp_path / "data")
    started, go = threading.Event(), threading.Event()
    register(monkeypatch, Sample(pause=(started, go)))
    out = tmp_path / "m.xlsx"
    running = asyncio.ensure_future(run_export(db, "--month", "2026-11", "--out", str(out)))
    try:
        assert await asyncio.to_thread(started.wait, 20)  # the export has read and written two sheets
        async with asyncio.timeout(5), db.session() as session:  # the bot records something meanwhile
            await session.exec(update(Person).where(col(Person.employee_no) == "W1").values(language="en"))
    finally:
        go.set()
    result = await running
    assert result.exit_code == 0, result.output
    async with db.session() as session:
        person = (await session.exec(select(Person).where(Person.employee_no == "W1"))).one()
    assert person.language == "en"
    assert len(xlsx_rows(out, "个人记录")) == 10 and len(xlsx_rows(out, "样例")) == 3
