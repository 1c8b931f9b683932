"""/status over every kind through the sandbox, on both databases (examples/org.yaml, 08:30 in Shanghai):
王五, safety officer of 普朗铜矿项目部, sees his scope's open reports by kind and state with the overdue
rectification by number, a card's acknowledged/total with who has not (names capped), and today's duty
shifts confirmed, not confirmed or not started; nothing of 新桥选矿厂. Two leaders reading while a shift is
confirmed each see it before or after, and afterwards both see it confirmed."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from sqlmodel import col, select

from safety.cards import delivery
from safety.imports.shifts_file import import_shifts
from safety.kinds import CARD_ACK
from safety.reports.routing import kind_text
from safety.shifts.replace import ShiftsReport
from safety.texts import t
from safety.views import render_text
from storage import card_queries as cq
from storage import shift_queries as sq
from storage.db import Database
from storage.models import Card, DutyShift
from tests.flow.harness import Harness, running_bot
from tests.reports.steps import NOW, assign, move, new_report, pid

ROSTER = """shifts:
  - {date: 2026-11-27, from: "08:00", to: "20:00", employee_no: M0101, role: 带班领导, unit: proj-pulang}
  - {date: 2026-11-27, from: "08:00", to: "20:00", employee_no: S0002, role: 值班员, unit: proj-pulang}
  - {date: 2026-11-27, from: "20:00", to: "08:00", employee_no: S0001, role: 值班员, unit: proj-pulang}
  - {date: 2026-11-27, from: "08:00", to: "20:00", employee_no: M0201, role: 带班领导, unit: proj-xinqiao}
