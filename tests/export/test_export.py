"""`safetybot export` after a scripted month (tests/export/month.py), on SQLite and PostgreSQL: the
workbook's cells equal what the script did, cell by cell; the CSV zip holds the same values; a subtree
export keeps only that subtree; a bad month, an unknown unit or an unwritable path is refused with one line
and nothing written; two exports at once to one path leave one whole file. (Opening the file in LibreOffice:
test_libreoffice.py.)"""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.cli_export import ProgressLine, export
from safety.export.period import ExportError, parse_month
from safety.export.rows import PersonDay, UnitSummary, unit_months
from safety.export.scope import load_scope
from storage.db import Database
from tests.export.expected import (
    DUTIES,
    PEOPLE,
    PEOPLE_HEADER,
    RECORD,
    SHEETS,
    SUMMARY,
    SUMMARY_HEADER_START,
    blank,
    text,
    xlsx_rows,
)
from tests.export.month import DEFAULTS, play

runner = CliRunner()


@pytest.fixture(autouse=True)
def chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFETYBOT_LANGUAGE", "zh-CN")


async def run_export(db: Database, *args: str) -> Result:
    return await asyncio.to_thread(runner.invoke, app, ["export", *args, "--database-url", db.url])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Where the export goes (tmp_path itself holds the SQLite database and the bot's data folder)."""
    made = tmp_path / "out"
    made.mkdir()
    return made


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def collect(db: Database, month: str, unit: str | None) -> tuple[list[UnitSummary], list[PersonDay]]:
    """Every unit's summary (in the order the rows came) and every person-day of an export."""
    summaries: list[UnitSummary] = []
    days: list[PersonDay] = []
    async with db.session() as session:
        scope = await load_scope(session, month=parse_month(month), unit=unit, defaults=DEFAULTS)
        async for one in unit_months(session, scope):
            summaries.append(one.summary)
            days.extend(one.days)
    return summaries, days


async def test_the_workbook_holds_the_scripted_month_cell_by_cell(
    db: Database, folder: Path, tmp_path: Path
) -> None:
    await play(db, tmp_path / "data")
    out = folder / "2026-11.xlsx"
    result = await run_export(db, "--month", "2026-11", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "2 个单位、9 行个人记录" in result.output

    summary = xlsx_rows(out, "汇总")
    assert summary[0][: len(SUMMARY_HEADER_START)] == SUMMARY_HEADER_START
    assert len(summary[0]) == len(SUMMARY[0])
    assert summary[1:] == [[blank(v) for v in row] for row in SUMMARY]
    people = xlsx_rows(out, "个人记录")
    assert people[0] == PEOPLE_HEADER
    assert people[1:] == [[blank(v) for v in row] for row in PEOPLE]

    book = load_workbook(out)  # the layout: the summary first, frozen header, widths, percentages
    assert book.sheetnames == SHEETS
    assert xlsx_rows(out, "责任清单履职")[1:] == [[blank(v) for v in row] for row in DUTIES]
    assert xlsx_rows(out, "履职记录")[1:] == [[blank(v) for v in row] for row in RECORD]
    sheet = book["汇总"]
    assert sheet.freeze_panes == "A2" and book["个人记录"].freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == 20
    assert sheet["H3"].number_format == "0.0%" and sheet["H3"].value == 0.8
    assert names(folder) == ["2026-11.xlsx"]  # no temporary file left


async def test_the_csv_zip_holds_the_same_values(db: Database, folder: Path, tmp_path: Path) -> None:
    await play(db, tmp_path / "data")
    out = folder / "2026-11.zip"
    result = await run_export(db, "--month", "2026-11", "--out", str(out), "--format", "csv")
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist() == [f"{name}.csv" for name in SHEETS]  # in the workbook's order
        raw = {name: archive.read(name) for name in archive.namelist()}
    assert all(data.startswith(b"\xef\xbb\xbf") for data in raw.values())  # UTF-8 with BOM, for Excel

    def table(name: str) -> list[list[str]]:
        return list(csv.reader(io.StringIO(raw[name].decode("utf-8-sig"))))

    assert table("汇总.csv")[1:] == [[text(v) for v in row] for row in SUMMARY]
    assert table("个人记录.csv") == [PEOPLE_HEADER, *[[text(v) for v in row] for row in PEOPLE]]
    assert table("责任清单履职.csv")[1:] == [[text(v) for v in row] for row in DUTIES]
    assert table("履职记录.csv")[1:] == [[text(v) for v in row] for row in RECORD]
    assert names(folder) == ["2026-11.zip"]


async def test_a_unit_export_keeps_only_that_subtree(db: Database, tmp_path: Path) -> None:
    await play(db, tmp_path / "data")
    whole, whole_days = await collect(db, "2026-11", "proj-x")
    team, team_days = await collect(db, "2026-11", "导出班")  # by name
    october, october_days = await collect(db, "2026-10", None)
    assert sorted(u.unit_id for u in whole) == ["proj-x", "team-x"] and len(whole_days) == 9
    assert [u.unit_id for u in team] == ["team-x"]
    assert {d.employee_no for d in team_days} == {"L1", "W1", "W2"}  # S1 belongs to the project
    assert [(d.employee_no, d.day.isoformat(), d.checkin) for d in october_days] == [
        ("L1", "2026-10-31", "missed"),  # October's round: only W1 answered
        ("W1", "2026-10-31", "on_time"),
        ("W2", "2026-10-31", "missed"),
    ]
    assert next(u for u in october if u.unit_id == "team-x").checkin_rate == 0.3333


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "月份“2026-13”无效"),
        (["--month", "11/2026"], "月份“11/2026”无效"),
        (["--month", "2026-11", "--unit", "nowhere"], "没有单位“nowhere”"),
        (["--month", "2026-11", "--format", "pdf"], "格式“pdf”无效"),
    ],
)
async def test_a_bad_request_is_refused_with_nothing_written(
    db: Database, folder: Path, args: list[str], message: str
) -> None:
    out = folder / "x.xlsx"
    result = await run_export(db, *args, "--out", str(out))
    assert result.exit_code == 1
    assert message in result.output
    assert names(folder) == []


