"""The duty kinds of reports, on both databases, without the chat: which obligations a report's transitions
open and close (idempotent), when they are due, what their digests say and to whom — and that an anonymous
reporter's name reaches no one but safety officers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import col, select, update

from safety import escalation, obligation_actions
from safety.access import Actor
from safety.config import Defaults
from safety.imports.results import ImportReport
from safety.imports.service import import_org_file
from safety.kinds import ACCIDENT_ACK, ACCIDENT_REPORT, RECTIFICATION
from safety.reports import duties
from safety.reports.create import ReportInput, create
from safety.views import View, render
from storage import org_queries as oq
from storage.db import Database
from storage.models import Obligation, OutboxMessage, Person, Report, ReportEvent, Unit
from tests.flow.harness import EXAMPLES

NOW = datetime(2026, 11, 27, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
DEFAULTS = Defaults()
REPORTER = "E1001"  # 张三, team-blast


async def load_org(db: Database) -> dict[str, Person]:
    async with db.session() as session:
        report = await import_org_file(session, EXAMPLES / "org.yaml")
        assert isinstance(report, ImportReport), report
        return {p.employee_no: p for p in await oq.all_people(session)}


def pid(people: dict[str, Person], employee_no: str) -> int:
    person_id = people[employee_no].id
    assert person_id is not None
    return person_id


async def report(db: Database, people: dict[str, Person], **fields: Any) -> Report:
    fields.setdefault("kind", "accident")
    fields.setdefault("description", "爆破作业面落石砸伤")
    async with db.session() as session:
        made = await create(
            session,
            ReportInput(unit_id="team-blast", **fields),
            reporter_id=pid(people, REPORTER),
            now=NOW,
            defaults=DEFAULTS,
        )
    return made


async def obligations(db: Database, report_id: int) -> list[Obligation]:
    async with db.session() as session:
        query = select(Obligation).where(Obligation.ref == f"report:{report_id}").order_by(col(Obligation.id))
        return list((await session.exec(query)).all())


async def tick(db: Database, at: datetime) -> None:
    async with db.session() as session:
        await escalation.tick(session, now=at, defaults=DEFAULTS)


async def received(db: Database, person_id: int, kind: str | None = None) -> list[str]:
    """What a person was sent (rendered in Chinese), oldest first; only outbox rows of `kind` if given."""
    async with db.session() as session:
        query = select(OutboxMessage).where(OutboxMessage.person_id == person_id)
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        rows = (await session.exec(query.order_by(col(OutboxMessage.id)))).all()
    return [render(View.from_payload(r.payload), "zh-CN").text for r in rows]


async def test_an_accident_opens_one_ack_and_a_report_duty_for_the_nearest_manager(db: Database) -> None:
    people = await load_org(db)
    accident = await report(db, people, deaths=0, serious_injuries=1, minor_injuries=0)
    async with db.session() as session:  # called again (a retry): nothing doubles
        await duties.on_reported(session, accident, now=NOW, defaults=DEFAULTS)
    found = await obligations(db, accident.id or 0)
    assert [(o.kind, o.subject_id, o.due_at.replace(tzinfo=UTC)) for o in found] == [
        (ACCIDENT_ACK, pid(people, "S0001"), NOW),  # the owner of record: the nearest safety officer
        (ACCIDENT_REPORT, pid(people, "M0101"), NOW),  # 周建国, the nearest manager
    ]
    assert all(o.unit_id == "team-blast" and o.state == "open" for o in found)
    assert found[0].next_step_at.replace(tzinfo=UTC) == NOW  # type: ignore[union-attr]
    assert found[1].next_step_at.replace(tzinfo=UTC) == NOW + timedelta(minutes=30)  # type: ignore[union-attr]


async def test_a_general_hazard_opens_nothing_and_a_major_one_only_the_ack(db: Database) -> None:
    people = await load_org(db)
    general = await report(db, people, kind="hazard", severity="general", description="护栏缺失")
    major = await report(db, people, kind="hazard", severity="major", description="边坡裂缝")
    assert await obligations(db, general.id or 0) == []
    assert [o.kind for o in await obligations(db, major.id or 0)] == [ACCIDENT_ACK]


async def test_an_anonymous_major_hazard_goes_up_the_chain_without_the_reporters_name(db: Database) -> None:
    people = await load_org(db)
    hazard = await report(
        db, people, kind="hazard", severity="major", description="边坡出现裂缝", anonymous=True
    )
    await tick(db, NOW)
    await tick(db, NOW + timedelta(minutes=10))
    for officer in ("S0001", "S0002"):
        digest = await received(db, pid(people, officer), "digest")
        assert len(digest) == 1 and hazard.number in digest[0] and "边坡出现裂缝" in digest[0]
        assert "张三" not in digest[0]
    manager = await received(db, pid(people, "M0101"), "digest")
    assert len(manager) == 1 and hazard.number in manager[0] and "请确认已知悉" in manager[0]
    for employee_no in ("E1000", "M0101", "M0001"):  # leader, managers: nothing names the reporter
        assert not any("张三" in text for text in await received(db, pid(people, employee_no))), employee_no


async def test_acknowledged_before_ten_minutes_the_manager_gets_no_ack_digest(db: Database) -> None:
    people = await load_org(db)
    accident = await report(db, people)
    await tick(db, NOW)
    ack = (await obligations(db, accident.id or 0))[0]
    async with db.session() as session:
        actor = _actor(people["S0002"], ("safety_officer", "proj-pulang"))
        outcome = await obligation_actions.act(
            session,
            obligation_id=ack.id or 0,
            op="a",
            actor=actor,
            channel="chat",
            now=NOW + timedelta(minutes=3),
            defaults=DEFAULTS,
        )
    assert outcome.status is obligation_actions.ActStatus.DONE
    await tick(db, NOW + timedelta(minutes=11))
    assert await received(db, pid(people, "M0101"), "digest") == []
    edited = await received(db, pid(people, "S0001"), "digest_edit")
    assert edited and "已确认：吴敏" in edited[-1]


async def test_rectification_due_at_the_end_of_the_deadline_day_and_its_transitions(db: Database) -> None:
    people = await load_org(db)
    hazard = await report(db, people, kind="hazard", severity="general", description="配电箱未上锁")
    first, second = pid(people, "E1002"), pid(people, "E1000")
    hazard = await _assign(db, hazard, people, first, date(2026, 11, 28))
    due = datetime(2026, 11, 28, 16, 0, tzinfo=UTC)  # midnight after 11-28 in Shanghai
    [duty] = await obligations(db, hazard.id or 0)
    assert (duty.kind, duty.subject_id, duty.due_at.replace(tzinfo=UTC), duty.state) == (
        RECTIFICATION,
        first,
        due,
        "open",
    )
    hazard = await _assign(db, hazard, people, second, date(2026, 11, 30))  # reassigned to someone else
    old, new = await obligations(db, hazard.id or 0)
    assert (old.subject_id, old.state, old.note) == (first, "expired", "reassigned")
    assert (new.subject_id, new.state) == (second, "open")
    assert new.due_at.replace(tzinfo=UTC) == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    async with db.session() as session:
        await duties.on_submitted(session, hazard, now=NOW, actor_id=second)
        await duties.on_submitted(session, hazard, now=NOW, actor_id=second)
    assert [o.state for o in await obligations(db, hazard.id or 0)] == ["expired", "done"]
    later = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # sent back after the deadline
    async with db.session() as session:
        await duties.on_rejected(session, hazard, now=later, defaults=DEFAULTS)
    reopened = (await obligations(db, hazard.id or 0))[1]
    assert (reopened.state, reopened.level, reopened.closed_by) == ("open", -1, None)
    await tick(db, later)
    assert (await obligations(db, hazard.id or 0))[1].level == 1  # the officers' step, at the next tick
    assert any(hazard.number in text for text in await received(db, pid(people, "S0001"), "digest"))
    async with db.session() as session:
        await duties.on_closed(session, hazard, now=later, actor_id=pid(people, "S0001"))
    assert [o.state for o in await obligations(db, hazard.id or 0)] == ["expired", "acknowledged"]


async def test_authority_reported_by_a_digest_records_the_report(db: Database) -> None:
    """An org file may send accident_report to a role: that digest's 已上报 marks the report too."""
    people = await load_org(db)
    async with db.session() as session:
        policy = {ACCIDENT_REPORT: [{"after": "PT0S", "to": "safety_officer"}]}
        await session.exec(update(Unit).where(col(Unit.id) == "team-blast").values(escalation=policy))
    accident = await report(db, people)
    await tick(db, NOW)
    duty = next(o for o in await obligations(db, accident.id or 0) if o.kind == ACCIDENT_REPORT)
    digest = (await received(db, pid(people, "S0001"), "digest"))[-1]
    assert "尚未上报主管部门" in digest
    async with db.session() as session:
        outcome = await obligation_actions.act(
            session,
            obligation_id=duty.id or 0,
            op="u",
            actor=_actor(people["S0001"], ("safety_officer", "proj-pulang")),
            channel="chat",
            now=NOW + timedelta(minutes=5),
            defaults=DEFAULTS,
        )
    assert outcome.status is obligation_actions.ActStatus.DONE
    async with db.session() as session:
        stored = await session.get(Report, accident.id)
        events = (
            await session.exec(select(ReportEvent).where(ReportEvent.action == "authority_reported"))
        ).all()
    assert stored is not None and stored.authority_reported_by == pid(people, "S0001")
    assert [e.actor_id for e in events] == [pid(people, "S0001")]
    assert {o.kind: o.state for o in await obligations(db, accident.id or 0)} == {
        ACCIDENT_ACK: "acknowledged",
        ACCIDENT_REPORT: "acknowledged",
    }


def _actor(person: Person, *roles: tuple[str, str]) -> Actor:
    assert person.id is not None
    return Actor(
        person_id=person.id,
        employee_no=person.employee_no,
        name=person.name,
        unit_id=person.unit_id,
        language=None,
        roles=frozenset(roles),
    )


async def _assign(
    db: Database, report: Report, people: dict[str, Person], responsible: int, day: date
) -> Report:
    """Assignment without the chat: the report's 五定 fields, then the hook the chat's 指派 calls."""
    async with db.session() as session:
        stored = await session.get(Report, report.id)
        assert stored is not None
        stored.state, stored.responsible_id, stored.deadline = "assigned", responsible, day
        stored.measures, stored.assigned_by, stored.assigned_at = "加锁并张贴警示", pid(people, "S0001"), NOW
        session.add(stored)
        await session.flush()
        await duties.on_assigned(session, stored, now=NOW, defaults=DEFAULTS)
        await session.refresh(stored)
        return stored
