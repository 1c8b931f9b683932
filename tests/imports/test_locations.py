"""`safetybot import locations`: every problem with its line and nothing stored, idempotent by id, kept
when missing from a later file, deactivated by `active: false`; the CLI prints counts or problems."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.demo import prepare_sandbox
from bot.sandbox import SandboxServer
from bot.settings import Settings
from safety.imports.locations_file import LocationsReport, import_locations
from safety.imports.results import ImportRejected
from storage import location_queries as lq
from storage.db import Database
from tests.imports.helpers import EXAMPLES, ORG_TEXT, audit_count, ok, run_org

LOCATIONS_TEXT = (EXAMPLES / "locations.yaml").read_text(encoding="utf-8")
runner = CliRunner()


async def _run(db: Database, text: str) -> LocationsReport | ImportRejected:
    async with db.session() as session:
        return await import_locations(session, text)


async def _stored(db: Database) -> list[tuple[str, str, str, bool]]:
    async with db.session() as session:
        return [(loc.id, loc.name, loc.unit_id, loc.active) for loc in await lq.all_locations(session)]


def _done(result: LocationsReport | ImportRejected) -> LocationsReport:
    assert isinstance(result, LocationsReport), [f"{p.line}: {p.message}" for p in result.problems]
    return result


def _problems(result: LocationsReport | ImportRejected) -> list[tuple[int, str]]:
    assert isinstance(result, ImportRejected), f"expected problems, got {result}"
    return [(p.line, p.code) for p in result.problems]


@pytest.fixture
async def org(db: Database) -> Database:
    ok(await run_org(db, ORG_TEXT))
    return db


async def test_the_example_file_stores_its_locations_and_again_changes_nothing(org: Database) -> None:
    first = _done(await _run(org, LOCATIONS_TEXT))
    assert first.locations.created == 6 and first.kept == 0
    stored = await _stored(org)
    assert ("pl-1520-face", "1520中段掘进工作面", "team-blast", True) in stored
    assert ("xq-mill-floor", "选矿车间", "team-mill", True) in stored
    audits = await audit_count(org)
    again = _done(await _run(org, LOCATIONS_TEXT))
    assert (again.locations.created, again.locations.updated, again.locations.unchanged) == (0, 0, 6)
    assert await _stored(org) == stored
    assert await audit_count(org) == audits + 1  # the import is recorded, nothing else changed


async def test_a_later_file_updates_keeps_the_missing_and_deactivates_on_request(org: Database) -> None:
    _done(await _run(org, LOCATIONS_TEXT))
    later = """locations:
  - {id: pl-1520-face, name: 1520中段掘进工作面（东）, unit: team-drill}
  - {id: pl-magazine, name: 炸药库, unit: proj-pulang, active: false}
  - {id: pl-new, name: 新风井, unit: team-haul}
"""
    report = _done(await _run(org, later))
    counts = report.locations
    assert (counts.created, counts.updated, counts.deactivated, report.kept) == (1, 1, 1, 4)
    stored = {row[0]: row for row in await _stored(org)}
    assert stored["pl-1520-face"] == ("pl-1520-face", "1520中段掘进工作面（东）", "team-drill", True)
    assert stored["pl-magazine"][3] is False
    assert stored["xq-mill-floor"][3] is True  # not in the file: kept as it was
    back = _done(await _run(org, "locations:\n  - {id: pl-magazine, name: 炸药库, unit: proj-pulang}\n"))
    assert back.locations.reactivated == 1


async def test_every_problem_is_reported_with_its_line_and_nothing_is_stored(org: Database) -> None:
    long_name, long_id = "长" * 201, "a" * 41
    text = f"""locations:
  - {{id: pl-1520-face, name: 1520中段掘进工作面, unit: team-blast}}
  - {{id: PL_Bad, name: 大写编号, unit: team-blast}}
  - {{id: pl-1520-face, name: 重复, unit: team-blast}}
  - {{id: pl-ghost, name: 没有的单位, unit: team-ghost}}
  - {{id: pl-colour, name: 拼错的字段, unit: team-blast, colour: red}}
  - {{id: pl-noname, unit: team-blast}}
  - {{id: pl-hidden, name: "炸药\\u200b库", unit: team-blast}}
  - {{id: pl-flag, name: 开关, unit: team-blast, active: maybe}}
  - {{id: pl-long-name, name: "{long_name}", unit: team-blast}}
  - {{id: {long_id}, name: 编号太长, unit: team-blast}}
"""
    assert _problems(await _run(org, text)) == [
        (3, "location_bad_id"),
        (4, "location_duplicate"),
        (5, "unknown_unit"),
        (6, "unknown_key"),
        (7, "missing_field"),
        (8, "hidden_characters"),
        (9, "location_bad_active"),
        (10, "too_long"),
        (11, "too_long"),
    ]
    assert await _stored(org) == []


async def test_an_inactive_unit_and_a_bad_file_shape_are_refused(org: Database) -> None:
    smaller_org = ORG_TEXT.replace(
        "          - id: team-mill\n            name: 选矿班\n"
        '            checkin: {days: workdays, opens: "07:00", due: "07:30"}\n',
        "",
    ).replace("unit: team-mill", "unit: proj-xinqiao")
    ok(await run_org(org, smaller_org))
    inactive = "locations:\n  - {id: xq-mill-floor, name: 选矿车间, unit: team-mill}\n"
    assert _problems(await _run(org, inactive)) == [(2, "inactive_unit")]
    assert _problems(await _run(org, "places: []\n")) == [(1, "unknown_key"), (1, "missing_field")]
    assert _problems(await _run(org, "locations: []\n")) == [(1, "empty_list")]
    assert _problems(await _run(org, "locations: [\n")) == [(1, "yaml_syntax")]
    assert await _stored(org) == []


def test_the_cli_prints_counts_then_problems_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFETYBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    monkeypatch.setenv("SAFETYBOT_LANGUAGE", "en")
    assert runner.invoke(app, ["import", "org", str(EXAMPLES / "org.yaml")]).exit_code == 0
    done = runner.invoke(app, ["import", "locations", str(EXAMPLES / "locations.yaml")])
    assert done.exit_code == 0, done.output
    assert "locations: 6 created, 0 updated" in done.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("locations:\n  - {id: x1, name: 甲, unit: nowhere}\n", encoding="utf-8")
    refused = runner.invoke(app, ["import", "locations", str(bad)])
    assert refused.exit_code == 1
    assert f"{bad}:2: unknown unit 'nowhere'" in refused.stderr
    kept = tmp_path / "one.yaml"
    kept.write_text("locations:\n  - {id: pl-magazine, name: 炸药库, unit: proj-pulang}\n", encoding="utf-8")
    partial = runner.invoke(app, ["import", "locations", str(kept)])
    assert (
        partial.exit_code == 0 and "5 stored location(s) not listed in the file were kept" in partial.stdout
    )


async def test_the_sandbox_demo_loads_the_example_locations_once(db: Database) -> None:
    server = SandboxServer(token="1:demo", host="127.0.0.1", port=0)
    settings = Settings(database_url=db.url, telegram_token=None, _env_file=None)  # type: ignore[call-arg]
    await prepare_sandbox(settings, server)
    stored = await _stored(db)
    assert len(stored) == 6 and ("pl-magazine", "炸药库", "proj-pulang", True) in stored
    audits = await audit_count(db)
    await prepare_sandbox(settings, server)
    assert await _stored(db) == stored and await audit_count(db) == audits
