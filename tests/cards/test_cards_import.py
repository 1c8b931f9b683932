"""`safetybot import cards`: a valid file, idempotent re-import, revisions, a malformed file that changes
nothing and names each error with its line, and the CLI on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from safety.imports import import_org
from safety.imports.cards_file import CardsReport, content_digest, import_cards
from safety.imports.questions_service import import_questions_file
from safety.imports.results import ImportRejected
from storage import card_rule_queries
from storage.db import Database
from storage.models import Card

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
runner = CliRunner()

GOOD = """\
cards:
  - id: spring-festival
    title: 春节安全生产提示卡
    date: "lunar:01-01"
    send: {before: P3D, at: "09:00"}
    audience: {roles: [manager, safety_officer], units: [branch-sw]}
    items: [节前开展一次全面隐患排查, 落实节日期间领导带班和24小时值班]
    ack: [read, deployed]
  - id: heat
    title: 高温防暑降温提示卡
    date: "07-01..08-31 every P7D"
    audience: {roles: [team_leader]}
    items: [日最高气温40℃以上停止当日露天作业]
    ack: [read]
    timezone: Asia/Urumqi
"""


@pytest.fixture
async def org(db: Database) -> Database:
    async with db.session() as session:
        await import_org(session, (EXAMPLES / "org.yaml").read_text(encoding="utf-8"))
    return db


async def run(db: Database, text: str, now: datetime = NOW) -> CardsReport | ImportRejected:
    async with db.session() as session:
        return await import_cards(session, text, now=now)


def ok(result: CardsReport | ImportRejected) -> CardsReport:
    assert isinstance(result, CardsReport), [f"{p.line}: {p.message}" for p in result.problems]
    return result


async def cards(db: Database) -> dict[str, Card]:
    async with db.session() as session:
        return {c.id: c for c in await card_rule_queries.all_cards(session)}


async def test_a_valid_file_is_stored_and_again_changes_nothing(org: Database) -> None:
    report = ok(await run(org, GOOD))
    assert (report.created, report.unchanged, report.revised) == (2, 0, 0)
    stored = await cards(org)
    spring = stored["spring-festival"]
    assert (spring.date_rule, spring.send_before, spring.send_at, spring.timezone) == (
        "lunar:01-01",
        "P3D",
        "09:00",
        None,
    )
    assert spring.audience_roles == ["manager", "safety_officer"] and spring.audience_units == ["branch-sw"]
    assert spring.ack == ["read", "deployed"] and spring.revision == 1 and spring.source == "file"
    assert spring.content == content_digest(spring.title, spring.items, None) and len(spring.content) == 64
    heat = stored["heat"]
    assert (heat.send_before, heat.send_at, heat.timezone, heat.audience_units) == (
        "P0D",
        "09:00",
        "Asia/Urumqi",
        None,
    )
    again = ok(await run(org, GOOD, NOW + timedelta(days=1)))
    assert (again.created, again.revised, again.updated, again.unchanged) == (0, 0, 0, 2)
    assert await cards(org) == stored  # not even updated_at moved


async def test_changed_items_make_a_revision_other_changes_do_not(org: Database) -> None:
    ok(await run(org, GOOD))
    later = NOW + timedelta(days=2)
    revised = GOOD.replace(
        "落实节日期间领导带班和24小时值班]", "落实节日期间领导带班和24小时值班, 停工前做好能源隔离]"
    )
    revised = revised.replace('at: "09:00"', 'at: "08:30"')
    report = ok(await run(org, revised, later))
    assert (report.revised, report.unchanged) == (1, 1)
    spring = (await cards(org))["spring-festival"]
    assert spring.revision == 2 and spring.updated_at == later and spring.send_at == "08:30"
    assert spring.items[-1] == "停工前做好能源隔离"
    assert spring.content == content_digest(spring.title, spring.items, None)
    # a send time alone is an update, not a revision (recipients are not asked again)
    moved = ok(await run(org, revised.replace('at: "08:30"', 'at: "08:00"'), later))
    assert (moved.updated, moved.revised) == (1, 0)
    assert (await cards(org))["spring-festival"].revision == 2
    # a card missing from the file is kept; active: false stops it
    only_heat = "cards:\n  - id: heat\n" + GOOD.split("  - id: heat\n")[1]
    kept = ok(await run(org, only_heat))
    assert kept.kept == 1 and (await cards(org))["spring-festival"].active
    stopped = ok(await run(org, only_heat + "    active: false\n"))
    assert stopped.deactivated == 1 and not (await cards(org))["heat"].active


MALFORMED = """\
cards:
  - id: ok-card
    title: 正常的卡
    date: "06-01"
    audience: {roles: [manager]}
    items: [开展一次应急演练]
    ack: [read]
  - id: bad-1
    title: 有未知字段
    colour: red
    date: "lunar:13-01"
    audience: {roles: [boss]}
    items: [事项]
    ack: [read]
  - id: bad-2
    date: "06-01"
    send: {before: P3D, at: "25:00"}
    audience: {roles: [manager], units: [nowhere]}
    items: [事项]
    ack: [deployed]
  - id: bad-3
    title: 未知规则
    date: "every monday"
    audience: {roles: [manager]}
    items: [事项, 事项]
    ack: [read]
