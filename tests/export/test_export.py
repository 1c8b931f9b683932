"""`safetybot export` after a scripted month (tests/export/month.py), on SQLite and PostgreSQL: the
workbook's cells equal what the script did, cell by cell; the CSV zip holds the same values; a subtree
export keeps only that subtree; a bad month, an unknown unit or an unwritable path is refused with one line
and nothing written. (LibreOffice is not installed here, so opening the file in it is not tested.)"""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.cli_export import write
from safety.export.rows import Export, ExportError, PersonDay, UnitSummary, build, parse_month
from storage.db import Database
from tests.export.month import DEFAULTS, play

runner = CliRunner()
Row = list[object]

NO_REPORTS: Row = [0] * 16
HAZARD_CLOSED: Row = [0, 0, 0, 1] + [0] * 12  # 隐患·已上报, ·整改中, ·待验收, ·已关闭, then 未遂, 事故, 违章
SUMMARY_HEADER_START = [
    "单位编号",
    "单位",
    "应打卡",
    "已打卡",
    "迟到",
    "未打卡",
    "请假免签",
    "打卡率",
    "隐患·已上报",
]
SUMMARY = [
    ["proj-x", "导出项目部", 0, 0, 0, 0, 0, None, *NO_REPORTS, 0, 0, None, 0, 0, None, 0, 0, None],
    # 6 asked (3 people × 2 rounds; October's round left out), 4 checked in (1 late), W1 missed, W2 excused:
    # 4 / 5; the hazard closed 11-04 before its deadline 11-05; the quiz failed once, passed once; the card
    # went to L1, W1, W2 and two read it
    ["team-x", "导出班", 6, 4, 1, 1, 1, 0.8, *HAZARD_CLOSED, 1, 1, 1.0, 1, 1, 0.5, 3, 2, 0.6667],
]
PEOPLE_HEADER = [
    "工号", "姓名", "单位", "日期", "打卡", "请假", "考试次数", "考试通过",
    "违章", "上报", "整改任务", "提示卡确认", "履职处理", "带班",
]  # fmt: skip
PEOPLE = [
    # employee, name, unit, day, check-in, leave, quiz attempts, passed, violations, reports, tasks, cards,
    # duties handled, 带班
    ["L1", "班长", "导出班", "2026-11-02", "按时", "", 0, 0, 0, 0, 0, 0, 1, ""],  # approved W2's leave
    ["L1", "班长", "导出班", "2026-11-03", "按时", "", 0, 0, 0, 0, 0, 0, 0, ""],
    ["W1", "工人甲", "导出班", "2026-11-02", "按时", "", 0, 0, 0, 0, 0, 1, 0, ""],
    ["W1", "工人甲", "导出班", "2026-11-03", "未打卡", "", 0, 0, 0, 1, 1, 0, 0, ""],
    ["W2", "工人乙", "导出班", "2026-11-02", "迟到", "", 2, 1, 0, 0, 0, 0, 0, ""],
    ["W2", "工人乙", "导出班", "2026-11-03", "请假", "是", 0, 0, 0, 0, 0, 0, 0, ""],
    ["W2", "工人乙", "导出班", "2026-11-04", "", "", 0, 0, 0, 0, 0, 1, 0, ""],  # the late acknowledgement
    ["S1", "安全员", "导出项目部", "2026-11-03", "", "", 0, 0, 0, 0, 0, 0, 1, ""],  # assigned the hazard
    ["S1", "安全员", "导出项目部", "2026-11-04", "", "", 0, 0, 0, 0, 0, 0, 1, ""],  # closed it
]


@pytest.fixture(autouse=True)
def chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFETYBOT_LANGUAGE", "zh-CN")


async def export(db: Database, *args: str) -> Result:
    return await asyncio.to_thread(runner.invoke, app, ["export", *args, "--database-url", db.url])


def blank(value: object) -> object:
    return None if value == "" else value


