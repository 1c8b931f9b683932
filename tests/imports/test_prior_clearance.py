"""`cleared_on` in the org file and the roster: passes recorded outside the bot, on SQLite and PostgreSQL.

NOW is 2026-11-27 09:00 in Asia/Shanghai; every date below is relative to it.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import event
from sqlmodel import col, select

from safety import clearance, quiz
from safety.clearance import QuizRules
from safety.imports import ImportRejected, ImportReport, import_org, import_roster_file
from safety.imports.questions_service import import_questions_file
from safety.quiz import Step
from storage.db import Database
from storage.models import AuditEntry, ChatIdentity, Clearance, Obligation, Person
from tests.imports.helpers import EXAMPLES, ok, rejected, snapshot

NOW = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
TODAY = date(2026, 11, 27)
YEARLY = QuizRules(clearance_days=365)
FOREVER = QuizRules()

ORG = """\
timezone: Asia/Shanghai
units:
  - id: team
    name: 班组
people:
  - {employee_no: E1, name: 甲, unit: team, roles: [staff], cleared_on: 2026-03-02}
  - {employee_no: E2, name: 乙, unit: team, roles: [staff]}
  - {employee_no: E3, name: 丙, unit: team, roles: [staff, team_leader], cleared_on: "2026-11-27"}
