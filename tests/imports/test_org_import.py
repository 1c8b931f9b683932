"""Importing the org file into the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy import event

from safety.imports import ImportRejected
from safety.policy import resolve_policy
from storage import org_queries as q
from storage.db import Database
from tests.imports.helpers import ORG_TEXT, audit_count, ok, people_state, rejected, run_org, snapshot


async def test_examples_org_creates_expected_rows(db: Database) -> None:
    report = ok(await run_org(db, ORG_TEXT))
    assert (report.units.created, report.people.created) == (7, 20)
    assert report.updated == report.deactivated == report.reactivated == report.unchanged == 0
    state = await people_state(db)
    assert state["E1000"] == (
        "李四",
        "13800000009",
        "team-blast",
        True,
        ("staff@team-blast", "team_leader@team-blast"),
    )
    assert state["E1003"][1] is None
    roles = {r.split("@")[0] for v in state.values() for r in v[4]}
    assert roles == {"staff", "team_leader", "safety_officer", "manager", "admin"}
    async with db.session() as session:
        units = {u.id: u for u in await q.all_units(session)}
    assert units["team-blast"].parent_id == "proj-pulang"
    assert units["proj-pulang"].parent_id == "branch-sw"
    assert units["branch-sw"].parent_id is None
    assert units["team-blast"].checkin == {"days": "workdays", "opens": "07:00", "due": "07:30"}
    assert units["team-haul"].checkin == {"days": "everyday", "opens": "06:30", "due": "07:00"}
    assert all(u.timezone == "Asia/Shanghai" for u in units.values())
    assert await audit_count(db) == 1


async def test_escalation_stored_on_roots_and_overridden_per_unit(db: Database) -> None:
    ok(await run_org(db, ORG_TEXT))
    async with db.session() as session:
        root = await q.get_unit(session, unit_id="branch-sw")
        haul_chain = [u.escalation for u in await q.unit_ancestors(session, unit_id="team-haul")]
        blast_chain = [u.escalation for u in await q.unit_ancestors(session, unit_id="team-blast")]
    assert root is not None and root.escalation is not None
    assert set(root.escalation) == {"checkin", "quiz", "rectification", "accident_ack", "accident_report"}
    assert root.escalation["quiz"][1] == {"after": "P1D", "to": "team_leader"}
    assert resolve_policy(blast_chain, "checkin") == [
        {"after": "PT0S", "to": "self"},
        {"after": "PT15M", "to": "team_leader"},
        {"after": "PT45M", "to": "safety_officer"},
    ]
    assert resolve_policy(haul_chain, "checkin")[1] == {"after": "PT10M", "to": "team_leader"}  # type: ignore[index]
    assert resolve_policy(haul_chain, "quiz") == resolve_policy(blast_chain, "quiz")


async def test_reimport_changes_nothing(db: Database) -> None:
    ok(await run_org(db, ORG_TEXT))
    before = await snapshot(db)
    writes: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        report = ok(await run_org(db, ORG_TEXT))
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
    assert len(writes) == 1 and "audit_log" in writes[0], writes  # only the audit entry is written
    assert report.created == report.updated == report.deactivated == report.reactivated == 0
    assert (report.units.unchanged, report.people.unchanged) == (7, 20)
    assert await snapshot(db) == before
    assert await audit_count(db) == 2


THREE_ERRORS = """\
timezone: Asia/Shanghai
units:
  - id: branch-sw
    name: 西南分公司
    children:
      - id: team-blast
        name: 爆破班
        checkin: {days: workdays, opens: "07:00", due: "7:3O"}
people:
  - {employee_no: E1001, name: 张三, unit: team-blast, roles: [staff]}
  - {employee_no: E1002, name: 王二, unit: team-blast, roles: [welder]}
  - {employee_no: E1001, name: 李四, unit: team-blast, roles: [staff]}
