"""A scripted November 2026 for the duty-list tests, played through the domain functions with explicit
`now` (examples/org.yaml, locations.yaml and checklists.yaml; Asia/Shanghai):

- 11-01 01:00 (10-31 17:00 UTC): 王五 S0001 inspects 炸药库 — a November date locally.
- 11-02: 爆破班's round opens at 07:00; 张三 E1001 checks in at 07:10, 李四 E1000 at 07:12, 王二 E1002 does
  not. At 07:46 the escalation tick sends 李四 the digest; he presses 提醒 for 王二 at 07:50 and 已处理 for
  陈刚 E1003 at 07:55. A card reaches the managers and safety officers at 09:00: 周建国 M0101 reads it at
  09:30 and deploys it at 09:40; 王五 reads it at 10:00.
- 11-03: 张三 reports a hazard at 10:00, 王五 assigns it to 张三 at 11:00; 王二 reports anonymously at 12:00.
- 11-05: 王五 accepts the rectification at 14:00 (销号).
- 11-10: 王五 inspects 1520中段掘进工作面 by the scaffold checklist at 15:00.
- 11-14: 周建国 is 带班领导 of 普朗铜矿项目部 08:00–20:00 and confirms 到岗 at 08:05.
- 12-01 07:30 (11-30 23:30 UTC): 王五 inspects 炸药库 — the week of 11-30, but December locally.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import select

from safety import checkin, escalation, obligation_actions, rounds
from safety.access import Actor, load_actor
from safety.cards import acknowledge, delivery, views
from safety.config import Defaults
from safety.imports.checklists_file import import_checklists_file
from safety.imports.locations_file import import_locations_file
from safety.imports.service import import_org_file
from safety.imports.shifts_file import import_shifts
from safety.inspections import inspections
from safety.shifts import confirm
from storage.db import Database
from storage.models import Card, CardRecipient, ChatIdentity, DutyShift, Obligation, Person, Round
from tests.imports.helpers import EXAMPLES
from tests.reports.steps import assign, move, new_report
from tests.scripted_time import EveryDay, shanghai

DEFAULTS = Defaults()


local = shanghai


@dataclass
class Org:
    ids: dict[str, int]
    db: Database

    async def actor(self, employee_no: str) -> Actor:
        async with self.db.reading() as session:
            found = await load_actor(session, channel="telegram", external_id=employee_no)
        assert found is not None
        return found


async def load(db: Database) -> Org:
    async with db.session() as session:
        await import_org_file(session, EXAMPLES / "org.yaml")
        await import_locations_file(session, EXAMPLES / "locations.yaml")
        await import_checklists_file(session, EXAMPLES / "checklists.yaml")
        people = (await session.exec(select(Person))).all()
        for person in people:  # bound on a chat (only bound staff are expected at rounds), cleared for duty
            assert person.id is not None
            person.cleared = True
            session.add(
                ChatIdentity(
                    person_id=person.id,
                    channel="telegram",
                    external_id=person.employee_no,
                    chat_id=person.employee_no,
                )
            )
    return Org({p.employee_no: p.id for p in people if p.id is not None}, db)


async def inspect(org: Org, employee_no: str, location_id: str, at: datetime) -> None:
    actor = await org.actor(employee_no)
    async with org.db.session() as session:
        checklist = await inspections.checklist(session, "scaffold")
        assert checklist is not None
        await inspections.record(
            session,
            actor=actor,
            checklist_id="scaffold",
            items=checklist.items,
            answers=[inspections.Answer("ok") for _ in checklist.items],
            location_id=location_id,
            location_text=None,
            started_at=at - timedelta(minutes=20),
            now=at,
            defaults=DEFAULTS,
        )


async def press_card(org: Org, employee_no: str, action: str, at: datetime) -> None:
    async with org.db.session() as session:
        mine = (
            await session.exec(select(CardRecipient).where(CardRecipient.person_id == org.ids[employee_no]))
        ).one()
        outcome = await acknowledge.press(
            session, action=action, arg=views.arg_of(mine), actor_id=mine.person_id, now=at, defaults=DEFAULTS
        )
    assert outcome.status is acknowledge.Status.RECORDED, outcome


async def digest_press(org: Org, by: str, subject: str, op: str, at: datetime) -> None:
    actor = await org.actor(by)
    async with org.db.session() as session:
        found = (
            await session.exec(
                select(Obligation).where(
                    Obligation.kind == "checkin", Obligation.subject_id == org.ids[subject]
                )
            )
        ).one()
        outcome = await obligation_actions.act(
            session,
            obligation_id=found.id or 0,
            op=op,
            actor=actor,
            channel="telegram",
            now=at,
            defaults=DEFAULTS,
        )
    assert outcome.status is obligation_actions.ActStatus.DONE, outcome


async def play(db: Database) -> Org:
    org = await load(db)
    await inspect(org, "S0001", "pl-magazine", local(1, "01:00"))

    async with db.session() as session:
        await rounds.open_due_rounds(session, now=local(2, "07:01"), calendar=EveryDay(), defaults=DEFAULTS)
        round_id = (
            (
                await session.exec(
                    select(Round).where(Round.unit_id == "team-blast", Round.day == date(2026, 11, 2))
                )
            )
            .one()
            .id
        )
    assert round_id is not None
    for employee_no, hhmm in (("E1001", "07:10"), ("E1000", "07:12")):
        actor = await org.actor(employee_no)
        async with db.session() as session:
            answered = await checkin.answer(
                session, actor=actor, round_id=round_id, fit=True, now=local(2, hhmm), defaults=DEFAULTS
            )
        assert answered.answer is checkin.Answer.ON_TIME, answered
    async with db.session() as session:
        await escalation.tick(session, now=local(2, "07:46"), defaults=DEFAULTS)
    await digest_press(org, "E1000", "E1002", "r", local(2, "07:50"))
    await digest_press(org, "E1000", "E1003", "h", local(2, "07:55"))

    card = Card(
        id="duty-card",
        title="冬季四防提示卡",
        date_rule="11-02",
        audience_roles=["manager", "safety_officer"],
        audience_units=["proj-pulang"],
        items=["防火", "防冻"],
        ack=["read", "deployed"],
    )
    async with db.session() as session:
        session.add(card)
    async with db.session() as session:
        await delivery.publish(
            session,
            card=card,
            event_date=date(2026, 11, 2),
            send_at=local(2, "09:00"),
            now=local(2, "09:00"),
            defaults=DEFAULTS,
        )
    await press_card(org, "M0101", views.READ, local(2, "09:30"))
    await press_card(org, "M0101", views.DEPLOYED, local(2, "09:40"))
    await press_card(org, "S0001", views.READ, local(2, "10:00"))

    hazard = await new_report(db, org.ids["E1001"], at=local(3, "10:00"), unit_id="team-blast")
    assert hazard.id is not None
    await assign(
        db,
        hazard.id,
        by=org.ids["S0001"],
        to=org.ids["E1001"],
        at=local(3, "11:00"),
        deadline=date(2026, 11, 6),
    )
    await new_report(db, org.ids["E1002"], at=local(3, "12:00"), unit_id="team-blast", anonymous=True)
    await move(
        db,
        hazard.id,
        "submitted",
        actor_id=org.ids["E1001"],
        at=local(5, "10:00"),
        state="submitted",
        submitted_at=local(5, "10:00"),
    )
    await move(
        db,
        hazard.id,
        "closed",
        actor_id=org.ids["S0001"],
        at=local(5, "14:00"),
        state="closed",
        closed_by=org.ids["S0001"],
        closed_at=local(5, "14:00"),
    )
    await inspect(org, "S0001", "pl-1520-face", local(10, "15:00"))

    roster = (
        'shifts:\n  - {date: 2026-11-14, from: "08:00", to: "20:00", employee_no: M0101, role: 带班领导,'
        " unit: proj-pulang}\n"
    )
    async with db.session() as session:
        await import_shifts(session, roster, now=local(10, "09:00"), defaults=DEFAULTS)
        shift = (await session.exec(select(DutyShift))).one()
    actor = await org.actor("M0101")
    async with db.session() as session:
        outcome = await confirm.press(
            session,
            shift_id=shift.id or 0,
            actor=actor,
            now=local(14, "08:05"),
            defaults=DEFAULTS,
            channel="telegram",
        )
    assert outcome.status is confirm.Status.CONFIRMED, outcome
    await inspect(org, "S0001", "pl-magazine", local(1, "07:30", month=12))
    return org
