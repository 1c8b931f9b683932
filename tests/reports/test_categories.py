"""Category lists as data with an effective date, on both databases: the built-in GB 6441-86 list and the
sample hazard list by default, an imported successor from its effective_from on (reports record which
list), re-import by list id, a file with problems changes nothing, and `safetybot import categories`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from safety.imports.categories_file import CategoriesReport, import_categories, import_categories_file
from safety.imports.results import ImportRejected
from safety.reports.categories import list_in_force
from storage.db import Database
from storage.models import Category, CategoryList, Report
from tests.flow.harness import EXAMPLES, Clock, running_bot
from tests.flow.test_guided_violation import press, say, submit, zh

SAMPLE_2025 = EXAMPLES / "categories-2025.yaml"
runner = CliRunner()


async def test_the_list_in_force_by_date(db: Database) -> None:
    async with db.session() as session:
        before = await list_in_force(session, "accident", date(2026, 7, 1))
        near_miss = await list_in_force(session, "near_miss", date(2026, 7, 1))
        hazard = await list_in_force(session, "hazard", date(2026, 7, 1))
    assert (before.id, len(before.categories), before.categories[0].name) == ("gb6441-1986", 20, "物体打击")
    assert near_miss.id == "gb6441-1986" and hazard.id == "hazard-sample" and "示例" in hazard.name
    async with db.session() as session:
        report = await import_categories_file(session, SAMPLE_2025)
    assert isinstance(report, CategoriesReport) and report.count("created") == 1
    async with db.session() as session:
        old = await list_in_force(session, "accident", date(2026, 6, 30))
        new = await list_in_force(session, "near_miss", date(2026, 7, 1))
        hazard = await list_in_force(session, "hazard", date(2026, 7, 1))
    assert old.id == "gb6441-1986" and new.id == "gb6441-2025-sample" and new.categories[0].code == "A01"
    assert hazard.id == "hazard-sample", "an accident list does not replace the hazard list"


async def test_reimport_replaces_a_list_by_id_and_problems_change_nothing(db: Database) -> None:
    text = SAMPLE_2025.read_text(encoding="utf-8")
    async with db.session() as session:
        await import_categories(session, text)
    async with db.session() as session:
        again = await import_categories(session, text)
    assert isinstance(again, CategoriesReport) and again.count("unchanged") == 1
    shorter = text.split('      - {code: "A03"')[0] + '      - {code: "A99", name: 其它伤害}\n'
    async with db.session() as session:
        changed = await import_categories(session, shorter)
    assert isinstance(changed, CategoriesReport) and changed.count("updated") == 1
    async with db.session() as session:
        codes = [c.code for c in (await session.exec(select(Category).order_by(Category.position))).all()]
    assert codes == ["A01", "A02", "A99"]

    bad = """lists:
  - id: hazard-2027
    kind: hazards
    name: 隐患清单
    effective_from: 2027-02-30
    colour: red
    categories:
      - {code: "H1", name: 消防}
      - {code: "H1", name: 用电}
      - {code: "H 2", name: 机械}
  - id: gb6441-2025-sample
    kind: accident
    name: again
    effective_from: 2026-07-01
    categories: []
"""
    async with db.session() as session:
        refused = await import_categories(session, bad)
    assert isinstance(refused, ImportRejected)
    found = [(p.line, p.code) for p in refused.problems]
    assert found == [
        (3, "bad_category_kind"),
        (5, "bad_date"),
        (6, "unknown_key"),
        (9, "duplicate_category_code"),
        (10, "bad_category_code"),
        (15, "empty_list"),
    ], found
    async with db.session() as session:
        lists = [row.id for row in (await session.exec(select(CategoryList))).all()]
    assert lists == ["gb6441-2025-sample"], "nothing of the refused file was stored"


async def test_reports_record_the_list_in_force_on_their_local_date(db: Database, tmp_path: Path) -> None:
    async with db.session() as session:
        await import_categories_file(session, SAMPLE_2025)
    clock = Clock(datetime(2026, 6, 30, 15, 30, tzinfo=UTC))  # 23:30 in Shanghai, the day before
    async with running_bot(db, clock=clock) as bot:
        bot.app.bot_data["services"].data_dir = tmp_path
        await bot.bind("E1001")
        for expected in ("GB 6441-86", "GB 6441-2025"):
            categories = await press(bot, "E1001", await say(bot, "E1001", "/report"), "未遂")
            assert expected in categories["text"]
            await say(bot, "E1001", "起重伤害")
            await say(bot, "E1001", "主井提升机房")
            prompt = await say(bot, "E1001", "吊钩险些脱落")
            await submit(bot, "E1001", await press(bot, "E1001", prompt, zh("flows.skip")))
            clock.advance(hours=1)  # 00:30 on 2026-07-01 in Shanghai
        async with bot.db.session() as session:
            reports = (await session.exec(select(Report).order_by(Report.id))).all()
    assert [(r.number, r.category_list, r.category_code) for r in reports] == [
        ("WS-20260630-0001", "gb6441-1986", "04"),
        ("WS-20260701-0001", "gb6441-2025-sample", "A04"),
    ]


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SAFETYBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SAFETYBOT_LANGUAGE", "en")
    return tmp_path


def test_the_cli_imports_the_example_and_refuses_a_bad_file(cli_database: Path) -> None:
    result = runner.invoke(app, ["import", "categories", str(SAMPLE_2025)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("gb6441-2025-sample (accident, from 2026-07-01) GB 6441-2025")
    assert result.stdout.rstrip().endswith("20 categories, created")
    again = runner.invoke(app, ["import", "categories", str(SAMPLE_2025)])
    assert again.stdout.rstrip().endswith("20 categories, unchanged")
    bad = cli_database / "bad.yaml"
    bad.write_text("lists:\n  - id: x\n    kind: accident\n", encoding="utf-8")
    refused = runner.invoke(app, ["import", "categories", str(bad)])
    assert refused.exit_code == 1
    assert f"{bad}:2: lists.name is missing" in refused.output