"""


async def test_three_errors_reported_with_lines_and_nothing_changes(db: Database) -> None:
    ok(await run_org(db, ORG_TEXT))
    before = await snapshot(db)
    result = await run_org(db, THREE_ERRORS)
    assert rejected(result) == [(8, "bad_time"), (11, "unknown_role"), (12, "duplicate_employee_no")]
    assert await snapshot(db) == before
    assert await audit_count(db) == 1


async def test_people_missing_from_file_are_deactivated_and_units_too(db: Database) -> None:
    ok(await run_org(db, ORG_TEXT))
    data = yaml.safe_load(ORG_TEXT)
    data["people"] = [p for p in data["people"] if p["employee_no"] != "E1002" and p["unit"] != "team-mill"]
    data["units"][0]["children"] = [c for c in data["units"][0]["children"] if c["id"] != "proj-xinqiao"]
    data["people"] = [p for p in data["people"] if p["unit"] != "proj-xinqiao"]
    report = ok(await run_org(db, yaml.safe_dump(data, allow_unicode=True)))
    assert report.units.deactivated == 2  # proj-xinqiao and team-mill
    assert report.people.deactivated == 5  # E1002, two of team-mill, two of proj-xinqiao
    state = await people_state(db)
    assert len(state) == 20  # nobody deleted
    assert state["E1002"][3] is False and state["E2000"][3] is False and state["E1001"][3] is True
    async with db.session() as session:
        units = {u.id: u.active for u in await q.all_units(session)}
    assert units == {**dict.fromkeys(units, True), "proj-xinqiao": False, "team-mill": False}
    back = ok(await run_org(db, ORG_TEXT))
    assert (back.units.reactivated, back.people.reactivated) == (2, 5)
    assert all(v[3] for v in (await people_state(db)).values())


async def test_changed_person_and_roles_count_as_updated(db: Database) -> None:
    ok(await run_org(db, ORG_TEXT))
    old = '{employee_no: E1001, name: 张三, phone: "13800000010", unit: team-blast, roles: [staff]}'
    new = old.replace("team-blast", "team-drill").replace("[staff]", "[staff, team_leader]")
    text = ORG_TEXT.replace(old, new)
    assert text != ORG_TEXT
    report = ok(await run_org(db, text))
    assert (report.people.updated, report.people.unchanged, report.units.updated) == (1, 19, 0)
    state = await people_state(db)
    assert state["E1001"][2:] == ("team-drill", True, ("staff@team-drill", "team_leader@team-drill"))


async def test_units_without_people_key_leave_people_alone(db: Database) -> None:
    ok(await run_org(db, ORG_TEXT))
    data = yaml.safe_load(ORG_TEXT)
    del data["people"]
    report = ok(await run_org(db, yaml.safe_dump(data, allow_unicode=True)))
    assert report.people.unchanged == report.people.deactivated == 0 and report.as_dict().keys() == {"units"}
    assert all(v[3] for v in (await people_state(db)).values())
    # removing a unit that still has active people is refused when the file does not list people
    data["units"][0]["children"].pop()  # proj-xinqiao with team-mill
    before = await snapshot(db)
    text = yaml.safe_dump(data, allow_unicode=True)
    units_list_line = text.splitlines().index("units:") + 2
    result = await run_org(db, text)
    assert rejected(result) == [(units_list_line, "removed_unit_has_people")] * 2
    assert isinstance(result, ImportRejected)
    assert {p.params["id"]: p.params["count"] for p in result.problems} == {"proj-xinqiao": 2, "team-mill": 2}
    assert await snapshot(db) == before


async def test_flat_parent_form_gives_the_same_tree(db: Database) -> None:
    flat = """\
units:
  - {id: team-a, name: A班, parent: proj, checkin: {days: [mon, wed, fri], opens: "7:00", due: "07:30"}}
  - {id: proj, name: 项目部, parent: root}
  - {id: root, name: 分公司}
people:
  - {employee_no: E1, name: 甲, unit: team-a, roles: staff}
"""
    report = ok(await run_org(db, flat))
    assert report.units.created == 3
    async with db.session() as session:
        chain = [u.id for u in await q.unit_ancestors(session, unit_id="team-a")]
        unit = await q.get_unit(session, unit_id="team-a")
    assert chain == ["team-a", "proj", "root"]
    assert unit is not None and unit.checkin == {
        "days": ["mon", "wed", "fri"],
        "opens": "07:00",
        "due": "07:30",
    }
    assert unit.timezone is None  # no zone anywhere: the SAFETYBOT_TIMEZONE default applies