"""


async def test_a_malformed_file_changes_nothing_and_names_each_error_with_its_line(org: Database) -> None:
    result = await run(org, MALFORMED)
    assert isinstance(result, ImportRejected)
    found = [(p.line, p.code) for p in result.problems]
    assert found == [
        (10, "unknown_key"),  # colour
        (11, "card_rule_bad_lunar"),
        (12, "unknown_role"),
        (15, "missing_field"),  # bad-2 has no title
        (17, "bad_time"),
        (18, "unknown_unit"),
        (20, "card_bad_ack"),  # must start with read
        (23, "card_rule_unknown"),
        (25, "card_duplicate_item"),
    ]
    messages = {p.line: p.message for p in result.problems}
    assert messages[15] == "cards.title is missing"
    assert messages[17] == "send.at '25:00' is not a time of day HH:MM"
    assert messages[18] == "unknown unit 'nowhere'"
    assert messages[23].startswith("unknown date rule 'every monday'")
    assert await cards(org) == {}  # not even ok-card


async def test_a_quiz_needs_a_loaded_bank_and_ids_adhoc_are_reserved(org: Database) -> None:
    text = GOOD.replace(
        "    ack: [read]\n", "    ack: [read]\n    quiz: {questions: 3, prohibitions: [1, 2]}\n"
    )
    result = await run(org, text.replace("id: spring-festival", "id: adhoc-20261201-1"))
    assert isinstance(result, ImportRejected)
    assert [(p.line, p.code) for p in result.problems] == [(2, "card_reserved_id"), (15, "card_quiz_no_bank")]


async def test_the_example_file_imports(org: Database) -> None:
    report = ok(await run(org, (EXAMPLES / "cards.yaml").read_text(encoding="utf-8")))
    stored = await cards(org)
    assert report.created == len(stored) >= 15
    rules = {c.date_rule for c in stored.values()}
    assert {"lunar:01-01", "holiday:春节:first_workday_after", "term:清明", "lunar:08-15", "11-09"} <= rules
    assert any(" every P7D" in rule for rule in rules)
    assert ok(await run(org, (EXAMPLES / "cards.yaml").read_text(encoding="utf-8"))).unchanged == len(stored)


def _cli(url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--database-url", url])
    return result.exit_code, result.stdout, result.stderr


async def test_the_cli_imports_then_refuses_with_file_and_line(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFETYBOT_LANGUAGE", "en")
    code, _, err = await asyncio.to_thread(_cli, database_url, "import", "org", str(EXAMPLES / "org.yaml"))
    assert code == 0, err
    path = tmp_path / "cards.yaml"
    path.write_text(GOOD, encoding="utf-8")
    code, out, err = await asyncio.to_thread(_cli, database_url, "import", "cards", str(path))
    assert code == 0, err
    assert out.splitlines() == [
        "cards: 2 new, 0 revised, 0 otherwise updated, 0 deactivated, 0 reactivated, 0 unchanged"
    ]
    bad = tmp_path / "bad.yaml"
    bad.write_text(MALFORMED, encoding="utf-8")
    code, _, err = await asyncio.to_thread(_cli, database_url, "import", "cards", str(bad))
    assert code == 1
    lines = err.splitlines()
    assert (
        f"{bad}:12: unknown role 'boss' (allowed: admin, manager, safety_officer, staff, team_leader)"
        in lines
    )
    assert f"{bad}:18: unknown unit 'nowhere'" in lines
    assert lines[-1] == f"{bad}: 9 problem(s); nothing was changed"
    code, out, err = await asyncio.to_thread(_cli, database_url, "import", "cards", str(path))
    assert code == 0, err
    assert "0 new, 0 revised, 0 otherwise updated, 0 deactivated, 0 reactivated, 2 unchanged" in out


async def test_a_quiz_is_checked_against_the_bank_and_a_changed_quiz_is_a_revision(org: Database) -> None:
    async with org.session() as session:
        await import_questions_file(session, EXAMPLES / "questions.yaml")
    quiz = "    ack: [read]\n    quiz: {questions: 3, prohibitions: [1, 99]}\n"
    result = await run(org, GOOD.replace("    ack: [read]\n", quiz))
    assert isinstance(result, ImportRejected)
    assert [(p.line, p.code, p.params) for p in result.problems] == [
        (15, "unknown_prohibition", {"number": 99})
    ]
    ok(await run(org, GOOD.replace("    ack: [read]\n", quiz.replace("99", "2"))))
    heat = (await cards(org))["heat"]
    assert heat.quiz == {"questions": 3, "prohibitions": [1, 2]} and heat.revision == 1
    report = ok(await run(org, GOOD.replace("    ack: [read]\n", quiz.replace("1, 99", "3"))))
    assert report.revised == 1
    heat = (await cards(org))["heat"]
    assert heat.quiz == {"questions": 3, "prohibitions": [3]} and heat.revision == 2
