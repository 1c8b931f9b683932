"""The roster's duties over time (safety.shifts.duties.send_due) and who is on duty (roster.on_duty), with an
explicit `now`: reminded once 24 hours before, opened once at the start with the shift message as the
fired first step, ended (expired) after the end; a re-import that drops an opened shift ends its
obligation; on_duty covers a team from its project's roster, nearest first, leader first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from safety.access import Actor
from safety.config import Defaults
from safety.imports.shifts_file import import_shifts
from safety.shifts import confirm, duties, roster
from safety.shifts.replace import ShiftsReport
from storage.db import Database
from storage.models import DutyShift, Obligation, OutboxMessage
from storage.org_queries import people_by_employee_no
from tests.imports.helpers import ORG_TEXT, ok, run_org

DEFAULTS = Defaults()
START = datetime(2027, 2, 6, 0, 0, tzinfo=UTC)  # 2027-02-06 08:00 in Asia/Shanghai
ROSTER = """shifts:
  - {date: 2027-02-06, from: "08:00", to: "08:00", employee_no: M0101, role: 带班领导, unit: proj-pulang}
  - {date: 2027-02-06, from: "08:00", to: "20:00", employee_no: S0001, role: 值班员, unit: proj-pulang}
  - {date: 2027-02-06, from: "08:30", to: "17:30", employee_no: A0002, role: 值班员, unit: branch-sw}
"""


@pytest.fixture
async def org(db: Database) -> Database:
    ok(await run_org(db, ORG_TEXT))
    return db


async def load(db: Database, text: str, now: datetime) -> ShiftsReport:
    async with db.session() as session:
        report = await import_shifts(session, text, now=now, defaults=DEFAULTS)
    assert isinstance(report, ShiftsReport), report
    return report


async def run(db: Database, now: datetime) -> duties.SendReport:
    async with db.session() as session:
        return await duties.send_due(session, now=now, defaults=DEFAULTS)


async def obligations(db: Database) -> list[tuple[str, int, str, datetime | None]]:
    async with db.session() as session:
        rows = (await session.exec(select(Obligation).order_by(col(Obligation.id)))).all()
    return [(o.ref, o.level, o.state, o.next_step_at) for o in rows]


async def outbox_keys(db: Database) -> list[str]:
    async with db.session() as session:
        return sorted((await session.exec(select(OutboxMessage.key))).all())


async def test_reminded_once_opened_once_and_ended(org: Database) -> None:
    await load(org, ROSTER, START - timedelta(days=3))
    assert await run(org, START - timedelta(hours=24, minutes=1)) == duties.SendReport(0, 0, 0)
    assert await run(org, START - timedelta(hours=24)) == duties.SendReport(2, 0, 0)  # not 08:30's yet
    assert await run(org, START - timedelta(hours=23)) == duties.SendReport(1, 0, 0)
    assert await run(org, START - timedelta(hours=1)) == duties.SendReport(0, 0, 0)
    assert await run(org, START) == duties.SendReport(0, 2, 0)
    assert await run(org, START + timedelta(minutes=1)) == duties.SendReport(0, 0, 0)
    opened = await obligations(org)
    assert [(ref, level, state) for ref, level, state, _ in opened] == [
        (opened[0][0], 0, "open"),
        (opened[1][0], 0, "open"),
    ]
    assert {next_at.replace(tzinfo=UTC) for *_, next_at in opened if next_at} == {
        START + timedelta(minutes=15)
    }
    keys = await outbox_keys(org)
    assert len([k for k in keys if k.endswith(":remind")]) == 3
    assert len([k for k in keys if k.endswith(":start")]) == 2
    assert await run(org, START + timedelta(hours=1)) == duties.SendReport(0, 1, 0)  # 孙海燕's, late
    assert await run(org, START + timedelta(hours=12)) == duties.SendReport(0, 0, 2)
    states = [state for _, _, state, _ in await obligations(org)]
    assert states == ["open", "expired", "expired"]  # 王五's 08:00–20:00, 孙海燕's 08:30–17:30 ended


async def test_a_re_import_without_an_opened_shift_ends_its_obligation(org: Database) -> None:
    await load(org, ROSTER, START - timedelta(days=3))
    await run(org, START)
    smaller = "\n".join(line for line in ROSTER.splitlines() if "S0001" not in line) + "\n"
    report = await load(org, smaller, START + timedelta(minutes=5))
    assert (report.removed, report.unchanged) == (1, 2)
    states = [(state, level) for _, level, state, _ in await obligations(org)]
    assert states == [("open", 0), ("expired", 0)]


async def test_on_duty_covers_a_team_from_the_project_roster_nearest_first(org: Database) -> None:
    await load(org, ROSTER, START - timedelta(days=3))
    async with org.session() as session:
        team = await roster.on_duty(session, unit_id="team-blast", now=START + timedelta(hours=1))
        branch = await roster.on_duty(session, unit_id="branch-sw", now=START + timedelta(hours=1))
        other = await roster.on_duty(session, unit_id="team-mill", now=START + timedelta(hours=1))
        late = await roster.on_duty(session, unit_id="team-blast", now=START + timedelta(hours=13))
        before = await roster.on_duty(session, unit_id="team-blast", now=START - timedelta(seconds=1))
    assert [(d.name, d.role, d.unit_id) for d in team] == [
        ("周建国", "leader", "proj-pulang"),
        ("王五", "officer", "proj-pulang"),
        ("孙海燕", "officer", "branch-sw"),
    ]
    assert [d.name for d in branch] == ["孙海燕"]
    assert [d.name for d in other] == ["孙海燕"]  # 新桥 has no roster of its own that day
    assert [d.name for d in late] == ["周建国"]
    assert before == []


def actor_of(person_id: int, employee_no: str) -> Actor:
    return Actor(
        person_id=person_id,
        employee_no=employee_no,
        name=employee_no,
        unit_id="proj-pulang",
        language=None,
        roles=frozenset(),
    )


async def test_a_press_before_the_start_after_the_end_or_on_a_missing_shift_changes_nothing(
    org: Database,
) -> None:
    await load(org, ROSTER, START - timedelta(days=3))
    async with org.session() as session:
        shifts = {s.role + s.unit_id: s for s in (await session.exec(select(DutyShift))).all()}
        people = await people_by_employee_no(session, employee_nos=["S0001", "M0101"])
    officer = shifts["officerproj-pulang"]
    assert officer.id is not None
    me = actor_of(people["S0001"].id or 0, "S0001")

    async def press(shift_id: int, now: datetime, who: Actor = me) -> confirm.Status:
        async with org.session() as session:
            outcome = await confirm.press(
                session, shift_id=shift_id, actor=who, now=now, defaults=DEFAULTS, channel="test"
            )
        return outcome.status

    assert await press(officer.id, START - timedelta(minutes=1)) is confirm.Status.NOT_STARTED
    assert await press(officer.id, START + timedelta(hours=12)) is confirm.Status.ENDED
    assert await press(officer.id + 100, START) is confirm.Status.NOT_FOUND
    other = actor_of(people["M0101"].id or 0, "M0101")
    assert await press(officer.id, START, other) is confirm.Status.NOT_YOURS
    async with org.session() as session:
        assert all(s.confirmed_at is None for s in (await session.exec(select(DutyShift))).all())
    assert await press(officer.id, START + timedelta(minutes=3)) is confirm.Status.CONFIRMED
    assert await press(officer.id, START + timedelta(minutes=4)) is confirm.Status.ALREADY
