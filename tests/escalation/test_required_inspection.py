"""A unit's required inspection: opened once per period for the nearest holder of its role, skipped on the
team's days off; not done, it reminds the subject at the due time and the safety officer two hours later;
done in time (at a place of the unit), it is closed and nothing is sent."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import col, select

from safety.config import Defaults
from safety.inspections import requirements
from safety.kinds import INSPECTION
from safety.texts import t
from storage.db import Database
from storage.models import Obligation, Person, RoleAssignment, Unit
from tests.flow.harness import EXAMPLES, Clock, Harness, running_bot
from tests.flow.test_checkin import local
from tests.flow.test_guided_violation import data_of, press, say
from tests.flow.test_inspect import prepare

RULE = '            inspection: {every: daily, due: "17:00", by: team_leader}\n'


def org_with_inspection(tmp_path: Path) -> Path:
    text = (EXAMPLES / "org.yaml").read_text(encoding="utf-8")
    anchor = '            name: 爆破班\n            checkin: {days: workdays, opens: "07:00", due: "07:30"}\n'
    assert anchor in text
    path = tmp_path / "org.yaml"
    path.write_text(text.replace(anchor, anchor + RULE), encoding="utf-8")
    return path


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


async def obligations(bot: Harness) -> list[Obligation]:
    async with bot.db.session() as session:
        return list((await session.exec(select(Obligation).where(Obligation.kind == INSPECTION))).all())


async def texts(bot: Harness, who: str) -> list[str]:
    return [str(m.get("text")) for m in await bot.client.messages(bot.user_id(who)) if m["from_bot"]]


async def test_not_done_reminds_at_due_then_the_officer(db: Database, tmp_path: Path) -> None:
    async with running_bot(db, org_file=org_with_inspection(tmp_path), clock=Clock(local(8, 30))) as bot:
        for who in ("E1000", "S0001"):
            await bot.bind(who)
        await bot.tick()
        await bot.tick()  # idempotent
        opened = await obligations(bot)
        assert [(o.ref, o.subject_id, o.state) for o in opened] == [
            ("inspect:team-blast:2026-11-27", bot.people["E1000"].id, "open")
        ]
        assert opened[0].due_at.replace(tzinfo=None) == local(17, 0).replace(tzinfo=None)
        reminder = zh(
            "inspect.reminder",
            unit="爆破班",
            period=zh("inspect.period_daily", day="2026-11-27"),
            due="2026-11-27 17:00",
        )
        bot.clock.now = local(16, 59)
        await bot.tick()
        assert reminder not in await texts(bot, "E1000")
        bot.clock.now = local(17, 0, 5)
        await bot.tick()
        assert reminder in await texts(bot, "E1000")
        title = zh(
            "inspect.digest_title",
            unit="爆破班",
            period=zh("inspect.period_daily", day="2026-11-27"),
            due="17:00",
        )
        assert not any(title in text for text in await texts(bot, "S0001"))
        bot.clock.now = local(19, 0, 5)
        await bot.tick()
        digest = [text for text in await texts(bot, "S0001") if title in text]
        assert digest and "李四" in digest[0]


async def test_done_in_time_closes_it(db: Database, tmp_path: Path) -> None:
    async with running_bot(db, org_file=org_with_inspection(tmp_path), clock=Clock(local(8, 30))) as bot:
        await prepare(bot, tmp_path)
        await bot.bind("E1000")
        await bot.tick()
        bot.clock.now = local(10, 0)
        picker = await say(bot, "E1000", "/inspect")
        places = await press(bot, "E1000", picker, "消防器材检查")
        item = await press(bot, "E1000", places, "1520中段掘进工作面")
        for _ in range(3):
            item = await press(bot, "E1000", item, zh("inspect.ok"))
        user = bot.user_id("E1000")
        await bot.client.callback_answer(
            await bot.client.press(user, item["message_id"], data_of(item, zh("flows.submit")))
        )
        await bot.client.wait_for(user, predicate=lambda m: m["message_id"] > item["message_id"])
        closed = await obligations(bot)
        assert [(o.state, o.closed_by) for o in closed] == [("done", bot.people["E1000"].id)]
        before = len(await texts(bot, "E1000"))
        bot.clock.now = local(19, 30)
        await bot.tick()
        assert len(await texts(bot, "E1000")) == before


async def _units(db: Database) -> int:
    async with db.session() as session:
        session.add(Unit(id="proj", name="项目部"))
        await session.flush()
        session.add(
            Unit(
                id="team",
                name="班组",
                parent_id="proj",
                checkin={"days": "workdays", "opens": "07:00", "due": "07:30"},
                inspection={"every": "daily", "due": "17:00", "by": "team_leader"},
            )
        )
        await session.flush()
        leader = Person(employee_no="L1", name="组长", unit_id="team")
        session.add(leader)
        await session.flush()
        assert leader.id is not None
        session.add(RoleAssignment(person_id=leader.id, role="team_leader", unit_id="team"))
        return leader.id


async def _open(db: Database, now: datetime) -> int:
    async with db.session() as session:
        return await requirements.open_due(session, now=now, defaults=Defaults())


async def test_days_off_monthly_periods_and_idempotence(db: Database) -> None:
    leader = await _units(db)
    assert await _open(db, local(9, 0, day=28)) == 0  # Saturday: the team's day off
    assert await _open(db, local(0, 1, day=30)) == 1  # Monday, just after midnight
    assert await _open(db, local(18, 0, day=30)) == 0  # once per period
    async with db.session() as session:
        team = await session.get(Unit, "team")
        assert team is not None
        team.inspection = {"every": "monthly", "due": "16:00", "by": "team_leader"}
        session.add(team)
    assert await _open(db, local(9, 0, day=28)) == 1  # monthly ones run whatever the day
    async with db.session() as session:
        rows = (await session.exec(select(Obligation).order_by(col(Obligation.id)))).all()
    assert [(o.ref, o.subject_id) for o in rows] == [
        ("inspect:team:2026-11-30", leader),
        ("inspect:team:2026-11", leader),
    ]
    assert rows[1].due_at.replace(tzinfo=None) == local(16, 0, day=30).replace(tzinfo=None)
    assert requirements.ref_for("t" * 64, "2026-11").startswith("inspect:#")
    assert len(requirements.ref_for("t" * 64, "2026-11-27")) <= 64
