"""A scripted set of leader actions for the duty-record tests, made with the real domain functions and
explicit `now`s on the example organisation (examples/org.yaml, Asia/Shanghai). The leader whose record
is read is 王五 (S0001, safety officer of 普朗铜矿项目部); 吴敏 (S0002) and 李四 (E1000) act too, and
none of what they do is 王五's.

Shanghai times:
- 10-31 23:50 王五 approves 张三's leave asked at 23:30 (October); 11-01 00:10 王五 approves 王二's leave
  asked at 00:00 (November in Shanghai, still October in UTC).
- 11-27 07:01 the rounds open (only 爆破班's members are bound); 李四 and 张三 check in. At 08:15 the
  check-in digest for 王二 and 陈刚 reaches the safety officers; 08:20 吴敏 presses 提醒 on 陈刚, 08:25 王五
  presses 已处理 on 王二 (10 min). 陈刚 still waits on 王五.
- 08:30 张三 reports an accident; the acknowledgement digest reaches the officers; 08:36 王五 presses
  已确认 (6 min). The accident is never assigned.
- 09:00 张三 reports hazard A; 09:30 王五 assigns it to 李四 (30 min); 10:00 李四 submits; 12:00 王五 sends
  it back (120 min); 13:00 李四 submits again; 13:20 王五 accepts (20 min).
- 09:00 a card to the project's safety officers; 王五 reads it at 09:10 (10 min), deploys it at 09:20 and
  skips the note;
  吴敏 never reads it.
- 09:40 李四 decides a leave of 陈刚 (李四's, not 王五's).
- 14:00 张三 reports hazard B, never assigned.
- 11-28 08:00 王五's duty shift (值班员) starts; 到岗 at 08:20 (20 min: late, over 15).
The record is read at 11-28 10:00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlmodel import col, select

from safety import checkin, escalation, leave, obligation_actions, rounds
from safety.access import Actor
from safety.cards import acknowledge, delivery, views
from safety.config import Defaults
from safety.imports.shifts_file import import_shifts
from safety.kinds import ACCIDENT_ACK, CHECKIN
from safety.reports import rectification as rect
from safety.reports.create import Photo, ReportInput, create
from safety.reports.rectification_rights import ReportRules
from safety.shifts import confirm
from storage import identity_queries as iq
from storage import org_queries as oq
from storage.db import Database
from storage.models import Card, CardRecipient, ChatIdentity, DutyShift, Obligation, Person, Report, Round
from tests.flow.harness import USER_ID_BASE
from tests.scripted_time import EveryDay, shanghai

DEFAULTS = Defaults(channel="telegram")
PHOTO = Photo("file-1", "a" * 64, "photos/a.jpg", 10)
LEADER, OTHER_OFFICER, TEAM_LEADER = "S0001", "S0002", "E1000"
WORKERS = ("E1000", "E1001", "E1002", "E1003")
READ_AT = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 11-28 10:00 in Shanghai


def local(month: int, day: int, hhmm: str) -> datetime:
    return shanghai(day, hhmm, month)


@dataclass
class Played:
    actors: dict[str, Actor]
    hazard_a: str
    hazard_b: str
    accident: str

    def pid(self, employee_no: str) -> int:
        return self.actors[employee_no].person_id


async def actors_of(db: Database) -> dict[str, Actor]:
    async with db.session() as session:
        found = {}
        for person in await oq.all_people(session):
            assert person.id is not None
            roles = frozenset((r.role, r.unit_id) for r in await oq.roles_of(session, person_id=person.id))
            found[person.employee_no] = Actor(
                person.id, person.employee_no, person.name, person.unit_id, None, roles
            )
    return found


async def _leave(
    db: Database, a: dict[str, Actor], who: str, by: str, asked: datetime, decided: datetime
) -> None:
    async with db.session() as session:
        person = await session.get(Person, a[who].person_id)
        assert person is not None
        day = (decided + timedelta(days=2)).date()
        made = await leave.request_leave(
            session,
            person=person,
            first=day,
            last=day,
            reason="看病",
            now=asked,
            defaults=DEFAULTS,
            channel="telegram",
        )
    async with db.session() as session:
        await leave.decide(
            session,
            leave_id=made.id or 0,
            approve=True,
            actor=a[by],
            now=decided,
            defaults=DEFAULTS,
            channel="telegram",
        )


async def _tick(db: Database, at: datetime) -> None:
    async with db.session() as session:
        await escalation.tick(session, now=at, defaults=DEFAULTS)


async def _press(db: Database, actor: Actor, obligation_id: int, op: str, at: datetime) -> None:
    async with db.session() as session:
        outcome = await obligation_actions.act(
            session,
            obligation_id=obligation_id,
            op=op,
            actor=actor,
            channel="telegram",
            now=at,
            defaults=DEFAULTS,
        )
    assert outcome.status is obligation_actions.ActStatus.DONE, outcome


async def _obligation(db: Database, kind: str, subject_id: int | None = None) -> int:
    async with db.session() as session:
        query = select(Obligation).where(col(Obligation.kind) == kind)
        if subject_id is not None:
            query = query.where(col(Obligation.subject_id) == subject_id)
        found = (await session.exec(query)).one()
    assert found.id is not None
    return found.id


async def _report(db: Database, a: dict[str, Actor], kind: str, at: datetime) -> Report:
    data = ReportInput(
        kind=kind,
        unit_id="team-blast",
        description="现场隐患",
        severity="general" if kind == "hazard" else None,
    )
    async with db.session() as session:
        return await create(session, data, reporter_id=a["E1001"].person_id, now=at, defaults=DEFAULTS)


async def _fresh(db: Database, report_id: int) -> Report:
    async with db.session() as session:
        found = await session.get(Report, report_id)
    assert found is not None
    return found


async def _rectify(db: Database, a: dict[str, Actor], report: Report, data_dir: Path) -> None:
    rid, officer, worker = report.id or 0, a[LEADER], a[TEAM_LEADER]
    async with db.session() as session:
        await rect.assign(
            session,
            report_id=rid,
            version=report.version,
            actor=officer,
            responsible_id=worker.person_id,
            deadline=date(2026, 11, 30),
            measures="设置防护栏杆",
            now=local(11, 27, "09:30"),
            defaults=DEFAULTS,
            data_dir=data_dir,
        )
    for submitted, verdict, at in (("10:00", "reject", "12:00"), ("13:00", "accept", "13:20")):
        version = (await _fresh(db, rid)).version
        async with db.session() as session:
            await rect.submit(
                session,
                report_id=rid,
                version=version,
                actor=worker,
                photos=[PHOTO],
                note="已整改",
                now=local(11, 27, submitted),
                defaults=DEFAULTS,
            )
        version = (await _fresh(db, rid)).version
        when = local(11, 27, at)
        async with db.session() as session:
            if verdict == "reject":
                await rect.reject(
                    session, report_id=rid, version=version, actor=officer, reason="栏杆高度不够", now=when,
                    defaults=DEFAULTS,
                )  # fmt: skip
            else:
                await rect.accept(
                    session, report_id=rid, version=version, actor=officer, now=when, defaults=DEFAULTS,
                    rules=ReportRules(),
                )  # fmt: skip


async def _card(db: Database, a: dict[str, Actor]) -> None:
    card = Card(
        id="record-card", title="冬季安全提示卡", date_rule="11-27", audience_roles=["safety_officer"],
        audience_units=["proj-pulang"], items=["防火", "防冻"], ack=["read", "deployed"],
    )  # fmt: skip
    async with db.session() as session:
        session.add(card)
    async with db.session() as session:
        await delivery.publish(
            session, card=card, event_date=date(2026, 11, 27), send_at=local(11, 27, "09:00"),
            now=local(11, 27, "09:00"), defaults=DEFAULTS,
        )  # fmt: skip
    for action, at in ((views.READ, "09:10"), (views.DEPLOYED, "09:20"), (views.NOTE, "09:21")):
        async with db.session() as session:
            mine = (
                await session.exec(
                    select(CardRecipient).where(col(CardRecipient.person_id) == a[LEADER].person_id)
                )
            ).one()
            outcome = await acknowledge.press(
                session, action=action, arg=views.arg_of(mine), actor_id=a[LEADER].person_id,
                now=local(11, 27, at), defaults=DEFAULTS,
            )  # fmt: skip
        assert outcome.status is acknowledge.Status.RECORDED, outcome


async def _shift(db: Database, a: dict[str, Actor]) -> None:
    text = (
        "shifts:\n"
        '  - {date: 2026-11-28, from: "08:00", to: "20:00", employee_no: S0001, role: 值班员,'
        " unit: proj-pulang}\n"
    )
    async with db.session() as session:
        await import_shifts(session, text, now=local(11, 27, "18:00"), defaults=DEFAULTS)
    async with db.session() as session:
        shift = (await session.exec(select(DutyShift))).one()
        outcome = await confirm.press(
            session, shift_id=shift.id or 0, actor=a[LEADER], now=local(11, 28, "08:20"), defaults=DEFAULTS,
            channel="telegram",
        )  # fmt: skip
    assert outcome.status is confirm.Status.CONFIRMED, outcome


async def play(db: Database, data_dir: Path) -> Played:
    """Everything above, on a database with the example organisation imported."""
    a = await actors_of(db)
    async with db.session() as session:  # bound workers: a round expects them
        for no in WORKERS:
            uid = str(USER_ID_BASE + a[no].person_id)
            if await iq.identity_of_person(session, person_id=a[no].person_id, channel="telegram") is None:
                session.add(
                    ChatIdentity(person_id=a[no].person_id, channel="telegram", external_id=uid, chat_id=uid)
                )
    await _leave(db, a, "E1001", LEADER, local(10, 31, "23:30"), local(10, 31, "23:50"))
    await _leave(db, a, "E1002", LEADER, local(11, 1, "00:00"), local(11, 1, "00:10"))
    async with db.session() as session:
        await rounds.open_due_rounds(
            session, now=local(11, 27, "07:01"), calendar=EveryDay(), defaults=DEFAULTS
        )
    async with db.session() as session:
        blast = (await session.exec(select(Round).where(col(Round.unit_id) == "team-blast"))).one()
    for no, at in (("E1000", "07:05"), ("E1001", "07:10")):
        async with db.session() as session:
            await checkin.answer(
                session,
                actor=a[no],
                round_id=blast.id or 0,
                fit=True,
                now=local(11, 27, at),
                defaults=DEFAULTS,
            )
    await _tick(db, local(11, 27, "08:15"))
    await _press(
        db,
        a[OTHER_OFFICER],
        await _obligation(db, CHECKIN, a["E1003"].person_id),
        "r",
        local(11, 27, "08:20"),
    )
    await _press(
        db, a[LEADER], await _obligation(db, CHECKIN, a["E1002"].person_id), "h", local(11, 27, "08:25")
    )
    accident = await _report(db, a, "accident", local(11, 27, "08:30"))
    await _tick(db, local(11, 27, "08:30"))
    await _press(db, a[LEADER], await _obligation(db, ACCIDENT_ACK), "a", local(11, 27, "08:36"))
    hazard_a = await _report(db, a, "hazard", local(11, 27, "09:00"))
    await _card(db, a)
    await _rectify(db, a, hazard_a, data_dir)
    await _leave(db, a, "E1003", TEAM_LEADER, local(11, 27, "09:30"), local(11, 27, "09:40"))
    hazard_b = await _report(db, a, "hazard", local(11, 27, "14:00"))
    await _shift(db, a)
    return Played(a, hazard_a.number, hazard_b.number, accident.number)
