"""`safetybot report show NUMBER` through the real command line (typer's CliRunner, in a thread: the command
runs its own event loop), on SQLite and PostgreSQL: every step with who and when, notes, photos, the
rectification, the counts; an unknown number exits 1."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner, Result

from bot.cli import app
from storage.db import Database
from tests.reports.steps import NOW, assign, load_org, move, new_report, pid

runner = CliRunner()


async def show(db: Database, *args: str) -> Result:
    return await asyncio.to_thread(runner.invoke, app, ["report", "show", *args, "--database-url", db.url])


@pytest.fixture(autouse=True)
def chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFETYBOT_LANGUAGE", "zh-CN")


async def test_report_show_prints_the_whole_history(db: Database) -> None:
    people = await load_org(db)
    worker, officer, fixer = pid(people, "E1001"), pid(people, "S0001"), pid(people, "E1002")
    report = await new_report(db, worker, photos=2, anonymous=True, location_text="1520中段")
    assert report.id is not None
    await assign(
        db, report.id, by=officer, to=fixer, at=NOW + timedelta(hours=1), deadline=date(2026, 11, 30)
    )
    await move(
        db,
        report.id,
        "submitted",
        actor_id=fixer,
        at=NOW + timedelta(days=1),
        note="已更换扣件",
        photos=1,
        state="submitted",
        submitted_at=NOW + timedelta(days=1),
    )
    await move(
        db,
        report.id,
        "rejected",
        actor_id=officer,
        at=NOW + timedelta(days=1, hours=1),
        note="照片看不清",
        state="assigned",
    )
    await move(
        db, report.id, "submitted", actor_id=fixer, at=NOW + timedelta(days=1, hours=2), state="submitted"
    )
    closed = NOW + timedelta(days=1, hours=3)
    await move(
        db,
        report.id,
        "closed",
        actor_id=officer,
        at=closed,
        state="closed",
        closed_by=officer,
        closed_at=closed,
    )

    result = await show(db, report.number)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"📄 隐患 {report.number}（已销号）"
    assert "上报人：张三" in lines  # an admin tool: the anonymous reporter is shown
    steps = [line for line in lines if line.startswith("· ")]
    assert steps == [
        "· 2026-11-27 08:30 上报｜张三",
        "· 2026-11-27 09:30 指派整改｜王五",
        "· 2026-11-28 08:30 提交整改｜王二",
        "· 2026-11-28 09:30 驳回｜王五",
        "· 2026-11-28 10:30 提交整改｜王二",
        "· 2026-11-28 11:30 验收通过（销号）｜王五",
    ]
    for expected in (
        "地点：1520中段",
        "整改责任人：王二",
        "整改期限：2026-11-30",
        f"整改通知单：notices/{report.id}.pdf",
        "  说明：已更换扣件",
        "  说明：照片看不清",
        "  爆破班：1 / 1 / 0",
    ):
        assert expected in lines, (expected, lines)
    photos = [line for line in lines if line.startswith("  [")]
    assert len(photos) == 3
    assert photos[0].startswith("  [上报] photos/") and "file-hazard-0" in photos[0]
    assert photos[2].startswith(f"  [整改] photos/proof-{report.id}-0.jpg")


async def test_report_show_in_english_and_an_unknown_number(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = await load_org(db)
    report = await new_report(
        db,
        pid(people, "E1001"),
        kind="accident",
        description="碰伤",
        deaths=0,
        serious_injuries=0,
        minor_injuries=1,
    )
    monkeypatch.setenv("SAFETYBOT_LANGUAGE", "en")
    result = await show(db, report.number)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"📄 Accident {report.number} (Awaiting assignment)"
    assert "· 2026-11-27 08:30 Reported | 张三" in result.output.splitlines()

    missing = await show(db, "SG-20990101-0001")
    assert missing.exit_code == 1
    assert "No report numbered SG-20990101-0001." in missing.output
