"""`safetybot clear EMPLOYEE_NO ... --on DATE [--note TEXT]`: a pass recorded outside the bot, through the
real command line (typer's CliRunner, in a thread: the command runs its own event loop), on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select
from typer.testing import CliRunner, Result

from bot.cli import app
from safety import clearance
from safety.clearance import QuizRules
from safety.imports import import_org
from storage.db import Database
from storage.models import AuditEntry, ChatIdentity, Clearance, Obligation, Person

runner = CliRunner()


def today() -> date:
    """Today in the default zone, read when used (a run may cross midnight in Shanghai)."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


ORG = """\
units:
  - {id: team, name: 班组}
people:
  - {employee_no: E1, name: 甲, unit: team, roles: [staff]}
  - {employee_no: E2, name: 乙, unit: team, roles: [staff]}
  - {employee_no: E3, name: 丙, unit: team, roles: [staff]}
"""


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFETYBOT_LANGUAGE", "en")
    monkeypatch.setenv("SAFETYBOT_CLEARANCE_DAYS", "365")


@pytest.fixture
async def people(db: Database) -> Database:
    async with db.session() as session:
        await import_org(session, ORG)
    return db


async def clear(db: Database, *args: str) -> Result:
    return await asyncio.to_thread(runner.invoke, app, ["clear", *args, "--database-url", db.url])


async def state(db: Database) -> dict[str, Any]:
    async with db.session() as session:
        people = {p.id: p for p in (await session.exec(select(Person))).all()}
        rows = (await session.exec(select(Clearance))).all()
        audit = (await session.exec(select(AuditEntry).where(AuditEntry.action == "clearance.prior"))).all()
    return {
        "people": {p.employee_no: (p.cleared, p.cleared_until) for p in people.values()},
        "history": sorted((people[r.person_id].employee_no, r.event, r.until) for r in rows),
        "audit": sorted((a.subject, a.channel, a.detail) for a in audit),
    }


def day(offset: int) -> str:
    return (today() + timedelta(days=offset)).isoformat()


async def test_clears_each_named_person_once(people: Database) -> None:
    on = day(-10)
    until = today() + timedelta(days=355)
    done = await clear(people, "E1", "E2", "E1", "--on", on, "--note", " 纸质考试，第三期 ")
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines() == [
        f"E1 甲: cleared for duty by the exam passed on {on}, until {until}",
        f"E2 乙: cleared for duty by the exam passed on {on}, until {until}",
    ]
    detail = {"cleared_on": on, "until": until.isoformat(), "source": "cli", "note": "纸质考试，第三期"}
    expected = {
        "people": {"E1": (True, until), "E2": (True, until), "E3": (False, None)},
        "history": [("E1", "granted", until), ("E2", "granted", until)],
        "audit": [("E1", "cli", detail), ("E2", "cli", detail)],
    }
    assert await state(people) == expected
    again = await clear(people, "E1", "--on", on)
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines() == [
        f"E1 甲: a pass on or after {on} is already recorded; nothing changed"
    ]
    assert await state(people) == expected


async def test_without_expiry(people: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFETYBOT_CLEARANCE_DAYS", "0")
    done = await clear(people, "E3", "--on", day(0))
    assert done.exit_code == 0, done.output
    assert done.stdout == f"E3 丙: cleared for duty by the exam passed on {day(0)} (no expiry)\n"
    assert (await state(people))["people"]["E3"] == (True, None)


async def test_unknown_and_inactive_people_refuse_the_whole_command(people: Database) -> None:
    async with people.session() as session:
        await import_org(
            session, ORG.replace("  - {employee_no: E3, name: 丙, unit: team, roles: [staff]}\n", "")
        )
    before = await state(people)
    refused = await clear(people, "E1", "NOPE", "E3", "--on", day(-1))
    assert refused.exit_code == 1
    assert refused.stderr.splitlines() == [
        "NOPE: nobody on the roster has this employee number",
        "E3 丙: no longer on the roster (deactivated); import a roster that lists them first",
        "2 problem(s); nothing was changed",
    ]
    assert refused.stdout == ""
    assert await state(people) == before  # E1 was not cleared either


@pytest.mark.parametrize(
    ("on", "message"),
    [
        ("2026-02-30", "--on '2026-02-30' is not a date YYYY-MM-DD"),
        ("yesterday", "--on 'yesterday' is not a date YYYY-MM-DD"),
        ("2026-3-2", "--on '2026-3-2' is not a date YYYY-MM-DD"),
        ("tomorrow", "--on '{tomorrow}' is in the future (today is {today})"),
    ],
)
async def test_bad_or_future_dates_are_refused(people: Database, on: str, message: str) -> None:
    if on == "tomorrow":
        on, message = day(1), message.format(tomorrow=day(1), today=today())
    before = await state(people)
    refused = await clear(people, "E1", "--on", on)
    assert refused.exit_code == 1
    assert refused.stderr.splitlines() == [message, "1 problem(s); nothing was changed"]
    assert await state(people) == before


async def test_a_note_with_control_characters_is_refused(people: Database) -> None:
    refused = await clear(people, "E1", "--on", day(0), "--note", "ok\x1b[2J")
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0].startswith(
        "--note contains invisible or control characters (U+001B)"
    )
    assert (await state(people))["history"] == []


