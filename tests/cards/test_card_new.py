"""/card new through the sandbox, on both databases: 王五 (safety officer of 普朗铜矿项目部) composes a card
for the team leaders of his scope; it reaches exactly 李四, 刘洋 and 何伟 (not 林涛, team leader in another
project, nor anyone else), is stored as an ad-hoc card and is tracked (a recipient's 已阅 and 已部署落实 are
rows, and /cards shows it to 王五). A worker cannot start /card new; /card alone explains it; a title over
the limit is refused with a clear message; a double tap on 发送 sends once; a lesson for staff carries
a quiz and asks only 已阅; a unit that left the composer's scope is refused at 发送."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import col, select, update

from safety import bank
from safety.cards.adhoc import (
    ITEM_LIMIT,
    ITEMS_LIMIT,
    TITLE_LIMIT,
    Problem,
    ack_for,
    check_title,
    parse_items,
)
from safety.texts import t
from storage.db import Database
from storage.models import Card, CardEvent, CardRecipient, ChatState, RoleAssignment
from tests.flow.harness import Harness, running_bot
from tests.flow.test_guided_violation import data_of, labels, press, say
from tests.flow.test_quiz import load_bank

OFFICER = "S0001"
LEADERS = {"E1000": "李四", "E1100": "刘洋", "E1200": "何伟"}
OTHERS = ("E1001", "E2000", "S0002", "M0101", "M0001")  # a worker, a leader elsewhere, officer, managers
TITLE = "暴雨红色预警安全提示"
CARD_HEAD = f"📋 {TITLE}"  # the card message as its recipients get it
ITEMS = "立即停止露天爆破作业\n检查排水设施和边坡\n落实24小时值班"


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


def body(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


async def with_text(bot: Harness, employee_no: str, needle: str) -> list[dict[str, Any]]:
    return [
        m for m in await bot.client.messages(bot.user_id(employee_no)) if m["from_bot"] and needle in body(m)
    ]


async def compose_to_summary(bot: Harness, *, title: str = TITLE) -> dict[str, Any]:
    """/card new, 班组长, 全部, 下一步, the title, the items: the summary message."""
    audience = await say(bot, OFFICER, "/card new")
    assert audience["text"].startswith("新建提示卡"), audience["text"]
    shown = labels(audience)
    assert "☐ 普朗铜矿项目部" in shown and "☐ 爆破班" in shown and "☐ 运输班" in shown
    assert not any("新桥" in label or "选矿" in label for label in shown)  # outside his scope
    audience = await press(bot, OFFICER, audience, zh("card_new.role_off", role=zh("roles.team_leader")))
    audience = await press(bot, OFFICER, audience, zh("card_new.unit_off", unit=zh("card_new.all_units")))
    assert "预计接收：3 人" in audience["text"]
    asked = await press(bot, OFFICER, audience, zh("card_new.next"))
    assert asked["text"] == zh("card_new.ask_title", limit=TITLE_LIMIT)
    items = await say(bot, OFFICER, title)
    assert items["text"].startswith(f"标题：{title}")
    summary = await say(bot, OFFICER, ITEMS)
    assert "接收人数：3 人" in summary["text"] and "3. 落实24小时值班" in summary["text"]
    assert labels(summary) == [zh("card_new.send"), zh("flows.cancel")]  # no quiz: no staff in the audience
    return summary


async def bound(bot: Harness) -> None:
    for employee_no in (OFFICER, *LEADERS, *OTHERS):
        await bot.bind(employee_no)


async def test_a_card_for_team_leaders_reaches_exactly_them_and_is_tracked(db: Database) -> None:
    async with running_bot(db) as bot:
        await bound(bot)
        summary = await compose_to_summary(bot)
        user = bot.user_id(OFFICER)
        answer = await bot.client.callback_answer(
            await bot.client.press(user, summary["message_id"], data_of(summary, zh("card_new.send")))
        )
        assert not answer.get("text"), answer
        done = await bot.client.wait_for(user, predicate=lambda m: m["message_id"] > summary["message_id"])
        assert "已发送给 3 人" in done["text"] and "adhoc-20261127-1" in done["text"]
        await bot.drain()
        for employee_no in LEADERS:
            [card] = await with_text(bot, employee_no, CARD_HEAD)
            assert "1. 立即停止露天爆破作业" in body(card)
        for employee_no in (*OTHERS, OFFICER):
            assert await with_text(bot, employee_no, CARD_HEAD) == [], employee_no
        async with bot.db.session() as session:
            stored = (await session.exec(select(Card))).one()
            recipients = (await session.exec(select(CardRecipient))).all()
        assert (stored.id, stored.source, stored.date_rule) == ("adhoc-20261127-1", "adhoc", "2026-11-27")
        assert stored.audience_roles == ["team_leader"] and stored.ack == ["read", "deployed"]
        assert stored.created_by == bot.people[OFFICER].id and stored.quiz is None
        assert {r.person_id for r in recipients} == {bot.people[e].id for e in LEADERS}
        # tracked: 李四 reads and deploys; the rows say so, and 王五's /cards lists the card
        [card] = await with_text(bot, "E1000", CARD_HEAD)
        leader = bot.user_id("E1000")
        await bot.client.callback_answer(await bot.client.press_button(leader, card["message_id"], "已阅"))
        card = await bot.client.wait_for(leader, predicate=lambda m: m["message_id"] == card["message_id"])
        await bot.client.callback_answer(
            await bot.client.press_button(leader, card["message_id"], "已部署落实")
        )
        await bot.drain()
        async with bot.db.session() as session:
            mine = (
                await session.exec(
                    select(CardRecipient).where(CardRecipient.person_id == bot.people["E1000"].id)
                )
            ).one()
            events = (await session.exec(select(CardEvent).order_by(col(CardEvent.id)))).all()
        assert mine.read_at is not None and mine.deployed_at is not None
        assert [(e.person_id, e.action) for e in events] == [
            (bot.people["E1000"].id, "read"),
            (bot.people["E1000"].id, "deployed"),
        ]
        listing = await say(bot, OFFICER, "/cards")
        assert f"{TITLE}（2026-11-27）：爆破班 1/1、凿岩班 0/1、运输班 0/1" in listing["text"], listing[
            "text"
        ]


async def test_a_worker_cannot_compose_and_card_alone_explains(db: Database) -> None:
    async with running_bot(db) as bot:
        for employee_no in ("E1001", OFFICER):
            await bot.bind(employee_no)
        refused = await say(bot, "E1001", "/card new")
        assert refused["text"] == zh("access.denied")
        usage = await say(bot, OFFICER, "/card")
        assert usage["text"] == zh("card_new.usage")
        async with bot.db.session() as session:
            assert (await session.exec(select(ChatState))).all() == []
            assert (await session.exec(select(Card))).all() == []


async def test_a_title_over_the_limit_is_refused_and_can_be_typed_again(db: Database) -> None:
    async with running_bot(db) as bot:
        await bot.bind(OFFICER)
        audience = await say(bot, OFFICER, "/card new")
        audience = await press(bot, OFFICER, audience, zh("card_new.role_off", role=zh("roles.team_leader")))
        audience = await press(bot, OFFICER, audience, zh("card_new.unit_off", unit="爆破班"))
        assert "预计接收：1 人" in audience["text"]
        await press(bot, OFFICER, audience, zh("card_new.next"))
        long_title = "雨" * (TITLE_LIMIT + 1)
        refused = await say(bot, OFFICER, long_title)
        assert refused["text"] == zh("card_new.title_too_long", length=TITLE_LIMIT + 1, limit=TITLE_LIMIT)
        items = await say(bot, OFFICER, TITLE)
        assert items["text"].startswith(f"标题：{TITLE}")
        too_many = await say(bot, OFFICER, "\n".join(f"事项{i}" for i in range(21)))
        assert too_many["text"] == zh("card_new.items_too_many", count=21, limit=20)


async def test_a_double_tap_on_send_sends_once(db: Database) -> None:
    async with running_bot(db) as bot:
        await bound(bot)
        summary = await compose_to_summary(bot)
        user = bot.user_id(OFFICER)
        data = data_of(summary, zh("card_new.send"))
        presses = await asyncio.gather(
            bot.client.press(user, summary["message_id"], data),
            bot.client.press(user, summary["message_id"], data),
        )
        answers = [await bot.client.callback_answer(p) for p in presses]
        assert sorted(str(a.get("text") or "") for a in answers) == ["", zh("flows.stale")]
        await bot.drain()
        async with bot.db.session() as session:
            assert len((await session.exec(select(Card))).all()) == 1
            assert len((await session.exec(select(CardRecipient))).all()) == 3
        for employee_no in LEADERS:
            assert len(await with_text(bot, employee_no, CARD_HEAD)) == 1
        assert len(await with_text(bot, OFFICER, "已发送给 3 人")) == 1


async def to_summary_for(bot: Harness, role: str, unit: str) -> dict[str, Any]:
    audience = await say(bot, OFFICER, "/card new")
    audience = await press(bot, OFFICER, audience, zh("card_new.role_off", role=zh(f"roles.{role}")))
    audience = await press(bot, OFFICER, audience, zh("card_new.unit_off", unit=unit))
    await press(bot, OFFICER, audience, zh("card_new.next"))
    await say(bot, OFFICER, TITLE)
    return await say(bot, OFFICER, ITEMS)


async def test_a_lesson_for_the_staff_of_a_team_carries_a_quiz_and_asks_only_read(db: Database) -> None:
    async with running_bot(db) as bot:
        await load_bank(bot)
        await bot.bind(OFFICER)
        summary = await to_summary_for(bot, "staff", "爆破班")
        assert "接收人数：4 人" in summary["text"]  # 李四 holds the staff role too
        assert labels(summary)[0] == zh("card_new.quiz_off")
        summary = await press(bot, OFFICER, summary, zh("card_new.quiz_off"))
        assert zh("card_new.summary_quiz", count=3) in summary["text"]
        user = bot.user_id(OFFICER)
        await bot.client.callback_answer(
            await bot.client.press(user, summary["message_id"], data_of(summary, zh("card_new.send")))
        )
        done = await bot.client.wait_for(user, predicate=lambda m: m["message_id"] > summary["message_id"])
        assert "已发送给 4 人" in done["text"]
        async with bot.db.session() as session:
            stored = (await session.exec(select(Card))).one()
            numbers = sorted((await bank.questions_for_draw(session)).keys())
        assert stored.ack == ["read"] and stored.audience_units == ["team-blast"]
        assert stored.quiz == {"questions": 3, "prohibitions": numbers}


async def test_a_unit_that_left_the_composers_scope_is_refused_at_send(db: Database) -> None:
    async with running_bot(db) as bot:
        await bound(bot)
        summary = await compose_to_summary(bot)
        async with bot.db.session() as session:  # 王五 moves to the other project before pressing 发送
            await session.exec(
                update(RoleAssignment)
                .where(col(RoleAssignment.person_id) == bot.people[OFFICER].id)
                .values(unit_id="proj-xinqiao")
            )
        user = bot.user_id(OFFICER)
        answer = await bot.client.callback_answer(
            await bot.client.press(user, summary["message_id"], data_of(summary, zh("card_new.send")))
        )
        assert answer["text"] == zh("card_new.out_of_scope")
        async with bot.db.session() as session:
            assert (await session.exec(select(Card))).all() == []
            assert (await session.exec(select(CardRecipient))).all() == []


def test_the_limits_of_title_and_items() -> None:
    assert check_title("") == Problem("card_new.title_blank", {})
    assert check_title("雨" * TITLE_LIMIT) is None
    assert check_title("雨" * (TITLE_LIMIT + 1)) is not None
    assert parse_items("一\n\n  二  \n") == ["一", "二"]
    assert parse_items("\n".join(["项"] * ITEMS_LIMIT)) == ["项"] * ITEMS_LIMIT
    assert parse_items("\n".join(["项"] * (ITEMS_LIMIT + 1))) == Problem(
        "card_new.items_too_many", {"limit": ITEMS_LIMIT, "count": ITEMS_LIMIT + 1}
    )
    assert parse_items("好\n" + "长" * (ITEM_LIMIT + 1)) == Problem(
        "card_new.item_too_long", {"number": 2, "limit": ITEM_LIMIT}
    )
    assert parse_items(" \n ") == Problem("card_new.items_blank", {})
    assert ack_for(["staff"]) == ["read"]
    assert ack_for(["staff", "team_leader"]) == ack_for(["manager"]) == ["read", "deployed"]
