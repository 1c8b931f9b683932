"""Reminder cards through the sandbox, on both databases: a card due now reaches exactly the three
managers of 西南分公司 (赵六, 周建国, 郑强) and nobody else; two acknowledge (已阅 → 已部署落实, one with a
note, one with 跳过); a restart sends nothing twice; after P1D the third is escalated with a digest naming
only 郑强 that goes to someone else (赵六), and is edited when 郑强 acknowledges. Someone else's, forged
and stale buttons change nothing; a double tap records one event; a revision asks everyone again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from safety import callbacks
from safety.cards import delivery
from safety.config import Defaults
from safety.kinds import CARD_ACK
from safety.texts import t
from storage.db import Database
from storage.models import Card, CardEvent, CardRecipient, Obligation
from tests.flow.harness import TOKEN, Clock, Harness, running_bot

MANAGERS = {"M0001": "赵六", "M0101": "周建国", "M0201": "郑强"}
OTHERS = ("S0001", "E1000", "E1001")
TITLE = "冬季四防安全提示卡"
SECRET = callbacks.derive_secret(TOKEN)


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


def body(message: dict[str, Any]) -> str:
    return str(message.get("text") or "")


async def with_text(bot: Harness, employee_no: str, needle: str) -> list[dict[str, Any]]:
    return [
        m for m in await bot.client.messages(bot.user_id(employee_no)) if m["from_bot"] and needle in body(m)
    ]


def card_row(**fields: Any) -> Card:
    values: dict[str, Any] = {
        "id": "winter",
        "title": TITLE,
        "date_rule": "11-27",  # the harness clock: 2026-11-27 08:30 in Shanghai
        "send_at": "08:30",
        "audience_roles": ["manager"],
        "audience_units": ["branch-sw"],
        "items": ["防火：检查取暖设施", "防冻：管道保温"],
        "ack": ["read", "deployed"],
        "source": "file",
    }
    values.update(fields)
    return Card(**values)


async def add_card(bot: Harness, **fields: Any) -> None:
    async with bot.db.session() as session:
        session.add(card_row(**fields))


async def press(bot: Harness, employee_no: str, message: dict[str, Any], label: str) -> str:
    """Press a button of the message and return the answer's text, once the message is edited."""
    user = bot.user_id(employee_no)
    query = await bot.client.press_button(user, message["message_id"], label)
    answer = (await bot.client.callback_answer(query))["text"]
    await bot.drain()
    return str(answer)


async def current(bot: Harness, employee_no: str, message_id: int) -> dict[str, Any]:
    messages = await bot.client.messages(bot.user_id(employee_no))
    return next(m for m in messages if m["message_id"] == message_id)


async def wait_edit(bot: Harness, employee_no: str, message_id: int, needle: str) -> dict[str, Any]:
    """The message once edited to contain `needle` (an edit after this chat's last action)."""
    return await bot.client.wait_for(
        bot.user_id(employee_no), lambda m: m["message_id"] == message_id and needle in body(m)
    )


async def rows(bot: Harness, model: Any) -> list[Any]:
    async with bot.db.session() as session:
        return list((await session.exec(select(model).order_by(col(model.id)))).all())


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Harness]:
    async with running_bot(db) as harness:
        for employee_no in (*MANAGERS, *OTHERS):
            await harness.bind(employee_no)
        yield harness


async def acknowledge(bot: Harness, employee_no: str, *, note: str | None) -> None:
    [card] = await with_text(bot, employee_no, TITLE)
    assert await press(bot, employee_no, card, "已阅") == zh("cards.done_read")
    card = await wait_edit(bot, employee_no, card["message_id"], "✓ 已阅")
    assert await press(bot, employee_no, card, "已部署落实") == zh("cards.done_deployed")
    card = await wait_edit(bot, employee_no, card["message_id"], zh("cards.note_ask"))
    if note is None:
        assert await press(bot, employee_no, card, "跳过") == zh("cards.done_skipped")
        await wait_edit(bot, employee_no, card["message_id"], zh("cards.complete"))
    else:
        user = bot.user_id(employee_no)
        await bot.client.send_text(user, note)
        reply = await bot.client.wait_for(user, lambda m: zh("cards.done_noted") in body(m))
        assert note in body(reply)


