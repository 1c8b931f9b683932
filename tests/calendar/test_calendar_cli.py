"""`safetybot import holidays` and `safetybot calendar --year` through typer's CliRunner on a temporary
SQLite database (SAFETYBOT_DATABASE_URL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.calendar.helpers import EXAMPLE_2027

runner = CliRunner()


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("SAFETYBOT_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("SAFETYBOT_LANGUAGE", "en")
    return path


def test_2027_without_import_says_it_falls_back() -> None:
    result = runner.invoke(app, ["calendar", "--year", "2027"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "2027: official holidays unknown (the calendar library covers 2004-2026; nothing imported for 2027)"
    )
    assert lines[1].startswith("WARNING: 2027 falls back to Monday-Friday working days")
    assert "safetybot import holidays FILE.yaml" in lines[1]


def test_2027_fallback_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAFETYBOT_LANGUAGE")
    result = runner.invoke(app, ["calendar", "--year", "2027"])
    assert result.exit_code == 0, result.output
    assert "警告：2027 年按周一至周五上班处理" in result.stdout


def test_2026_comes_from_the_library() -> None:
    result = runner.invoke(app, ["calendar", "--year", "2026"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("2026: official holidays from the calendar library (chinesecalendar 1.")
    assert "2026-02-14 Sat  working day  (调休, Spring Festival)" in lines
    assert "2026-02-16 Mon  holiday  Spring Festival" in lines
    assert "2026-10-10 Sat  working day  (调休, National Day)" in lines
    assert not any("WARNING" in line for line in lines)


def test_import_the_example_then_2027_is_imported() -> None:
    result = runner.invoke(app, ["import", "holidays", str(EXAMPLE_2027)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "2027: 7 holiday(s) with 29 days off and 5 调休 working day(s); "
        "days: 34 created, 0 updated, 0 removed, 0 unchanged"
    ]
    again = runner.invoke(app, ["import", "holidays", str(EXAMPLE_2027)])
    assert again.exit_code == 0, again.output
    assert "days: 0 created, 0 updated, 0 removed, 34 unchanged" in again.stdout
    shown = runner.invoke(app, ["calendar", "--year", "2027"])
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert lines[0] == "2027: official holidays imported with `safetybot import holidays`"
    assert "2027-02-08 Mon  holiday  Spring Festival" in lines
    assert "2027-02-14 Sun  working day  (调休, Spring Festival)" in lines
    assert not any("WARNING" in line for line in lines)


def test_import_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAFETYBOT_LANGUAGE")
    result = runner.invoke(app, ["import", "holidays", str(EXAMPLE_2027)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2027 年：7 个假期共放假 29 天，调休上班 5 天")
    shown = runner.invoke(app, ["calendar", "--year", "2027"])
    assert "2027-02-14 周日  上班  （春节调休）" in shown.stdout.splitlines()


def test_bad_file_lists_every_problem_and_changes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "holidays.yaml"
    bad.write_text(
        "year: 2027\n"
        "holidays:\n"
        "  - {name: 春节, from: 2027-02-05, to: 2027-02-13}\n"
        "  - {name: 圣诞, from: 2027-12-25, to: 2027-12-25}\n"
        "workdays: [2027-02-10, 2027-03-01]\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", "holidays", str(bad)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{bad}:4: unknown holiday '圣诞' (allowed: 元旦, 春节, 清明")
    assert lines[1:] == [
        f"{bad}:5: working day 2027-02-10 falls inside the holiday '春节' on line 3",
        f"{bad}:5: working day 2027-03-01 is a Monday to Friday, a working day anyway; "
        "list only the weekend days that are worked (调休)",
        f"{bad}: 3 problem(s); nothing was changed",
    ]
    shown = runner.invoke(app, ["calendar", "--year", "2027"])
    assert "WARNING: 2027 falls back" in shown.stdout


def test_overriding_a_library_year_is_pointed_out(tmp_path: Path) -> None:
    path = tmp_path / "2026.yaml"
    path.write_text("year: 2026\nholidays:\n  - {name: 国庆, from: 2026-10-01, to: 2026-10-07}\n", "utf-8")
    result = runner.invoke(app, ["import", "holidays", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        "note: the calendar library covers 2026 too; the imported days now take precedence"
    )


def test_unreadable_database_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("SAFETYBOT_DATABASE_URL", f"sqlite+aiosqlite:///{blocker}/sub/db.sqlite")
    result = runner.invoke(app, ["calendar", "--year", "2026"])
    assert result.exit_code == 2
    assert result.stderr.startswith("cannot read the database: ")