def xlsx_rows(path: Path, sheet: str) -> list[Row]:
    book = load_workbook(path, read_only=True)
    rows = [[blank(v) for v in row] for row in book[sheet].iter_rows(values_only=True)]
    book.close()
    width = len(rows[0])  # an empty last cell is not stored: pad to the header
    return [row + [None] * (width - len(row)) for row in rows]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Where the export goes (tmp_path itself holds the SQLite database)."""
    made = tmp_path / "out"
    made.mkdir()
    return made


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def text(value: object) -> str:
    return "" if value is None else str(value)


async def test_the_workbook_holds_the_scripted_month_cell_by_cell(db: Database, folder: Path) -> None:
    await play(db)
    out = folder / "2026-11.xlsx"
    result = await export(db, "--month", "2026-11", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "2 个单位、9 行个人记录" in result.output

    summary = xlsx_rows(out, "汇总")
    assert summary[0][: len(SUMMARY_HEADER_START)] == SUMMARY_HEADER_START
    assert len(summary[0]) == len(SUMMARY[0])
    assert summary[1:] == [[blank(v) for v in row] for row in SUMMARY]
    people = xlsx_rows(out, "个人记录")
    assert people[0] == PEOPLE_HEADER
    assert people[1:] == [[blank(v) for v in row] for row in PEOPLE]

    book = load_workbook(out)  # the layout: frozen header, widths, percentages
    sheet = book["汇总"]
    assert sheet.freeze_panes == "A2" and book["个人记录"].freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == 20
    assert sheet["H3"].number_format == "0.0%" and sheet["H3"].value == 0.8
    assert names(folder) == ["2026-11.xlsx"]  # no temporary file left


async def test_the_csv_zip_holds_the_same_values(db: Database, folder: Path) -> None:
    await play(db)
    out = folder / "2026-11.zip"
    result = await export(db, "--month", "2026-11", "--out", str(out), "--format", "csv")
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["个人记录.csv", "汇总.csv"]
        raw = {name: archive.read(name) for name in archive.namelist()}
    assert all(data.startswith(b"\xef\xbb\xbf") for data in raw.values())  # UTF-8 with BOM, for Excel

    def table(name: str) -> list[list[str]]:
        return list(csv.reader(io.StringIO(raw[name].decode("utf-8-sig"))))

    assert table("汇总.csv")[1:] == [[text(v) for v in row] for row in SUMMARY]
    assert table("个人记录.csv") == [PEOPLE_HEADER, *[[text(v) for v in row] for row in PEOPLE]]


async def test_a_unit_export_keeps_only_that_subtree(db: Database, folder: Path) -> None:
    await play(db)
    async with db.session() as session:
        whole = await build(session, month=parse_month("2026-11"), unit="proj-x", defaults=DEFAULTS)
        team = await build(session, month=parse_month("2026-11"), unit="导出班", defaults=DEFAULTS)  # by name
        october = await build(session, month=parse_month("2026-10"), unit=None, defaults=DEFAULTS)
    assert [u.unit_id for u in whole.units] == ["proj-x", "team-x"] and len(whole.days) == 9
    assert [u.unit_id for u in team.units] == ["team-x"]
    assert {d.employee_no for d in team.days} == {"L1", "W1", "W2"}  # S1 belongs to the project
    assert [(d.employee_no, d.day.isoformat(), d.checkin) for d in october.days] == [
        ("L1", "2026-10-31", "missed"),  # October's round: only W1 answered
        ("W1", "2026-10-31", "on_time"),
        ("W2", "2026-10-31", "missed"),
    ]
    assert october.units[1].checkin_rate == 0.3333


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
    result = await export(db, *args, "--out", str(out))
    assert result.exit_code == 1
    assert message in result.output
    assert names(folder) == []


async def test_an_unwritable_path_is_refused(db: Database, folder: Path) -> None:
    result = await export(db, "--month", "2026-11", "--out", str(folder / "missing" / "x.xlsx"))
    assert result.exit_code == 1 and "无法写入" in result.output
    result = await export(db, "--month", "2026-11", "--out", str(folder))  # a folder
    assert result.exit_code == 1 and "无法写入" in result.output
    assert names(folder) == []


def test_months_parse_to_their_first_and_last_day() -> None:
    assert parse_month("2026-02").last.isoformat() == "2026-02-28"
    assert parse_month("2028-02").days == 29
    assert parse_month(" 2026-12 ").last.isoformat() == "2026-12-31"
    for bad in ("2026-00", "2026-1", "1999-05", "", "2026-11-01"):
        with pytest.raises(ExportError):
            parse_month(bad)


async def test_two_writes_at_once_to_one_path_leave_one_whole_file(db: Database, folder: Path) -> None:
    await play(db)
    out = folder / "same.xlsx"
    async with db.session() as session:
        made = await build(session, month=parse_month("2026-11"), unit=None, defaults=DEFAULTS)

    def one() -> None:
        write(made, out, file_format="xlsx", language="zh-CN", progress=lambda _n: None)

    await asyncio.gather(asyncio.to_thread(one), asyncio.to_thread(one))  # each renames a whole file in
    assert xlsx_rows(out, "个人记录")[1:] == [[blank(v) for v in row] for row in PEOPLE]
    assert names(folder) == ["same.xlsx"]


def test_a_large_export_streams_every_row_and_reports_progress(folder: Path) -> None:
    month = parse_month("2026-11")
    days = [
        PersonDay(n, f"E{n:04d}", f"人{n}", "班", month.first + timedelta(days=d), checkin="on_time")
        for n in range(100)
        for d in range(30)
    ]
    big = Export(month, [UnitSummary("team", "班", expected=3000, checked=3000)], days)
    steps: list[int] = []
    for file_format, name in (("xlsx", "big.xlsx"), ("csv", "big.zip")):
        steps.clear()
        write(big, folder / name, file_format=file_format, language="zh-CN", progress=steps.append)
        assert sum(steps) == 3001 and max(steps) == 500  # in batches, not once at the end
    rows = xlsx_rows(folder / "big.xlsx", "个人记录")
    assert len(rows) == 3001 and rows[-1][:5] == ["E0099", "人99", "班", "2026-11-30", "按时"]
    with zipfile.ZipFile(folder / "big.zip") as archive:
        assert archive.read("个人记录.csv").decode("utf-8-sig").count("\r\n") == 3001


def test_a_database_that_cannot_be_read_exits_2_with_nothing_written(folder: Path) -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1:1/nothing"  # nothing listens on port 1
    out = folder / "x.xlsx"
    result = runner.invoke(app, ["export", "--month", "2026-11", "--out", str(out), "--database-url", url])
    assert result.exit_code == 2 and "数据库无法读取" in result.output
    assert names(folder) == []