async def test_a_card_due_now_reaches_the_managers_escalates_the_third_and_the_digest_follows(
    db: Database,
) -> None:
    clock = Clock()
    start = clock()
    async with running_bot(db, clock=clock) as bot:
        for employee_no in (*MANAGERS, *OTHERS):
            await bot.bind(employee_no)
        await add_card(bot)
        await bot.tick()
        for employee_no in MANAGERS:
            [card] = await with_text(bot, employee_no, TITLE)
            assert "1. 防火：检查取暖设施" in body(card) and "2026-11-27" in body(card)
        for employee_no in OTHERS:
            assert await with_text(bot, employee_no, TITLE) == []
        await acknowledge(bot, "M0001", note="已组织各项目部完成检查")
        await acknowledge(bot, "M0101", note=None)
        await bot.tick()  # the next pass sends nothing again
        for employee_no in MANAGERS:
            cards = [
                m for m in await with_text(bot, employee_no, TITLE) if zh("cards.done_noted") not in body(m)
            ]
            assert len(cards) == 1
    async with running_bot(db, clock=clock) as bot:  # a restart on the same database
        await bot.tick()
        for employee_no in MANAGERS:
            assert await with_text(bot, employee_no, TITLE) == []  # nothing sent again after the restart
        clock.now = start + timedelta(hours=4)
        await bot.tick()
        [reminder] = await with_text(bot, "M0201", zh("cards.reminder"))
        assert TITLE in body(reminder)
        for employee_no in ("M0001", "M0101"):
            assert await with_text(bot, employee_no, TITLE) == []  # they acknowledged: no reminder
        clock.now = start + timedelta(days=1)
        await bot.tick()
        missing = zh("digest.missing", names="郑强")
        [digest] = await with_text(bot, "M0001", missing)
        assert (
            TITLE in body(digest)
            and "周建国" not in body(digest)
            and "赵六" not in body(digest).split("\n")[1]
        )
        assert await with_text(bot, "M0201", missing) == []  # never to the person it names
        assert await with_text(bot, "M0101", missing) == []
        assert await press(bot, "M0201", reminder, "已阅") == zh("cards.done_read")
        reminder = await wait_edit(bot, "M0201", reminder["message_id"], "✓ 已阅")
        assert await press(bot, "M0201", reminder, "已部署落实") == zh("cards.done_deployed")
        edited = await wait_edit(bot, "M0001", digest["message_id"], zh("digest.none_missing"))
        assert "1/1" in body(edited)
    recipients: list[CardRecipient] = await rows(bot, CardRecipient)
    notes = {r.person_id: r.note for r in recipients}
    assert notes[bot.people["M0001"].id] == "已组织各项目部完成检查"
    assert notes[bot.people["M0101"].id] == ""  # 跳过
    assert all(r.read_at is not None and r.deployed_at is not None for r in recipients)
    events: list[CardEvent] = await rows(bot, CardEvent)
    assert sorted(e.action for e in events) == ["deployed"] * 3 + ["note"] + ["read"] * 3
    obligations = [o for o in await rows(bot, Obligation) if o.kind == CARD_ACK]
    assert len(obligations) == 3
    assert {(o.state, o.closed_by == o.subject_id) for o in obligations} == {("acknowledged", True)}