"""


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


def kind(name: str) -> str:
    return render_text(kind_text(name), "zh-CN")


async def status(bot: Harness, employee_no: str) -> str:
    user = bot.user_id(employee_no)
    sent = await bot.client.send_text(user, "/status")
    reply = await bot.client.wait_for(user, after_message_id=sent["message_id"])
    return str(reply.get("text") or "")


async def setup(bot: Harness) -> dict[str, Any]:
    people = bot.people
    worker, officer, fixer = pid(people, "E1001"), pid(people, "S0001"), pid(people, "E1002")
    defaults = bot.app.bot_data["services"].defaults
    hazards = [await new_report(bot.db, worker, at=NOW - timedelta(hours=10 - i)) for i in range(4)]
    late, fine = hazards[2], hazards[3]
    assert late.id is not None and fine.id is not None
    await assign(
        bot.db, late.id, by=officer, to=fixer, at=NOW - timedelta(days=3), deadline=date(2026, 11, 25)
    )
    await assign(
        bot.db, fine.id, by=officer, to=fixer, at=NOW - timedelta(days=1), deadline=date(2026, 12, 1)
    )
    near = await new_report(bot.db, worker, kind="near_miss", unit_id="team-drill")
    assert near.id is not None
    await assign(bot.db, near.id, by=officer, to=fixer, at=NOW, deadline=date(2026, 11, 20))
    await move(bot.db, near.id, "submitted", actor_id=fixer, at=NOW, state="submitted", submitted_at=NOW)
    await new_report(bot.db, worker, kind="accident", description="碰伤")
    closed = await new_report(bot.db, worker)
    assert closed.id is not None
    await move(bot.db, closed.id, "closed", actor_id=officer, at=NOW, state="closed", closed_at=NOW)
    await new_report(bot.db, pid(people, "E2001"), unit_id="team-mill")  # another project's

    card = Card(
        id="winter",
        title="冬季四防安全提示卡",
        date_rule="11-27",
        audience_roles=["staff", "team_leader", "safety_officer"],
        audience_units=["proj-pulang", "proj-xinqiao"],
        items=["防火", "防冻"],
        ack=["read"],
    )
    async with bot.db.session() as session:
        session.add(card)
    async with bot.db.session() as session:
        occurrence = await delivery.publish(
            session, card=card, event_date=date(2026, 11, 27), send_at=NOW, now=NOW, defaults=defaults
        )
        await cq.close_obligation(
            session,
            kind=CARD_ACK,
            ref=delivery.ref_of(occurrence.id or 0),
            subject_id=worker,
            by=worker,
            now=NOW,
        )
    async with bot.db.session() as session:
        report = await import_shifts(session, ROSTER, now=NOW - timedelta(days=1), defaults=defaults)
    assert isinstance(report, ShiftsReport), report
    for employee_no in ("S0001", "M0101", "S0002"):
        await bot.bind(employee_no)
    return {"late": late, "fine": fine}


async def shift_of(bot: Harness, employee_no: str) -> DutyShift:
    async with bot.db.session() as session:
        query = select(DutyShift).where(col(DutyShift.person_id) == bot.people[employee_no].id)
        return (await session.exec(query)).one()


async def test_status_shows_reports_cards_and_shifts_of_my_scope(db: Database) -> None:
    async with running_bot(db) as bot:
        made = await setup(bot)
        leader = await shift_of(bot, "M0101")
        async with bot.db.session() as session:
            await sq.confirm(
                session,
                shift_id=leader.id or 0,
                person_id=bot.people["M0101"].id or 0,
                now=NOW - timedelta(minutes=25),
            )
        lines = (await status(bot, "S0001")).splitlines()

        reports = lines.index(zh("status.reports_title"))
        assert lines[reports + 1 : reports + 5] == [
            f"  {kind('hazard')} 4：待指派 2｜整改中 2｜待验收 0",
            f"  {kind('near_miss')} 1：待指派 0｜整改中 0｜待验收 1",
            f"  {kind('accident')} 1：待指派 1｜整改中 0｜待验收 0",
            f"  ⚠️ 逾期未整改 1 项：{made['late'].number}",  # submitted (late or not) is with the verifier
        ]
        cards = lines.index(zh("status.cards_title"))
        card_line = lines[cards + 1]
        # 12 in scope (新桥's 林涛, 高峰 and 冯丽 are not), 张三 acknowledged; ten names, then the count
        assert card_line.startswith("  冬季四防安全提示卡（2026-11-27）已确认 1/12；未确认：")
        assert card_line.endswith("…等11人") and "张三" not in card_line and "林涛" not in card_line
        assert len(card_line.split("：", 1)[1].split("…")[0].split("、")) == 10
        shifts = lines.index(zh("status.shifts_title", date="2026-11-27"))
        assert lines[shifts + 1 : shifts + 5] == [
            "  已到岗 1/3",
            "  普朗铜矿项目部 带班领导 周建国 08:00–20:00：已到岗 08:05",
            "  普朗铜矿项目部 值班员 吴敏 08:00–20:00：⚠️ 未到岗",
            "  普朗铜矿项目部 值班员 王五 20:00–次日08:00：未开始",
        ]
        text = "\n".join(lines)
        assert (
            "郑强" not in text
            and "新桥" not in text.split(zh("status.reports_title"))[1].split("十条禁令")[0]
        )
        assert lines.index(zh("status.round_title", date="2026-11-27")) == 0  # Chinese first, rounds on top


async def test_two_leaders_read_while_a_shift_is_confirmed(db: Database) -> None:
    async with running_bot(db) as bot:
        await setup(bot)
        shift = await shift_of(bot, "S0002")

        async def confirm() -> None:
            async with bot.db.session() as session:
                assert await sq.confirm(
                    session, shift_id=shift.id or 0, person_id=bot.people["S0002"].id or 0, now=NOW
                )

        seen = await asyncio.gather(status(bot, "S0001"), status(bot, "M0101"), confirm())
        for text in seen[:2]:
            assert "吴敏 08:00–20:00：已到岗 08:30" in text or "吴敏 08:00–20:00：⚠️ 未到岗" in text
        for employee_no in ("S0001", "M0101"):
            after = await status(bot, employee_no)
            assert "吴敏 08:00–20:00：已到岗 08:30" in after and "已到岗 1/3" in after