async def test_a_lapsed_pass_is_refused(people: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFETYBOT_CLEARANCE_DAYS", "30")
    refused = await clear(people, "E1", "E2", "--on", day(-31))
    assert refused.exit_code == 1
    lapsed = f"a pass on {day(-31)} clears only until {day(-1)}, which is past; they must take the quiz again"
    assert refused.stderr.splitlines() == [
        f"E1 甲: {lapsed}",
        f"E2 乙: {lapsed}",
        "2 problem(s); nothing was changed",
    ]
    assert (await state(people))["history"] == []
    assert (await clear(people, "E1", "--on", day(-30))).exit_code == 0  # until today: still valid


async def test_a_pass_before_a_later_violation_is_refused(people: Database) -> None:
    async with people.session() as session:
        person = (await session.exec(select(Person).where(Person.employee_no == "E2"))).one()
        violation_at = datetime.now(UTC) - timedelta(days=2)
        await clearance.suspend(session, person=person, violation_id=7, now=violation_at)
    suspended = violation_at.astimezone(ZoneInfo("Asia/Shanghai")).date()
    refused = await clear(people, "E2", "--on", (suspended - timedelta(days=1)).isoformat())
    assert refused.exit_code == 1
    assert f"a violation on {suspended} suspended them after the exam of" in refused.stderr
    done = await clear(people, "E2", "--on", suspended.isoformat())  # the retake, on the day or after
    assert done.exit_code == 0, done.output
    assert (await state(people))["people"]["E2"][0] is True


async def test_clearing_closes_the_open_quiz_requirement(people: Database) -> None:
    async with people.session() as session:
        for person in (await session.exec(select(Person))).all():
            session.add(
                ChatIdentity(person_id=person.id or 0, channel="telegram", external_id=str(person.id))
            )
    async with people.session() as session:
        now = datetime.now(UTC)
        assert await clearance.ensure_requirements(session, now=now, rules=QuizRules(clearance_days=365)) == 3
    done = await clear(people, "E1", "--on", day(0))
    assert done.exit_code == 0, done.output
    async with people.session() as session:
        states = {
            person.employee_no: obligation.state
            for obligation, person in (
                await session.exec(select(Obligation, Person).where(Obligation.subject_id == Person.id))
            ).all()
        }
    assert states == {"E1": "done", "E2": "open", "E3": "open"}


async def test_messages_follow_the_language(people: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAFETYBOT_LANGUAGE")
    done = await clear(people, "E1", "--on", day(0))
    until: date = today() + timedelta(days=365)
    assert done.stdout == f"E1 甲：已按 {day(0)} 的考试合格准许上岗，有效期至 {until}\n"
    refused = await clear(people, "X9", "--on", day(0))
    assert refused.stderr.splitlines() == ["X9：花名册中没有这个工号", "发现 1 个问题，未做任何修改"]


def test_an_unusable_database_is_one_line_and_exit_two(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    url = f"sqlite+aiosqlite:///{blocker / 'sub' / 'x.db'}"
    result = runner.invoke(app, ["clear", "E1", "--on", day(0), "--database-url", url])
    assert result.exit_code == 2
    assert result.stderr.startswith("the database refused the command; nothing was changed (")
    assert "Traceback" not in result.output
