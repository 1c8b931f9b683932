"""The duty sheet in a real `safetybot export` (registered as the lead registers it, in EXTRA_SHEETS): the
workbook gets a 责任清单履职 sheet after the built-in ones, its rows the record of the scripted month, the
completion rate formatted as a percentage, on both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from bot import cli_export
from bot.cli import app
from safety.duties.sheet import DUTY_SHEET
from safety.export import extra
from storage.db import Database
from tests.duties.helpers import done, run_text
from tests.duties.month import local, play
from tests.export.expected import xlsx_rows

runner = CliRunner()
LIST = """source: 测试清单
duties:
  - {id: so-inspect, role: safety_officer, title: 每周检查, frequency: 每周1次, evidence: inspections}
  - {id: mgr-meeting, role: manager, units: [proj-pulang], title: 研究安全工作, frequency: 每季度1次,
     evidence: none}
"""


async def export_at(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at: datetime) -> Path:
    """The scripted month with LIST, exported for 普朗 through the CLI at `at` with only the duty sheet."""
    await play(db)
    done(await run_text(db, LIST, now=local(1, "09:00")))
    monkeypatch.setattr(extra, "EXTRA_SHEETS", [DUTY_SHEET])
    monkeypatch.setattr(cli_export, "clock", lambda: at)
    monkeypatch.setenv("SAFETYBOT_LANGUAGE", "zh-CN")
    out = tmp_path / "m.xlsx"
    args = ["export", "--month", "2026-11", "--unit", "proj-pulang", "--out", str(out)]
    result = await asyncio.to_thread(runner.invoke, app, [*args, "--database-url", db.url])
    assert result.exit_code == 0, result.output
    return out


async def test_the_export_workbook_has_the_duty_sheet(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = await export_at(db, tmp_path, monkeypatch, datetime(2026, 12, 10, 2, 0, tzinfo=UTC))
    book = load_workbook(out)
    assert book.sheetnames[-1] == "责任清单履职"
    rows = xlsx_rows(out, "责任清单履职")
    assert rows[0][:5] == ["工号", "姓名", "单位", "岗位", "职责"] and rows[0][-1] == "完成率"
    by = {(row[0], row[4]): row for row in rows[1:]}
    assert set(by) == {
        ("M0101", "研究安全工作"),
        ("S0001", "每周检查"),
        ("S0002", "每周检查"),
    }
    assert by["S0001", "每周检查"][6:9] == [5, 2, 2] and by["S0001", "每周检查"][-1] == 0.4
    assert (
        by["S0002", "每周检查"][-2]
        == "第45周未见记录；第46周未见记录；第47周未见记录；第48周未见记录；第49周未见记录"
    )
    assert by["M0101", "研究安全工作"][-2:] == ["系统外记录，未判定", None]
    sheet = book["责任清单履职"]
    line = rows.index(by["S0001", "每周检查"]) + 1
    assert sheet.freeze_panes == "A2" and sheet[f"L{line}"].number_format == "0.0%"


async def test_a_week_that_runs_on_past_the_export_is_in_progress(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exported on 12-04, week 49 (11-30 – 12-06) is not over: in progress, not missing."""
    out = await export_at(db, tmp_path, monkeypatch, datetime(2026, 12, 4, 2, 0, tzinfo=UTC))
    by = {(row[0], row[4]): row for row in xlsx_rows(out, "责任清单履职")[1:]}
    assert by["S0002", "每周检查"][-2].endswith("第48周未见记录；第49周进行中（已 0 次，应 1 次）")
    assert by["S0002", "每周检查"][6:8] == [4, 0]  # four weeks due and judged, the fifth runs on