"""


async def org(db: Database, text: str = ORG, rules: QuizRules = YEARLY, now: datetime = NOW) -> Any:
    async with db.session() as session:
        return await import_org(session, text, source="org.yaml", rules=rules, now=now)


async def state(db: Database) -> dict[str, tuple[bool, date | None]]:
    async with db.session() as session:
        people = (await session.exec(select(Person))).all()
    return {p.employee_no: (p.cleared, p.cleared_until) for p in people}


async def history(db: Database) -> list[tuple[str, str, date | None, int | None]]:
    async with db.session() as session:
        rows = (await session.exec(select(Clearance, Person).join(Person))).all()
    return sorted((p.employee_no, c.event, c.until, c.attempt_id) for c, p in rows)


async def prior_audit(db: Database) -> list[tuple[str | None, dict[str, Any] | None]]:
    async with db.session() as session:
        entries = (await session.exec(select(AuditEntry).where(AuditEntry.action == "clearance.prior"))).all()
    return sorted((e.subject, e.detail) for e in entries)


def counts(report: ImportReport | ImportRejected) -> tuple[int, int, int, int]:
    found = ok(report).clearances
    assert found is not None
    return (found.recorded, found.unchanged, found.lapsed, found.superseded)


async def test_cleared_on_clears_with_history_and_audit(db: Database) -> None:
    assert counts(await org(db)) == (2, 0, 0, 0)
    assert await state(db) == {
        "E1": (True, date(2027, 3, 2)),  # 2026-03-02 + 365 days
        "E2": (False, None),
        "E3": (True, date(2027, 11, 27)),
    }
    assert await history(db) == [
        ("E1", "granted", date(2027, 3, 2), None),
        ("E3", "granted", date(2027, 11, 27), None),
    ]
    assert await prior_audit(db) == [
        ("E1", {"cleared_on": "2026-03-02", "until": "2027-03-02", "source": "org.yaml"}),
        ("E3", {"cleared_on": "2026-11-27", "until": "2027-11-27", "source": "org.yaml"}),
    ]


async def test_without_expiry_until_is_none(db: Database) -> None:
    assert counts(await org(db, rules=FOREVER)) == (2, 0, 0, 0)
    assert (await state(db))["E1"] == (True, None)


async def test_reimporting_writes_only_the_import_audit_entry(db: Database) -> None:
    ok(await org(db))
    before = (await snapshot(db), await state(db), await history(db), await prior_audit(db))
    writes: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        report = await org(db, now=NOW + timedelta(days=3))
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
    assert counts(report) == (0, 2, 0, 0) and not ok(report).changed
    assert len(writes) == 1 and "audit_log" in writes[0], writes
    assert (await snapshot(db), await state(db), await history(db), await prior_audit(db)) == before


async def test_an_older_date_never_shortens_a_newer_clearance(db: Database) -> None:
    ok(await org(db))
    older = ORG.replace("cleared_on: 2026-03-02", "cleared_on: 2026-01-05")
    assert counts(await org(db, older)) == (0, 2, 0, 0)
    assert (await state(db))["E1"] == (True, date(2027, 3, 2))
    newer = ORG.replace("cleared_on: 2026-03-02", "cleared_on: 2026-10-08")  # a renewal on paper
    assert counts(await org(db, newer)) == (1, 1, 0, 0)  # E3 unchanged
    assert (await state(db))["E1"] == (True, date(2027, 10, 8))
    assert [h[2] for h in await history(db) if h[0] == "E1"] == [date(2027, 3, 2), date(2027, 10, 8)]


async def test_bad_dates_are_refused_on_their_lines_and_nothing_changes(db: Database) -> None:
    ok(await org(db, ORG.replace(", cleared_on: 2026-03-02", "").replace(', cleared_on: "2026-11-27"', "")))
    before = (await snapshot(db), await state(db))
    bad = ORG.replace("2026-03-02", "2026-02-30").replace('"2026-11-27"', "2026-11-28")
    bad += "  - {employee_no: E4, name: 丁, unit: team, roles: [staff], cleared_on: last spring}\n"
    result = await org(db, bad)
    assert rejected(result) == [(6, "bad_date"), (8, "future_date"), (9, "bad_date")]
    assert isinstance(result, ImportRejected)
    assert result.problems[1].message == "cleared_on '2026-11-28' is in the future (today is 2026-11-27)"
    assert (await snapshot(db), await state(db)) == before
    assert await history(db) == [] and await prior_audit(db) == []


async def test_today_is_the_units_today(db: Database) -> None:
    """At 2026-11-27 01:00 UTC it is already the 27th in Shanghai but still the 26th in New York."""
    text = ORG.replace("timezone: Asia/Shanghai", "timezone: America/New_York")
    assert rejected(await org(db, text)) == [(8, "future_date")]
    ok(await org(db, text.replace('"2026-11-27"', "2026-11-26")))


async def test_a_lapsed_pass_clears_nobody_and_the_quiz_is_required(db: Database) -> None:
    rules = QuizRules(clearance_days=30)
    old = ORG.replace("2026-03-02", "2026-10-27")  # cleared until 2026-11-26: yesterday
    assert counts(await org(db, old, rules=rules)) == (1, 0, 1, 0)
    assert (await state(db))["E1"] == (False, None)
    assert [h[0] for h in await history(db)] == ["E3"]
    await bind(db, "E1", "E2", "E3")
    async with db.session() as session:
        assert await clearance.ensure_requirements(session, now=NOW, rules=rules) == 2
    assert await open_requirements(db) == {"E1", "E2"}
    assert counts(await org(db, old, rules=rules)) == (0, 1, 1, 0)  # and again: still nothing


async def bind(db: Database, *employee_nos: str) -> None:
    async with db.session() as session:
        for person in (await session.exec(select(Person))).all():
            if person.employee_no in employee_nos:
                no = str(person.id)
                session.add(
                    ChatIdentity(person_id=person.id or 0, channel="telegram", external_id=no, chat_id=no)
                )


async def open_requirements(db: Database) -> set[str]:
    async with db.session() as session:
        rows = (
            await session.exec(
                select(Person.employee_no)
                .join(Obligation, col(Obligation.subject_id) == col(Person.id))
                .where(Obligation.kind == "quiz", Obligation.state == "open")
            )
        ).all()
    return set(rows)


async def test_the_pass_closes_an_open_quiz_requirement(db: Database) -> None:
    plain = ORG.replace(", cleared_on: 2026-03-02", "").replace(', cleared_on: "2026-11-27"', "")
    ok(await org(db, plain))
    await bind(db, "E1", "E2", "E3")
    async with db.session() as session:
        assert await clearance.ensure_requirements(session, now=NOW, rules=YEARLY) == 3
    assert counts(await org(db, now=NOW + timedelta(hours=1))) == (2, 0, 0, 0)
    assert await open_requirements(db) == {"E2"}
    async with db.session() as session:
        closed = (await session.exec(select(Obligation).where(Obligation.state == "done"))).all()
        assert await clearance.ensure_requirements(session, now=NOW + timedelta(hours=2), rules=YEARLY) == 0
    assert len(closed) == 2


async def test_a_violation_after_the_pass_is_not_undone_by_a_reimport(db: Database) -> None:
    ok(await org(db))
    async with db.session() as session:
        person = (await session.exec(select(Person).where(Person.employee_no == "E1"))).one()
        await clearance.suspend(session, person=person, violation_id=1, now=NOW + timedelta(hours=1))
    assert counts(await org(db, now=NOW + timedelta(days=1))) == (0, 2, 0, 0)
    assert (await state(db))["E1"][0] is False


async def test_a_pass_before_a_violation_does_not_clear(db: Database) -> None:
    plain = ORG.replace(", cleared_on: 2026-03-02", "").replace(', cleared_on: "2026-11-27"', "")
    ok(await org(db, plain, now=NOW - timedelta(days=10)))
    async with db.session() as session:
        person = (await session.exec(select(Person).where(Person.employee_no == "E1"))).one()
        await clearance.suspend(session, person=person, violation_id=1, now=NOW - timedelta(days=5))
    assert counts(await org(db)) == (1, 0, 0, 1)  # E1's exam of 2026-03-02 came before the violation
    assert (await state(db))["E1"] == (False, None)
    retaken = ORG.replace("2026-03-02", "2026-11-22")  # on the day of the violation: taken as the retake
    assert counts(await org(db, retaken)) == (1, 1, 0, 0)
    assert (await state(db))["E1"] == (True, date(2027, 11, 22))


async def test_a_pass_in_the_bot_counts_as_already_recorded(db: Database) -> None:
    plain = ORG.replace(", cleared_on: 2026-03-02", "")
    ok(await org(db, plain))
    async with db.session() as session:
        await import_questions_file(session, EXAMPLES / "questions.yaml")
        person = (await session.exec(select(Person).where(Person.employee_no == "E1"))).one()
        view = await quiz.start_or_resume(session, person=person, now=NOW, rules=YEARLY, rng=random.Random(1))
    while view.step is Step.ASK:
        assert view.item is not None and view.attempt is not None
        async with db.session() as session:
            fresh = await session.get(Person, person.id)
            assert fresh is not None
            view = await quiz.answer(
                session,
                person=fresh,
                attempt_id=view.attempt.id or 0,
                position=view.item.position,
                chosen=list(view.item.answer),
                now=NOW,
                rules=YEARLY,
            )
    assert (await state(db))["E1"] == (True, date(2027, 11, 27))
    assert counts(await org(db, now=NOW + timedelta(days=1))) == (0, 2, 0, 0)
    assert (await state(db))["E1"] == (True, date(2027, 11, 27))


def roster_csv(path: Path, rows: list[str]) -> Path:
    path.write_text(
        "employee_no,name,phone,unit,roles,cleared_on\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    return path


async def roster(db: Database, path: Path, rules: QuizRules = YEARLY) -> Any:
    async with db.session() as session:
        return await import_roster_file(session, path, rules=rules, now=NOW)


async def test_roster_column_csv_and_xlsx(db: Database, tmp_path: Path) -> None:
    ok(await org(db, ORG.replace(", cleared_on: 2026-03-02", "").replace(', cleared_on: "2026-11-27"', "")))
    path = roster_csv(
        tmp_path / "r.csv", ["E1,甲,,team,staff,2026-05-04", "E2,乙,,team,staff,", "E3,丙,,team,staff,"]
    )
    report = await roster(db, path)
    assert counts(report) == (1, 0, 0, 0) and ok(report).people.updated == 1  # E3 lost team_leader
    assert await state(db) == {"E1": (True, date(2027, 5, 4)), "E2": (False, None), "E3": (False, None)}
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["employee_no", "name", "phone", "unit", "roles", "cleared_on"])
    sheet.append(["E1", "甲", None, "team", "staff", datetime(2026, 5, 4)])  # a date cell: unchanged
    sheet.append(["E2", "乙", None, "team", "staff", datetime(2026, 6, 1)])
    sheet.append(["E3", "丙", None, "team", "staff", "2026-06-31"])
    book.save(tmp_path / "r.xlsx")
    assert rejected(await roster(db, tmp_path / "r.xlsx")) == [(4, "bad_date")]
    sheet["F4"] = None
    book.save(tmp_path / "r.xlsx")
    assert counts(await roster(db, tmp_path / "r.xlsx")) == (1, 1, 0, 0)
    assert (await state(db))["E2"] == (True, date(2027, 6, 1))


async def test_roster_without_the_column_leaves_clearance_alone(db: Database, tmp_path: Path) -> None:
    ok(await org(db))
    path = tmp_path / "plain.csv"
    path.write_text(
        "employee_no,name,phone,unit,roles\nE1,甲,,team,staff\nE3,丙,,team,staff\n", encoding="utf-8"
    )
    report = ok(await roster(db, path))
    assert report.clearances is None and report.people.deactivated == 1
    assert (await state(db))["E1"] == (True, date(2027, 3, 2))