async def test_an_unwritable_path_is_refused(db: Database, folder: Path) -> None:
    result = await run_export(db, "--month", "2026-11", "--out", str(folder / "missing" / "x.xlsx"))
    assert result.exit_code == 1 and "无法写入" in result.output
    result = await run_export(db, "--month", "2026-11", "--out", str(folder))  # a folder
    assert result.exit_code == 1 and "无法写入" in result.output
    assert names(folder) == []


def test_months_parse_to_their_first_and_last_day() -> None:
    assert parse_month("2026-02").last.isoformat() == "2026-02-28"
    assert parse_month("2028-02").days == 29
    assert parse_month(" 2026-12 ").last.isoformat() == "2026-12-31"
    for bad in ("2026-00", "2026-1", "1999-05", "", "2026-11-01"):
        with pytest.raises(ExportError):
            parse_month(bad)


async def test_two_exports_at_once_to_one_path_leave_one_whole_file(
    db: Database, folder: Path, tmp_path: Path
) -> None:
    await play(db, tmp_path / "data")
    out = folder / "same.xlsx"

    async def one() -> tuple[int, int]:
        quiet = ProgressLine("zh-CN", io.StringIO())
        return await export(
            db.url, parse_month("2026-11"), None, DEFAULTS, out=out, file_format="xlsx", progress=quiet
        )

    assert await asyncio.gather(one(), one()) == [(2, 9), (2, 9)]  # each streams and renames a whole file in
    assert xlsx_rows(out, "个人记录")[1:] == [[blank(v) for v in row] for row in PEOPLE]
    assert names(folder) == ["same.xlsx"]


def test_a_database_that_cannot_be_read_exits_2_with_nothing_written(folder: Path) -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1:1/nothing"  # nothing listens on port 1
    out = folder / "x.xlsx"
    result = runner.invoke(app, ["export", "--month", "2026-11", "--out", str(out), "--database-url", url])
    assert result.exit_code == 2 and "数据库无法读取" in result.output
    assert names(folder) == []
