"""`safetybot calendar --year YYYY` with cards: after the official holidays, one line per card occurrence by
send time in the card's zone; a 2027 `holiday:` rule is unresolved (listed and logged) until a 2027
holidays file is imported, then it resolves. Through typer's CliRunner on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
runner = CliRunner()

CARDS = """\
cards:
  - id: spring-festival
    title: 春节安全生产提示卡
    date: "lunar:01-01"
    send: {before: P3D, at: "09:00"}
    audience: {roles: [manager]}
    items: [节前隐患排查]
    ack: [read, deployed]
  - id: spring-restart
    title: 开工第一课
    date: "holiday:春节:first_workday_after"
    send: {before: P1D, at: "16:00"}
    audience: {roles: [manager, team_leader]}
    items: [复工前全员安全教育]
    ack: [read, deployed]
  - id: heat-xj
    title: 高温提示
    date: "07-01..07-15 every P7D"
    send: {at: "08:00"}
    audience: {roles: [team_leader]}
    items: [停止午间露天作业]
    ack: [read]
    timezone: Asia/Urumqi
  - id: safety-month
    title: 安全生产月
    date: "06-01"
    send: {before: P3D}
    audience: {roles: [manager]}
    items: [制定活动方案]
    ack: [read]
  - id: stopped
    title: 停用的卡
    date: "06-02"
    audience: {roles: [manager]}
    items: [无]
    ack: [read]
    active: false
"""


def _cli(url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--database-url", url])
    return result.exit_code, result.stdout, result.stderr


async def cli(url: str, *args: str) -> list[str]:
    code, out, err = await asyncio.to_thread(_cli, url, *args)
    assert code == 0, err
    return out.splitlines()


async def test_the_card_calendar_of_2026_and_an_unresolved_2027(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SAFETYBOT_LANGUAGE", "en")
    monkeypatch.setenv("SAFETYBOT_TIMEZONE", "Asia/Shanghai")
    await cli(database_url, "import", "org", str(EXAMPLES / "org.yaml"))
    path = tmp_path / "cards.yaml"
    path.write_text(CARDS, encoding="utf-8")
    await cli(database_url, "import", "cards", str(path))

    lines = await cli(database_url, "calendar", "--year", "2026")
    assert "2026-02-16 Mon  holiday  Spring Festival" in lines  # the official holidays come first
    cards = lines[lines.index("Reminder cards (send time, card, title, event date):") + 1 :]
    assert cards == [
        "2026-02-14 09:00  spring-festival  春节安全生产提示卡  (event 2026-02-17)",
        "2026-02-23 16:00  spring-restart  开工第一课  (event 2026-02-24)",
        "2026-05-29 09:00  safety-month  安全生产月  (event 2026-06-01)",
        "2026-07-01 08:00  heat-xj  高温提示  (event 2026-07-01)",  # 08:00 in Urumqi, 10:00 in Shanghai
        "2026-07-08 08:00  heat-xj  高温提示  (event 2026-07-08)",
        "2026-07-15 08:00  heat-xj  高温提示  (event 2026-07-15)",
    ]

    with caplog.at_level(logging.WARNING, logger="safety.calendar_report"):
        lines = await cli(database_url, "calendar", "--year", "2027")
    cards = lines[lines.index("Reminder cards (send time, card, title, event date):") + 1 :]
    assert cards[:2] == [
        "2027-02-03 09:00  spring-festival  春节安全生产提示卡  (event 2027-02-06)",
        "2027-05-29 09:00  safety-month  安全生产月  (event 2027-06-01)",
    ]
    unresolved = "unresolved: no official calendar for 2027"
    assert f"spring-restart  开工第一课  [holiday:春节:first_workday_after]  {unresolved}" in cards
    assert cards[-1].startswith("Once the State Council publishes the year's holiday notice")
    assert any("spring-restart" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)

    await cli(database_url, "import", "holidays", str(EXAMPLES / "holidays-2027.yaml"))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="safety.calendar_report"):
        lines = await cli(database_url, "calendar", "--year", "2027")
    assert "2027-02-13 16:00  spring-restart  开工第一课  (event 2027-02-14)" in lines  # 调休 Sunday 02-14
    assert not any("unresolved" in line for line in lines)
    assert not caplog.records


async def test_the_card_calendar_in_chinese(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAFETYBOT_LANGUAGE", raising=False)
    await cli(database_url, "import", "org", str(EXAMPLES / "org.yaml"))
    await cli(database_url, "import", "cards", str(EXAMPLES / "cards.yaml"))
    lines = await cli(database_url, "calendar", "--year", "2027")
    assert "2027-02-01 09:00  spring-festival  春节安全生产提示卡  （事件日期 2027-02-06）" in lines
    assert any(
        line.endswith("未解析：没有 2027 年的官方放假安排") and "spring-restart" in line for line in lines
    )
