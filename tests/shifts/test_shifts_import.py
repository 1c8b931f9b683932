"""`safetybot import shifts` (值班表): the example files (YAML and CSV) store the 2027 春节 roster; importing
again changes nothing; a malformed file names every error with its line and changes nothing; a later file
replaces the roster of the units and dates it names but keeps confirmed shifts; the CLI prints counts or
problems."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select, update
from typer.testing import CliRunner

from bot.cli import app
from safety.config import Defaults
from safety.imports.results import ImportRejected
from safety.imports.shifts_file import import_shifts, import_shifts_file
from safety.shifts.replace import ShiftsReport
from safety.shifts.rules import as_utc, role_of, window
from storage.db import Database
from storage.models import DutyShift, Person
from tests.imports.helpers import EXAMPLES, ORG_TEXT, audit_count, ok, run_org

NOW = datetime(2027, 1, 20, 2, 0, tzinfo=UTC)
DEFAULTS = Defaults()
runner = CliRunner()
Row = tuple[str, str, str, datetime, datetime]


@pytest.fixture
async def org(db: Database) -> Database:
    ok(await run_org(db, ORG_TEXT))
    return db


async def _text(db: Database, text: str) -> ShiftsReport | ImportRejected:
    async with db.session() as session:
        return await import_shifts(session, text, now=NOW, defaults=DEFAULTS)


async def _file(db: Database, path: Path) -> ShiftsReport | ImportRejected:
    async with db.session() as session:
        return await import_shifts_file(session, path, now=NOW, defaults=DEFAULTS)


def _done(result: ShiftsReport | ImportRejected) -> ShiftsReport:
    assert isinstance(result, ShiftsReport), [f"{p.line}: {p.message}" for p in result.problems]
    return result


def _problems(result: ShiftsReport | ImportRejected) -> list[tuple[int, str]]:
    assert isinstance(result, ImportRejected), f"expected problems, got {result}"
    return [(p.line, p.code) for p in result.problems]


async def _stored(db: Database) -> list[tuple[int | None, str, str, str, datetime, datetime]]:
    async with db.session() as session:
        rows = (await session.exec(select(DutyShift, Person).join(Person))).all()
    return sorted(
        (s.id, p.employee_no, s.unit_id, s.role, as_utc(s.starts_at), as_utc(s.ends_at)) for s, p in rows
    )


def test_times_are_local_and_an_end_not_after_the_start_is_the_next_day() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    day = date(2027, 2, 6)
    assert window(day, "08:00", "08:00", zone) == (
        datetime(2027, 2, 6, 0, 0, tzinfo=UTC),
        datetime(2027, 2, 7, 0, 0, tzinfo=UTC),
    )
    starts, ends = window(day, "20:00", "08:00", zone)
    assert ends - starts == timedelta(hours=12) and starts == datetime(2027, 2, 6, 12, 0, tzinfo=UTC)
    starts, ends = window(day, "08:30", "17:30", zone)
    assert ends - starts == timedelta(hours=9)
    assert [role_of(w) for w in ("带班领导", "值班员", "Leader", "officer", "班长")] == [
        "leader",
        "officer",
        "leader",
        "officer",
        None,
    ]


async def test_the_example_files_store_the_roster_and_again_changes_nothing(org: Database) -> None:
    first = _done(await _file(org, EXAMPLES / "shifts.yaml"))
    assert (first.created, first.updated, first.removed, first.unchanged) == (45, 0, 0, 0)
    stored = await _stored(org)
    assert len(stored) == 45
    eve = datetime(2027, 2, 5, 0, 0, tzinfo=UTC)  # 2027-02-05 08:00 in Asia/Shanghai
    assert (
        "M0101",
        "proj-pulang",
        "leader",
        eve,
        eve + timedelta(days=1),
    ) in [row[1:] for row in stored]
    office = datetime(2027, 2, 5, 0, 30, tzinfo=UTC)
    assert ("A0002", "branch-sw", "officer", office, office + timedelta(hours=9)) in [r[1:] for r in stored]
    audits = await audit_count(org)
    for path in (EXAMPLES / "shifts.yaml", EXAMPLES / "shifts.csv"):  # the CSV holds the same rows
        again = _done(await _file(org, path))
        assert (again.created, again.updated, again.removed, again.unchanged) == (0, 0, 0, 45), path
        assert await _stored(org) == stored
    assert await audit_count(org) == audits + 2


async def test_a_malformed_file_names_each_error_with_its_line_and_changes_nothing(org: Database) -> None:
    _done(await _file(org, EXAMPLES / "shifts.yaml"))
    before = await _stored(org)
    async with org.session() as session:
        await session.exec(update(Person).where(col(Person.employee_no) == "E1003").values(active=False))
    bad = """shifts:
  - {date: 2027-02-06, from: "08:00", to: "08:00", employee_no: M0101, role: 带班领导, unit: proj-pulang}
  - {date: 2027-02-06, from: "08:00", to: "08:00", employee_no: X9999, role: 值班员, unit: proj-pulang}
  - {date: 2027-02-06, from: "08:00", to: "08:00", employee_no: S0001, role: 值班员, unit: nowhere}
  - {date: 2027-02-06, from: "08:00", to: "08:00", employee_no: E1003, role: 值班员, unit: team-blast}
  - {date: 2027-02-06, from: "08:00", to: "08:00", employee_no: S0002, role: 班长, unit: proj-pulang}
  - {date: 2027-02-06, from: "25:00", to: "08:00", employee_no: S0002, role: 值班员, unit: proj-pulang}
  - {date: 2027-02-30, from: "08:00", to: "08:00", employee_no: S0002, role: 值班员, unit: proj-pulang}
  - {date: 2027-02-06, from: "08:00", to: "08:00", employee_no: M0101, role: leader, unit: proj-pulang}
  - {date: 2027-02-06, from: "08:00", employee_no: S0002, role: 值班员, unit: proj-pulang}
  - {date: 2027-02-06, from: "08:00", to: "08:00", employee_no: S0002, role: 值班员, unit: team-haul, x: 1}
