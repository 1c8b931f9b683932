"""A scripted November 2026 for the export tests, played through the domain functions with explicit `now`.

Team 导出班 (Asia/Shanghai, check-in 07:00–07:30 every day):
- 10-31 (October, outside the month): W1 checks in on time.
- 11-02: L1 and W1 on time, W2 late (07:45). W2 fails the quiz at 11:00 and passes at 11:30. W2 asks leave
  for 11-03 at 10:00 and L1 approves it at 10:10. A card reaches W1 and W2 at 09:00; W1 reads it at 09:30.
- 11-03: L1 on time, W1 misses, W2 is excused (leave). W1 reports a hazard at 10:00; S1 assigns it to W1 at
  11:00 with the deadline 11-05.
- 11-04: W1 submits the rectification at 10:00, S1 closes it at 14:00; W2 reads the card at 09:00 (late).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from safety import checkin, leave, quiz, rounds
from safety.access import Actor
from safety.cards import acknowledge, delivery, views
from safety.clearance import QuizRules
from safety.config import Defaults
from safety.imports.questions_service import import_questions_file
from safety.imports.service import import_org_file
from safety.quiz import Step
from storage.db import Database
from storage.models import Card, CardRecipient, ChatIdentity, Person, Round
from tests.reports.steps import assign, move, new_report

HERE = Path(__file__).parent
ORG = HERE / "data" / "org.yaml"
BANK = HERE.parents[1] / "examples" / "questions.yaml"
DEFAULTS = Defaults()
RULES = QuizRules()


def local(day: int, hhmm: str, month: int = 11) -> datetime:
    """A Shanghai wall-clock moment in 2026 as an aware UTC datetime."""
    hours, minutes = (int(x) for x in hhmm.split(":"))
    return datetime(2026, month, day, hours, minutes, tzinfo=UTC) - timedelta(hours=8)


class EveryDay:
    def runs_on(self, day: date, rule: str | list[str]) -> bool:
        return True


@dataclass
class Org:
    ids: dict[str, int]

    def actor(self, employee_no: str, unit_id: str = "team-x", role: str = "staff") -> Actor:
        return Actor(
            person_id=self.ids[employee_no],
            employee_no=employee_no,
            name=employee_no,
            unit_id=unit_id,
            language=None,
            roles=frozenset({(role, unit_id)}),
        )


async def load(db: Database) -> Org:
    async with db.session() as session:
        await import_org_file(session, ORG)
        await import_questions_file(session, BANK)
        people = (await session.exec(select(Person))).all()
        for n, person in enumerate(people):  # bound on a chat: only bound staff are expected at rounds
            assert person.id is not None
            session.add(
                ChatIdentity(person_id=person.id, channel="telegram", external_id=f"{n}", chat_id=f"{n}")
            )
        return Org({p.employee_no: p.id for p in people if p.id is not None})


async def open_round(db: Database, day: int, month: int = 11) -> int:
    now = local(day, "07:01", month)
    async with db.session() as session:
        await rounds.open_due_rounds(session, now=now, calendar=EveryDay(), defaults=DEFAULTS)
        found = (
            await session.exec(select(Round).where(Round.day == now.astimezone(DEFAULTS.zone(None)).date()))
        ).one()
        assert found.id is not None
        return found.id


async def check_in(db: Database, org: Org, employee_no: str, round_id: int, at: datetime) -> None:
    async with db.session() as session:
        await checkin.answer(
            session, actor=org.actor(employee_no), round_id=round_id, fit=True, now=at, defaults=DEFAULTS
        )


async def take_quiz(db: Database, org: Org, employee_no: str, *, right: bool, at: datetime) -> None:
    async with db.session() as session:
        person = await session.get(Person, org.ids[employee_no])
        assert person is not None
        view = await quiz.start_or_resume(session, person=person, now=at, rules=RULES, rng=random.Random(7))
    assert view.attempt is not None and view.attempt.id is not None
    while view.step is Step.ASK:
        assert view.item is not None
        wrong = [n for n in range(len(view.item.options)) if n not in view.item.answer][:1]
        async with db.session() as session:
            person = await session.get(Person, org.ids[employee_no])
            assert person is not None
            view = await quiz.answer(
                session,
                person=person,
                attempt_id=view.attempt.id or 0,
                position=view.item.position,
                chosen=list(view.item.answer) if right else wrong,
                now=at,
                rules=RULES,
            )


async def read_card(db: Database, org: Org, employee_no: str, at: datetime) -> None:
    async with db.session() as session:
        mine = (
            await session.exec(select(CardRecipient).where(CardRecipient.person_id == org.ids[employee_no]))
        ).one()
        outcome = await acknowledge.press(
            session,
            action=views.READ,
            arg=views.arg_of(mine),
            actor_id=org.ids[employee_no],
            now=at,
            defaults=DEFAULTS,
        )
    assert outcome.status is acknowledge.Status.RECORDED, outcome


async def play(db: Database) -> Org:
    org = await load(db)
    october = await open_round(db, 31, month=10)
    await check_in(db, org, "W1", october, local(31, "07:10", month=10))

    first = await open_round(db, 2)
    await check_in(db, org, "L1", first, local(2, "07:05"))
    await check_in(db, org, "W1", first, local(2, "07:20"))
    await check_in(db, org, "W2", first, local(2, "07:45"))
    card = Card(
        id="export-card",
        title="冬季安全提示卡",
        date_rule="11-02",
        audience_roles=["staff"],
        audience_units=["team-x"],
        items=["防火"],
        ack=["read"],
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
    await read_card(db, org, "W1", local(2, "09:30"))
    async with db.session() as session:
        person = await session.get(Person, org.ids["W2"])
        assert person is not None
        asked = await leave.request_leave(
            session,
            person=person,
            first=date(2026, 11, 3),
            last=date(2026, 11, 3),
            reason="看病",
            now=local(2, "10:00"),
            defaults=DEFAULTS,
            channel="telegram",
        )
        assert asked.id is not None
    async with db.session() as session:
        await leave.decide(
            session,
            leave_id=asked.id,
            approve=True,
            actor=org.actor("L1", role="team_leader"),
            now=local(2, "10:10"),
            defaults=DEFAULTS,
            channel="telegram",
        )
    await take_quiz(db, org, "W2", right=False, at=local(2, "11:00"))
    await take_quiz(db, org, "W2", right=True, at=local(2, "11:30"))

    second = await open_round(db, 3)
    await check_in(db, org, "L1", second, local(3, "07:10"))
    report = await new_report(db, org.ids["W1"], at=local(3, "10:00"), unit_id="team-x")
    assert report.id is not None
    await assign(
        db, report.id, by=org.ids["S1"], to=org.ids["W1"], at=local(3, "11:00"), deadline=date(2026, 11, 5)
    )
    await move(
        db,
        report.id,
        "submitted",
        actor_id=org.ids["W1"],
        at=local(4, "10:00"),
        state="submitted",
        submitted_at=local(4, "10:00"),
    )
    await move(
        db,
        report.id,
        "closed",
        actor_id=org.ids["S1"],
        at=local(4, "14:00"),
        state="closed",
        closed_by=org.ids["S1"],
        closed_at=local(4, "14:00"),
    )
    await read_card(db, org, "W2", local(4, "09:00"))
    return org