async def test_someone_elses_forged_and_stale_buttons_change_nothing_and_a_double_tap_counts_once(
    bot: Harness,
) -> None:
    await add_card(bot)
    await bot.tick()
    [theirs] = await with_text(bot, "M0201", TITLE)
    data = theirs["reply_markup"]["inline_keyboard"][0][0]["callback_data"]  # signed for 郑强
    [mine] = await with_text(bot, "M0001", TITLE)
    query = await bot.client.press(bot.user_id("M0001"), mine["message_id"], data)
    assert (await bot.client.callback_answer(query))["text"] == zh("access.button_invalid")
    arg = callbacks.decode(SECRET, person_id=bot.people["M0201"].id or 0, data=data)
    assert arg is not None
    forged = callbacks.encode(SECRET, person_id=bot.people["M0001"].id or 0, action="cr", arg=arg.arg)
    query = await bot.client.press(bot.user_id("M0001"), mine["message_id"], forged)
    assert (await bot.client.callback_answer(query))["text"] == zh("cards.not_yours")
    assert all(r.read_at is None for r in await rows(bot, CardRecipient))

    user = bot.user_id("M0001")
    queries = await asyncio.gather(
        *(bot.client.press_button(user, mine["message_id"], "已阅") for _ in range(2))
    )
    answers = sorted([(await bot.client.callback_answer(q))["text"] for q in queries])
    assert answers == sorted([zh("cards.done_read"), zh("cards.already_answered")])
    await bot.drain()
    events: list[CardEvent] = await rows(bot, CardEvent)
    assert [e.action for e in events] == ["read"]

    async with bot.db.session() as session:  # the card is revised: every recipient is asked again
        stored = await session.get(Card, "winter")
        assert stored is not None
        stored.revision, stored.items = 2, [*stored.items, "防滑：清理积雪"]
        session.add(stored)
    await bot.tick()
    for employee_no in MANAGERS:
        revised = await with_text(bot, employee_no, zh("cards.revised_head", revision=2))
        assert len(revised) == 1 and "3. 防滑：清理积雪" in body(revised[0])
    old = await current(bot, "M0201", theirs["message_id"])
    assert await press(bot, "M0201", old, "已阅") == zh("cards.revised")  # the old version's button
    await wait_edit(bot, "M0201", theirs["message_id"], "3. 防滑：清理积雪")  # shows the new one
    recipients: list[CardRecipient] = await rows(bot, CardRecipient)
    assert all(r.revision == 2 and r.read_at is None for r in recipients)
    assert [e.action for e in await rows(bot, CardEvent)].count("resent") == 3
    assert {o.state for o in await rows(bot, Obligation) if o.kind == CARD_ACK} == {"open"}


async def test_a_note_over_500_characters_is_refused_and_nothing_kept(bot: Harness) -> None:
    await add_card(bot)
    await bot.tick()
    [card] = await with_text(bot, "M0101", TITLE)
    await press(bot, "M0101", card, "已阅")
    card = await wait_edit(bot, "M0101", card["message_id"], "✓ 已阅")
    await press(bot, "M0101", card, "已部署落实")
    user = bot.user_id("M0101")
    await bot.client.send_text(user, "长" * 501)
    reply = await bot.client.wait_for(user)
    assert body(reply) == zh("cards.note_too_long", max=500, n=501)
    recipients: list[CardRecipient] = await rows(bot, CardRecipient)
    assert all(r.note is None for r in recipients)
    await bot.client.send_text(user, "已落实")
    await bot.client.wait_for(user, lambda m: zh("cards.done_noted") in body(m))
    stored = {r.person_id: r.note for r in await rows(bot, CardRecipient)}
    assert stored[bot.people["M0101"].id] == "已落实"


async def test_cards_lists_mine_and_leaders_see_the_rates_of_their_units(db: Database) -> None:
    async with running_bot(db) as bot:
        for employee_no in MANAGERS:
            await bot.bind(employee_no)
        await _cards_listing(bot)


async def _cards_listing(bot: Harness) -> None:
    await add_card(bot)
    await bot.tick()
    await acknowledge(bot, "M0101", note=None)
    user = bot.user_id("M0001")
    await bot.client.send_text(user, "/cards")
    listing = await bot.client.wait_for(user, lambda m: zh("cards.list_title", count=1) in body(m))
    text = body(listing)
    assert f"1. {TITLE}（2026-11-27）— 未读" in text
    assert "普朗铜矿项目部 1/1" in text and "西南分公司 0/1" in text
    await press(bot, "M0001", listing, TITLE)
    opened = await wait_edit(bot, "M0001", listing["message_id"], "1. 防火")
    assert any("已阅" in b["text"] for row in opened["reply_markup"]["inline_keyboard"] for b in row)


async def test_a_card_published_before_a_crash_is_sent_after_the_restart_once(db: Database) -> None:
    clock = Clock()
    async with running_bot(db, clock=clock) as bot:
        for employee_no in MANAGERS:
            await bot.bind(employee_no)
    async with db.session() as session:  # published and committed; the process stops before sending
        card = card_row(source="adhoc")
        session.add(card)
        await session.flush()
        await delivery.publish(
            session, card=card, event_date=clock().date(), send_at=clock(), now=clock(), defaults=Defaults()
        )
    async with running_bot(db, clock=clock) as bot:
        await bot.drain()
        await bot.tick()
        for employee_no in MANAGERS:
            assert len(await with_text(bot, employee_no, TITLE)) == 1