"""
    assert _problems(await _text(org, bad)) == [
        (3, "shift_unknown_person"),
        (4, "unknown_unit"),
        (5, "shift_inactive_person"),
        (6, "shift_bad_role"),
        (7, "bad_time"),
        (8, "bad_date"),
        (9, "shift_duplicate"),
        (10, "missing_field"),
        (11, "unknown_key"),
    ]
    assert await _stored(org) == before
    assert _problems(await _text(org, "shifts: []\n")) == [(1, "empty_list")]
    assert _problems(await _text(org, "shifts: [\n")) == [(1, "yaml_syntax")]


async def test_a_malformed_csv_names_its_lines(org: Database, tmp_path: Path) -> None:
    path = tmp_path / "shifts.csv"
    path.write_text(
        "date,from,to,employee_no,role\n2027-02-06,08:00,08:00,M0101,带班领导\n", encoding="utf-8"
    )
    assert _problems(await _file(org, path)) == [(1, "missing_columns")]
    path.write_text(
        "Date,From,To,Employee_No,Role,Unit\n"
        "2027-02-06,08:00,08:00,M0101,带班领导,proj-pulang\n"
        "2027-02-06,8:00,,S0001,值班员,proj-pulang\n"
        "2027-02-06,08:00,24:00,S0001,值班员,proj-pulang\n",
        encoding="utf-8",
    )
    assert _problems(await _file(org, path)) == [(3, "missing_field"), (4, "bad_time")]
    assert await _stored(org) == []
    (tmp_path / "shifts.txt").write_text("x", encoding="utf-8")
    assert _problems(await _file(org, tmp_path / "shifts.txt")) == [(0, "unsupported_file_type")]


async def test_a_later_file_replaces_its_units_and_dates_but_keeps_confirmed_shifts(org: Database) -> None:
    _done(await _file(org, EXAMPLES / "shifts.yaml"))
    before = await _stored(org)
    async with org.session() as session:  # 吴敏 confirmed 到岗 on 02-06 at 普朗
        officer = (
            await session.exec(
                select(DutyShift)
                .join(Person)
                .where(col(Person.employee_no) == "S0002", col(DutyShift.day) == date(2027, 2, 6))
            )
        ).one()
        officer.confirmed_at = datetime(2027, 2, 6, 0, 5, tzinfo=UTC)
        session.add(officer)
    later = """shifts:
  - {date: 2027-02-06, from: "08:00", to: "08:00", employee_no: M0001, role: 带班领导, unit: proj-pulang}
  - {date: 2027-02-06, from: "08:00", to: "20:00", employee_no: E1000, role: 值班员, unit: proj-pulang}
  - {date: 2027-02-06, from: "08:00", to: "08:00", employee_no: M0201, role: 值班员, unit: proj-xinqiao}
"""
    report = _done(await _text(org, later))
    assert (report.created, report.updated, report.removed, report.unchanged, report.kept) == (1, 1, 1, 1, 1)
    after = await _stored(org)
    gone = {r[1:] for r in before} - {r[1:] for r in after}
    assert {(r[0], r[1], r[2]) for r in gone} == {
        ("S0201", "proj-xinqiao", "officer"),
        ("M0201", "proj-xinqiao", "leader"),
    }
    added = {r[1:] for r in after} - {r[1:] for r in before}
    assert {(r[0], r[1], r[2]) for r in added} == {
        ("E1000", "proj-pulang", "officer"),
        ("M0201", "proj-xinqiao", "officer"),
    }
    assert ("S0002", "proj-pulang") in {(r[1], r[2]) for r in after if r[4].date() == date(2027, 2, 6)}
    assert len(after) == len(before)  # 45 - S0201 + E1000; M0201's role changed in place; 02-05 untouched


def test_the_cli_prints_counts_then_problems_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFETYBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    monkeypatch.setenv("SAFETYBOT_LANGUAGE", "en")
    assert runner.invoke(app, ["import", "org", str(EXAMPLES / "org.yaml")]).exit_code == 0
    done = runner.invoke(app, ["import", "shifts", str(EXAMPLES / "shifts.csv")])
    assert done.exit_code == 0, done.output
    assert "shifts: 45 created, 0 updated, 0 removed, 0 unchanged" in done.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        'shifts:\n  - {date: 2027-02-06, from: "08:00", to: "08:00", employee_no: M0101, role: 班长,'
        " unit: proj-pulang}\n",
        encoding="utf-8",
    )
    refused = runner.invoke(app, ["import", "shifts", str(bad)])
    assert refused.exit_code == 1
    assert f"{bad}:2: role '班长' must be one of 带班领导, 值班员, leader, officer" in refused.stderr
