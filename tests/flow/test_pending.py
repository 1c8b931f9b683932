"""/pending over every duty kind through the sandbox, on both databases (data/duty-org.yaml: second-scale
check-in steps, the team leader at +10 s).

张一 has a check-in, a reminder card and a duty shift open: /pending lists all three with their own
buttons; 已阅 and 到岗 pressed there act as on the original messages, and 全部正常 there checks him in
(late, after the leader's digest) with its receipt, and the digest is edited. 李班长 sees the missed
check-ins escalated to him with 提醒 / 请假 / 已处理; 已处理 from /pending closes one, someone else's press is
refused, a stale page answers as stale, two presses at once: one wins, one is told. Many items page.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from safety import callbacks
from safety.cards import delivery
from safety.imports.shifts_file import import_shifts
from safety.pending import MAX_ROWS, PAGE_SIZE, Item, page_of, pages
from safety.shifts.replace import ShiftsReport
from safety.texts import t
from safety.views import Action, Text
from storage.db import Database
from storage.models import Card, CardRecipient, CheckIn, DutyShift, Obligation
from tests.flow.harness import TOKEN, Clock, Harness, running_bot

ORG = Path(__file__).parent / "data" / "duty-org.yaml"
SHANGHAI = ZoneInfo("Asia/Shanghai")
SECRET = callbacks.derive_secret(TOKEN)
TEAM = ["A1", "A2", "A3", "A4", "A5"]
PENDING = "📌"


def local(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 11, 27, hour, minute, second, tzinfo=SHANGHAI).astimezone(UTC)


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


def body(message: dict[str, Any]) -> str:
    return str(message.get("text") or "")


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def data_of(message: dict[str, Any], label: str) -> str:
    found = [
        b["callback_data"]
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for b in row
        if label in b["text"]
    ]
    assert found, (label, labels(message))
    return str(found[0])


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Harness]:
    async with running_bot(db, org_file=ORG, clock=Clock(local(6, 50))) as harness:
        for employee_no in ["L1", "S1", *TEAM]:
            await harness.bind(employee_no)
        yield harness


async def pending(bot: Harness, employee_no: str) -> dict[str, Any]:
    user = bot.user_id(employee_no)
    sent = await bot.client.send_text(user, "/pending")
    return await bot.client.wait_for(
        user, after_message_id=sent["message_id"], predicate=lambda m: body(m).startswith(PENDING)
    )


async def press(bot: Harness, employee_no: str, message: dict[str, Any], label: str) -> dict[str, Any]:
    """Press the button whose label contains `label`; the bot's answer to the press."""
    query = await bot.client.press(bot.user_id(employee_no), message["message_id"], data_of(message, label))
    return await bot.client.callback_answer(query)


