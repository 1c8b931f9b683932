"""`safetybot invite`: one-time codes with deep links, for named people or a unit; the codes really bind."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from safety.onboarding import Account, BindStatus, bind_with_code
from storage.db import Database

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    monkeypatch.setenv("SAFETYBOT_DATABASE_URL", url)
    monkeypatch.delenv("SAFETYBOT_TELEGRAM_TOKEN", raising=False)
    done = runner.invoke(app, ["import", "org", str(ROOT / "examples" / "org.yaml")])
    assert done.exit_code == 0, done.output
    return url


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(text.lstrip("\ufeff").splitlines()))


def test_invite_named_people_to_a_file_and_the_code_binds(database: str, tmp_path: Path) -> None:
    out = tmp_path / "codes.csv"
    done = runner.invoke(app, ["invite", "E1001", "E1000", "--out", str(out)])
    assert done.exit_code == 0, done.output
    rows = _rows(out.read_text(encoding="utf-8-sig"))
    assert [r["employee_no"] for r in rows] == ["E1001", "E1000"]
    assert all(len(r["code"]) == 8 and r["link"].endswith("?start=" + r["code"]) for r in rows)
    assert rows[0]["link"].startswith("https://t.me/")

    async def bind() -> BindStatus:
        db = Database(database)
        try:
            async with db.session() as session:
                account = Account(channel="telegram", external_id="42", chat_id="42")
                outcome = await bind_with_code(
                    session, account=account, code=rows[0]["code"], now=datetime.now(UTC)
                )
            return outcome.status
        finally:
            await db.dispose()

    assert asyncio.run(bind()) is BindStatus.BOUND


def test_invite_a_unit_prints_csv(database: str) -> None:
    done = runner.invoke(app, ["invite", "--unit", "team-blast"])
    assert done.exit_code == 0, done.output
    rows = _rows(done.stdout)
    assert {r["employee_no"] for r in rows} == {"E1000", "E1001", "E1002", "E1003"}


def test_a_new_code_voids_the_earlier_one(database: str) -> None:
    first = _rows(runner.invoke(app, ["invite", "E1001"]).stdout)[0]["code"]
    runner.invoke(app, ["invite", "E1001"])

    async def bind() -> BindStatus:
        db = Database(database)
        try:
            async with db.session() as session:
                account = Account(channel="telegram", external_id="43", chat_id="43")
                outcome = await bind_with_code(session, account=account, code=first, now=datetime.now(UTC))
            return outcome.status
        finally:
            await db.dispose()

    assert asyncio.run(bind()) is BindStatus.USED_CODE


def test_unknown_people_or_unit_issue_nothing(database: str) -> None:
    done = runner.invoke(app, ["invite", "E1001", "NOPE9"])
    assert done.exit_code == 1 and "NOPE9" in done.output
    done = runner.invoke(app, ["invite", "--unit", "no-such-unit"])
    assert done.exit_code == 1 and "no-such-unit" in done.output
