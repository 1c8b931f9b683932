"""A scripted November 2026 for the export tests, played through the domain functions the bot calls (rounds,
check-in, leave, quiz, cards, the report and its rectification), each with an explicit `now` and as the
person the bot would see (`access.load_actor`, from the chat account), so the numbers come from real
behaviour. Everyone was cleared for duty by an exam before the month (`cleared_on` in data/org.yaml).

Team 导出班 (Asia/Shanghai, check-in 07:00–07:30 every day):
- 10-31 (October, outside the month): W1 checks in on time.
- 11-02: L1 and W1 on time, W2 late (07:45). W2 fails the quiz at 11:00 and passes at 11:30. W2 asks leave
  for 11-03 at 10:00 and L1 approves it at 10:10. A card (a calendar rule, published as the
  card job does) reaches L1, W1 and W2 at 09:00; W1 reads it at 09:30.
- 11-03: L1 on time, W1 misses, W2 is excused (leave). W1 reports a hazard at 10:00; S1 assigns it to W1 at
  11:00 with the deadline 11-05.
- 11-04: W1 submits the rectification with a photo at 10:00, S1 accepts (销号) it at 14:00; W2 reads the card
  at 09:00 (late).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlmodel import select

from safety import checkin, leave, quiz, rounds
from safety.access import Actor, load_actor
from safety.cards import acknowledge, delivery, views
from safety.clearance import QuizRules
from safety.config import Defaults
from safety.imports.duties_file import DutiesReport, import_duties_file
from safety.imports.questions_service import import_questions_file
from safety.imports.service import import_org_file
from safety.quiz import Step
from safety.reports import rectification
from safety.reports.create import Photo, ReportInput, create
from safety.reports.rectification_rights import ReportRules
from storage.db import Database
from storage.models import Card, CardRecipient, ChatIdentity, Person, Report, Round
from tests.scripted_time import EveryDay, shanghai

HERE = Path(__file__).parent
ORG = HERE / "data" / "org.yaml"
BANK = HERE.parents[1] / "examples" / "questions.yaml"
DUTIES = HERE / "data" / "duties.yaml"
DEFAULTS = Defaults()
RULES = QuizRules()


local = shanghai


@dataclass
class Org:
    ids: dict[str, int]
    data_dir: Path  # where the 整改通知单 PDF goes

    async def actor(self, db: Database, employee_no: str) -> Actor:
        """The person as the bot sees them when they press a button: roles and clearance as stored now."""
        async with db.reading() as session:
            found = await load_actor(session, channel="telegram", external_id=f"chat-{employee_no}")
        assert found is not None, employee_no
        return found


async def load(db: Database, data_dir: Path) -> Org:
    async with db.session() as session:
        await import_org_file(session, ORG)
        await import_questions_file(session, BANK)
        duties = await import_duties_file(session, DUTIES, now=local(1, "00:00"))
        assert isinstance(duties, DutiesReport), duties
        people = (await session.exec(select(Person))).all()
        for n, person in enumerate(people):  # bound on a chat: only bound staff are expected at rounds
            assert person.id is not None
            chat = f"chat-{person.employee_no}"
            session.add(
                ChatIdentity(person_id=person.id, channel="telegram", external_id=chat, chat_id=f"{n}")
            )
        return Org({p.employee_no: p.id for p in people if p.id is not None}, data_dir)


async def open_round(db: Database, day: int, month: int = 11) -> int:
    now = local(day, "07:01", month)
    async with db.session() as session:
        await rounds.open_due_rounds(session, now=now, calendar=EveryDay(), defaults=DEFAULTS)
        found = (
            await session.exec(select(Round).where(Round.day == now.astimezone(DEFAULTS.zone(None)).date()))
        ).one()
        assert found.id is not None
        return found.id


async def check_in(db: Database, org: Org, employee_no: str, round_id: int, at: datetime) -> checkin.Answer:
    """全部正常 pressed by the person at `at`: on time before the due time, late after it."""
    actor = await org.actor(db, employee_no)
    async with db.session() as session:
        outcome = await checkin.answer(
            session, actor=actor, round_id=round_id, fit=True, now=at, defaults=DEFAULTS
        )
    assert outcome.answer in (checkin.Answer.ON_TIME, checkin.Answer.LATE), outcome
    return outcome.answer


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


async def play(db: Database, data_dir: Path) -> Org:
    """The month above, played in order; `data_dir` receives the 整改通知单 PDF."""
    org = await load(db, data_dir)
    october = await open_round(db, 31, month=10)
    await check_in(db, org, "W1", october, local(31, "07:10", month=10))

    first = await open_round(db, 2)
    await check_in(db, org, "L1", first, local(2, "07:05"))
    await check_in(db, org, "W1", first, local(2, "07:20"))
    assert await check_in(db, org, "W2", first, local(2, "07:45")) is checkin.Answer.LATE
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
    leader = await org.actor(db, "L1")
    async with db.session() as session:
        await leave.decide(
            session,
            leave_id=asked.id,
            approve=True,
            actor=leader,
            now=local(2, "10:10"),
            defaults=DEFAULTS,
            channel="telegram",
        )
    await take_quiz(db, org, "W2", right=False, at=local(2, "11:00"))
    await take_quiz(db, org, "W2", right=True, at=local(2, "11:30"))

    second = await open_round(db, 3)
    await check_in(db, org, "L1", second, local(3, "07:10"))
    report_id = await rectify_a_hazard(db, org)
    async with db.session() as session:
        closed = await session.get(Report, report_id)
        assert closed is not None and closed.state == "closed", closed
    await read_card(db, org, "W2", local(4, "09:00"))
    return org


async def rectify_a_hazard(db: Database, org: Org) -> int:
    """W1 reports a hazard on 11-03 10:00 (/report); S1 assigns it to W1 at 11:00, due 11-05 (指派); W1
    submits it with a photo on 11-04 10:00 (整改完成); S1 accepts it at 14:00 (通过, 销号)."""
    data = ReportInput(kind="hazard", unit_id="team-x", description="配电箱门未关闭", severity="general")
    async with db.session() as session:
        report = await create(
            session, data, reporter_id=org.ids["W1"], now=local(3, "10:00"), defaults=DEFAULTS
        )
        assert report.id is not None
        report_id, version = report.id, report.version
    safety_officer, worker = await org.actor(db, "S1"), await org.actor(db, "W1")
    async with db.session() as session:
        report = await rectification.assign(
            session,
            report_id=report_id,
            version=version,
            actor=safety_officer,
            responsible_id=org.ids["W1"],
            deadline=date(2026, 11, 5),
            measures="关闭并锁好配电箱门",
            now=local(3, "11:00"),
            defaults=DEFAULTS,
            data_dir=org.data_dir,
        )
        version = report.version
    proof = Photo(file_id="proof-1", sha256="a" * 64, path=f"photos/{'a' * 64}.jpg", size=2048)
    async with db.session() as session:
        report = await rectification.submit(
            session,
            report_id=report_id,
            version=version,
            actor=worker,
            photos=[proof],
            note="已关闭上锁",
            now=local(4, "10:00"),
            defaults=DEFAULTS,
        )
        version = report.version
    async with db.session() as session:
        await rectification.accept(
            session,
            report_id=report_id,
            version=version,
            actor=safety_officer,
            now=local(4, "14:00"),
            defaults=DEFAULTS,
            rules=ReportRules(),
        )
    return report_id