async def redrawn(
    bot: Harness, employee_no: str, message_id: int, wanted: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The page once redrawn to satisfy `wanted` (after the press is answered; the owning handler may
    have edited the message in between, as it edits its own)."""
    async with asyncio.timeout(10):
        while True:
            for message in await bot.client.messages(bot.user_id(employee_no)):
                page = message["message_id"] == message_id and body(message).startswith(PENDING)
                if page and wanted(message):
                    return message
            await asyncio.sleep(0.05)


async def texts(bot: Harness, employee_no: str) -> list[str]:
    return [body(m) for m in await bot.client.messages(bot.user_id(employee_no)) if m["from_bot"]]


async def digest_of(bot: Harness, employee_no: str) -> dict[str, Any]:
    found = [
        m
        for m in await bot.client.messages(bot.user_id(employee_no))
        if m["from_bot"] and body(m).startswith("⏰") and "班前确认" in body(m)
    ]
    assert found, await texts(bot, employee_no)
    return found[-1]


async def open_round(bot: Harness) -> None:
    bot.clock.now = local(7, 0, 5)
    await bot.tick()


async def escalate_to_leader(bot: Harness) -> None:
    for second in (1, 11):
        bot.clock.now = local(7, 30, second)
        await bot.tick()


async def add_card_and_shift(bot: Harness) -> None:
    """A card to 爆破班's staff (已阅, then 已部署落实) and 张一 on duty 07:00–19:00 today."""
    defaults = bot.app.bot_data["services"].defaults
    card = Card(
        id="winter",
        title="冬季四防安全提示卡",
        date_rule="11-27",
        audience_roles=["staff"],
        audience_units=["team-a"],
        items=["防火", "防冻"],
        ack=["read", "deployed"],
    )
    async with bot.db.session() as session:
        session.add(card)
    async with bot.db.session() as session:
        await delivery.publish(
            session,
            card=card,
            event_date=date(2026, 11, 27),
            send_at=local(7, 0),
            now=local(7, 0),
            defaults=defaults,
        )
    roster = (
        'shifts:\n  - {date: 2026-11-27, from: "07:00", to: "19:00", employee_no: A1, role: 值班员,'
        " unit: team-a}\n"
    )
    async with bot.db.session() as session:
        report = await import_shifts(session, roster, now=local(6, 50), defaults=defaults)
    assert isinstance(report, ShiftsReport), report


async def test_my_checkin_card_and_shift_wait_with_their_buttons_and_act_from_pending(bot: Harness) -> None:
    await add_card_and_shift(bot)
    await open_round(bot)
    page = await pending(bot, "A1")
    lines = body(page).splitlines()
    assert lines[0].startswith("📌 待我处理（3 项，第 1/1 页")
    assert lines[1] == "1. 安全生产提示卡确认｜爆破班｜截止 11-27 07:00（⚠️已超时）"
    assert lines[2] == "2. 值班到岗确认｜爆破班｜截止 11-27 07:00（⚠️已超时）"
    assert lines[3] == "3. 班前安全确认｜爆破班｜截止 11-27 07:30"
    assert labels(page) == [
        zh("pending.item_button", n=1, label=zh("cards.read")),
        zh("pending.item_button", n=2, label=zh("shifts.confirm_button")),
        zh("pending.item_button", n=3, label=zh("checkin.all_fine")),
        zh("pending.item_button", n=3, label=zh("checkin.something_wrong")),
    ]

    # 已阅 there reads the card: the page is redrawn with the card's next button, 已部署落实.
    await press(bot, "A1", page, "已阅")
    page = await redrawn(bot, "A1", page["message_id"], lambda m: "已部署落实" in " ".join(labels(m)))
    async with bot.db.session() as session:
        [recipient] = (
            await session.exec(
                select(CardRecipient).where(col(CardRecipient.person_id) == bot.people["A1"].id)
            )
        ).all()
    assert recipient.read_at is not None and recipient.deployed_at is None
    # 到岗 there confirms the shift, answered as the shift message answers it; the item goes.
    bot.clock.now = local(7, 2)
    answer = await press(bot, "A1", page, "到岗")
    assert answer["text"] == zh("shifts.confirmed", time="07:02")
    page = await redrawn(bot, "A1", page["message_id"], lambda m: "值班到岗确认" not in body(m))
    assert body(page).startswith("📌 待我处理（2 项")
    async with bot.db.session() as session:
        [shift] = (await session.exec(select(DutyShift))).all()
    assert shift.confirmed_at is not None

    # The check-in escalates to 李班长 naming everyone; 全部正常 from /pending checks 张一 in (late) with the
    # check-in's receipt as a message of its own, the page loses the item, the leader's digest is edited.
    await escalate_to_leader(bot)
    assert zh("digest.missing", names="张一、王二、陈三、赵四、孙五") in body(await digest_of(bot, "L1"))
    page = await pending(bot, "A1")
    before = len(await bot.client.messages(bot.user_id("A1")))
    await press(bot, "A1", page, "全部正常")
    receipt = await bot.client.wait_for(bot.user_id("A1"), predicate=lambda m: "记为迟到" in body(m))
    assert receipt["message_id"] != page["message_id"]
    assert len(await bot.client.messages(bot.user_id("A1"))) > before
    page = await redrawn(bot, "A1", page["message_id"], lambda m: "班前安全确认" not in body(m))
    assert body(page).startswith("📌 待我处理（1 项") and "安全生产提示卡确认" in body(page)
    await bot.drain()
    digest = await digest_of(bot, "L1")
    assert digest.get("edited") and zh("digest.missing", names="王二、陈三、赵四、孙五") in body(digest)
    async with bot.db.session() as session:
        [checkin] = (await session.exec(select(CheckIn))).all()
    assert checkin.status == "late"

    # 已部署落实 there: the card asks for the optional note on that message (with 跳过), as the card does.
    await press(bot, "A1", page, "已部署落实")
    asked = await bot.client.wait_for(
        bot.user_id("A1"),
        predicate=lambda m: m["message_id"] == page["message_id"] and zh("cards.skip") in labels(m),
    )
    assert "冬季四防安全提示卡" in body(asked)
    async with bot.db.session() as session:
        card_duty = (await session.exec(select(Obligation).where(col(Obligation.kind) == "card_ack"))).all()
    assert {o.state for o in card_duty if o.subject_id == bot.people["A1"].id} == {"acknowledged"}


async def test_a_leader_handles_an_escalated_checkin_from_pending(bot: Harness) -> None:
    await open_round(bot)
    await escalate_to_leader(bot)
    stale = await pending(bot, "L1")
    lines = body(stale).splitlines()
    assert lines[1] == "1. ⏫ ⏰ 爆破班 07:30 班前确认 0/5"
    assert lines[2] == "    " + zh("pending.waiting", names="张一、王二、陈三、赵四、孙五")
    rows = [[b["text"] for b in row] for row in stale["reply_markup"]["inline_keyboard"]]
    assert rows[4] == [
        zh("pending.item_button", n=1, label=zh("digest.remind", name="孙五")),
        zh("pending.item_button", n=1, label=zh("digest.excuse")),
        zh("pending.item_button", n=1, label=zh("digest.handled")),
    ]
    handled_a5 = stale["reply_markup"]["inline_keyboard"][4][2]["callback_data"]
    async with bot.db.session() as session:
        duties = {o.subject_id: o for o in (await session.exec(select(Obligation))).all()}
    a5 = duties[bot.people["A5"].id or 0]

    # Someone else: 李班长's button from 钱安全's account fails its signature; the same action signed for
    # 钱安全 (not a recipient at this level) is refused by the obligation's own check.
    officer = bot.user_id("S1")
    sent = await bot.client.send_text(officer, "/pending")
    nothing = await bot.client.wait_for(officer, after_message_id=sent["message_id"])
    assert body(nothing) == zh("pending.none")
    for data, refusal in (
        (handled_a5, "access.button_invalid"),
        (
            callbacks.encode(SECRET, person_id=bot.people["S1"].id or 0, action="pa", arg=f"0.ob.{a5.id}.h"),
            "digest.not_recipient",
        ),
    ):
        answer = await bot.client.callback_answer(
            await bot.client.press(officer, nothing["message_id"], data)
        )
        assert answer["text"] == zh(refusal) and answer.get("show_alert")

    # 已处理 from a fresh page closes 孙五's duty as the digest's button does; the digest is edited.
    page = await pending(bot, "L1")
    query = await bot.client.press(bot.user_id("L1"), page["message_id"], handled_a5)
    answer = await bot.client.callback_answer(query)
    assert answer["text"] == zh("digest.done_handled", name="孙五")
    page = await redrawn(bot, "L1", page["message_id"], lambda m: "孙五" not in body(m))
    assert zh("pending.waiting", names="张一、王二、陈三、赵四") in body(page)
    await bot.drain()
    assert "已处理：孙五（李班长" in body(await digest_of(bot, "L1"))

    # The stale page (drawn before) answers as stale, and is redrawn as things are now.
    query = await bot.client.press(bot.user_id("L1"), stale["message_id"], handled_a5)
    answer = await bot.client.callback_answer(query)
    assert answer["text"] == zh("digest.already_closed") and answer.get("show_alert")
    await redrawn(bot, "L1", stale["message_id"], lambda m: "孙五" not in body(m))

    # Two presses of the same button at once: one closes 赵四's duty, the other is told it is closed.
    handled_a4 = page["reply_markup"]["inline_keyboard"][3][2]["callback_data"]
    queries = await asyncio.gather(
        *(bot.client.press(bot.user_id("L1"), page["message_id"], handled_a4) for _ in range(2))
    )
    answers = sorted([(await bot.client.callback_answer(q))["text"] for q in queries])
    assert answers == sorted([zh("digest.done_handled", name="赵四"), zh("digest.already_closed")])
    async with bot.db.session() as session:
        closed = (await session.exec(select(Obligation).where(col(Obligation.state) == "acknowledged"))).all()
    assert sorted(o.subject_id for o in closed) == sorted(bot.people[e].id or 0 for e in ("A4", "A5"))
    assert all(o.closed_by == bot.people["L1"].id for o in closed)


async def test_many_items_page_and_act_on_a_later_page(bot: Harness) -> None:
    person = bot.people["A1"].id or 0
    async with bot.db.session() as session:
        for day in range(1, 11):
            session.add(
                Obligation(
                    kind="quiz",
                    ref=f"quiz:2026-11-{day:02d}",
                    subject_id=person,
                    unit_id="team-a",
                    due_at=local(6, 0) - timedelta(days=30 - day),
                )
            )
    first = await pending(bot, "A1")
    assert body(first).startswith("📌 待我处理（10 项，第 1/2 页")
    assert labels(first) == [
        *(zh("pending.item_button", n=n, label=zh("pending.quiz_start")) for n in range(1, PAGE_SIZE + 1)),
        zh("flows.next_page"),
    ]
    await press(bot, "A1", first, zh("flows.next_page"))
    second = await redrawn(bot, "A1", first["message_id"], lambda m: "第 2/2 页" in body(m))
    assert [line.split("｜")[0] for line in body(second).splitlines()[1:]] == [
        "1. 十条禁令考试",
        "2. 十条禁令考试",
    ]
    assert zh("flows.prev_page") in labels(second)
    # 开始考试 on page 2 does what /quiz does (no bank here: it says so), and page 2 is drawn again.
    await press(bot, "A1", second, zh("pending.quiz_start"))
    await bot.client.wait_for(bot.user_id("A1"), predicate=lambda m: body(m) == zh("quiz.no_bank"))
    await redrawn(bot, "A1", first["message_id"], lambda m: "第 2/2 页" in body(m))


def item(rows: int, n: int) -> Item:
    row = (Action(Text("digest.handled"), "ob", f"{n}.h"),)
    return Item(
        datetime(2026, 11, 27, tzinfo=UTC) + timedelta(minutes=n), (f"item {n}",), (row,) * rows, str(n)
    )


def test_pages_end_at_the_item_count_or_the_button_rows() -> None:
    by_count = pages([item(1, n) for n in range(PAGE_SIZE + 1)])
    assert [len(p) for p in by_count] == [PAGE_SIZE, 1]
    by_rows = pages([item(5, n) for n in range(5)])  # 5 + 5 rows fit, a third item of 5 does not
    assert [len(p) for p in by_rows] == [2, 2, 1] and MAX_ROWS < 15
    assert [len(p) for p in pages([item(MAX_ROWS + 3, 0), item(1, 1)])] == [1, 1]  # alone: all its rows
    assert page_of([], 5).pages == 1 and page_of([item(1, n) for n in range(20)], 99).page == 2
