"""`safetybot import org|roster` through typer's CliRunner, on a temporary SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli_import import import_app
from tests.imports.helpers import EXAMPLES

runner = CliRunner()


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read the English catalog; test_chinese_is_the_default checks the default language."""
    monkeypatch.setenv("SAFETYBOT_LANGUAGE", "en")


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"


def test_chinese_is_the_default(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAFETYBOT_LANGUAGE")
    bad = tmp_path / "org.yaml"
    bad.write_text(
        "units:\n  - id: a\n    name: A\npeople:\n  - {employee_no: E1, name: 甲, unit: b, roles: [staff]}\n"
    )
    result = runner.invoke(import_app, ["org", str(bad), "--database-url", url])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"{bad}:5: 未知单位 'b'", f"{bad}：发现 1 个问题，未做任何修改"]


def test_good_org_then_roster_exit_zero_and_print_counts(url: str) -> None:
    first = runner.invoke(import_app, ["org", str(EXAMPLES / "org.yaml"), "--database-url", url])
    assert first.exit_code == 0, first.output
    assert "units: 7 created" in first.stdout and "people: 20 created" in first.stdout
    second = runner.invoke(import_app, ["roster", str(EXAMPLES / "roster.csv"), "--database-url", url])
    assert second.exit_code == 0, second.output
    assert "total: 0 created, 0 updated, 0 deactivated, 0 reactivated, 20 unchanged" in second.stdout


def test_bad_org_file_exits_one_with_file_line_messages(url: str, tmp_path: Path) -> None:
    bad = tmp_path / "org.yaml"
    bad.write_text(
        "units:\n  - id: a\n    name: A\n    checkin: {days: workdays, opens: '09:00', due: '08:00'}\n"
        "people:\n  - {employee_no: E1, name: 甲, unit: b, roles: [staff]}\n",
        encoding="utf-8",
    )
    result = runner.invoke(import_app, ["org", str(bad), "--database-url", url])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert f"{bad}:4: check-in opens at 09:00 which is not before it is due at 08:00" in lines
    assert f"{bad}:6: unknown unit 'b'" in lines
    assert f"{bad}: 2 problem(s); nothing was changed" in lines
    # nothing was stored: a roster naming unit a is refused because a does not exist
    roster = tmp_path / "r.csv"
    roster.write_text("employee_no,name,phone,unit,roles\nE1,甲,,a,staff\n", encoding="utf-8")
    again = runner.invoke(import_app, ["roster", str(roster), "--database-url", url])
    assert again.exit_code == 1
    assert f"{roster}:2: unknown unit 'a'" in again.stderr.splitlines()


def test_database_url_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db_file = tmp_path / "env.db"
    monkeypatch.setenv("SAFETYBOT_DATABASE_URL", f"sqlite+aiosqlite:///{db_file}")
    result = runner.invoke(import_app, ["org", str(EXAMPLES / "org.yaml")])
    assert result.exit_code == 0, result.output
    assert db_file.exists()


def test_unsupported_roster_file_is_one_clear_error(url: str, tmp_path: Path) -> None:
    path = tmp_path / "roster.pdf"
    path.write_bytes(b"%PDF")
    result = runner.invoke(import_app, ["roster", str(path), "--database-url", url])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"{path}: unsupported file type '.pdf'; use .csv, .xlsx"


def test_large_roster_shows_progress_on_stderr(url: str, tmp_path: Path) -> None:
    assert (
        runner.invoke(import_app, ["org", str(EXAMPLES / "org.yaml"), "--database-url", url]).exit_code == 0
    )
    path = tmp_path / "big.csv"
    lines = ["employee_no,name,phone,unit,roles"] + [
        f"Y{i:05d},工人{i},,team-drill,staff" for i in range(2500)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(import_app, ["roster", str(path), "--database-url", url])
    assert result.exit_code == 0, result.output
    progress = [line for line in result.stderr.splitlines() if line.startswith("people: ")]
    assert [p.split(" ")[1] for p in progress] == ["1000/2500", "2000/2500", "2500/2500"]
    assert "people: 2500 created" in result.stdout


def test_unusable_database_is_one_line_and_exit_two(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    url = f"sqlite+aiosqlite:///{blocker / 'sub' / 'x.db'}"  # its folder cannot be created
    result = runner.invoke(import_app, ["org", str(EXAMPLES / "org.yaml"), "--database-url", url])
    assert result.exit_code == 2
    assert "the database refused the import; nothing was changed" in result.stderr
    assert "Traceback" not in result.output
