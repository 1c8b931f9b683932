"""The morning check-in through the sandbox: round opening, answers, leave, digests and escalation steps.

The harness clock is moved explicitly and one duty pass is run with Harness.tick(); the policy in
data/duty-org.yaml has second-scale steps: self at due, team leader +10 s, safety officer +20 s.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from safety.texts import t
from storage.db import Database
from storage.models import CheckIn, Obligation, Round
from tests.flow.harness import Clock, Harness, running_bot

ORG = Path(__file__).parent / "data" / "duty-org.yaml"
SHANGHAI = ZoneInfo("Asia/Shanghai")
TEAM = ["A1", "A2", "A3", "A4", "A5"]


def local(hour: int, minute: int, second: int = 0, *, day: int = 27, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=SHANGHAI).astimezone(UTC)


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Harness]:
    async with running_bot(db, org_file=ORG, clock=Clock(local(6, 50))) as harness:
        for employee_no in ["L1", "S1", "M1", *TEAM]:
            await harness.bind(employee_no)
        yield harness


async def bot_texts(bot: Harness, employee_no: str) -> list[str]:
    return [
        str(m.get("text") or "") for m in await bot.client.messages(bot.user_id(employee_no)) if m["from_bot"]
    ]


async def last_bot_message(bot: Harness, employee_no: str, contains: str) -> dict:
    found = [
        m
        for m in await bot.client.messages(bot.user_id(employee_no))
        if m["from_bot"] and contains in str(m.get("text"))
    ]
    assert found, f"{employee_no} got no message containing {contains!r}: {await bot_texts(bot, employee_no)}"
    return found[-1]


async def press(bot: Harness, employee_no: str, message: dict, label: str) -> dict:
    query = await bot.client.press_button(bot.user_id(employee_no), message["message_id"], label)
    return await bot.client.callback_answer(query)


async def approve_leave_for_today(bot: Harness, employee_no: str) -> None:
    user = bot.user_id(employee_no)
    sent = await bot.client.send_text(user, "/leave 11-27 家中有事")
    reply = await bot.client.wait_for(user, after_message_id=sent["message_id"])
    assert reply["text"] == zh("leave.submitted", first="2026-11-27", last="2026-11-27")
    await bot.drain()
    request = await last_bot_message(bot, "L1", "家中有事")
    await press(bot, "L1", request, zh("leave.approve"))
    await bot.drain()
    assert any("已由 李班长 批准" in text for text in await bot_texts(bot, employee_no))


async def open_round_and_answer(bot: Harness) -> None:
    """A4 on approved leave; at 07:00 A1 and A2 all fine, A3 an issue, A5 silent."""
    await approve_leave_for_today(bot, "A4")
    bot.clock.now = local(7, 0, 5)
    opened, _ = await bot.tick()
    assert opened >= 1
    for employee_no in ("A1", "A2", "A3", "A5"):
        assert any("班前安全确认" in text for text in await bot_texts(bot, employee_no)), employee_no
    assert not any("班前安全确认" in text for text in await bot_texts(bot, "A4"))
    for employee_no in ("A1", "A2"):
        checklist = await last_bot_message(bot, employee_no, "班前安全确认")
        await press(bot, employee_no, checklist, "全部正常")
        await bot.client.wait_for(
            bot.user_id(employee_no), predicate=lambda m: "已确认" in str(m.get("text"))
        )
    checklist = await last_bot_message(bot, "A3", "班前安全确认")
    await press(bot, "A3", checklist, "有异常")
    choose = await bot.client.wait_for(
        bot.user_id("A3"), predicate=lambda m: m.get("text") == zh("checkin.choose_items")
    )
    await press(bot, "A3", choose, zh("checkin.item_ppe")[:6])
    await press(bot, "A3", choose, zh("checkin.submit"))
    await bot.client.wait_for(bot.user_id("A3"), predicate=lambda m: "请简要说明" in str(m.get("text")))
    sent = await bot.client.send_text(bot.user_id("A3"), "安全帽下颚带断了")
    recorded = await bot.client.wait_for(bot.user_id("A3"), after_message_id=sent["message_id"])
    assert recorded["text"].startswith("⚠️ 已记录异常")
    await bot.drain()
    alert = await last_bot_message(bot, "L1", "班前确认有异常")
    assert "陈三" in alert["text"] and "安全帽下颚带断了" in alert["text"] and "劳保用品" in alert["text"]


async def test_digest_names_exactly_the_silent_one_and_handled_stops_the_next_step(bot: Harness) -> None:
    await open_round_and_answer(bot)
    bot.clock.now = local(7, 30, 1)
    await bot.tick()
    assert any("截止时间" in text for text in await bot_texts(bot, "A5"))  # step 0: the person themself
    assert not any("班前确认 3/4" in text for text in await bot_texts(bot, "L1"))
    bot.clock.now = local(7, 30, 11)
    await bot.tick()
    digests = [
        m
        for m in await bot.client.messages(bot.user_id("L1"))
        if m["from_bot"] and "班前确认 3/4" in str(m.get("text"))
    ]
    assert len(digests) == 1, "one digest per unit, kind and step"
    digest = digests[0]
    assert zh("digest.missing", names="孙五") in digest["text"]
    labels = [b["text"] for row in digest["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == [zh("digest.remind", name="孙五"), zh("digest.excuse"), zh("digest.handled")]
    answer = await press(bot, "L1", digest, zh("digest.handled"))
    assert answer["text"] == zh("digest.done_handled", name="孙五")
    await bot.drain()
    edited = await last_bot_message(bot, "L1", "班前确认")
    assert "已处理：孙五（李班长" in edited["text"] and edited.get("edited")
    bot.clock.now = local(7, 30, 21)
    await bot.tick()
    assert not any("班前确认" in text for text in await bot_texts(bot, "S1")), "handled: no next step"
    async with bot.db.session() as session:
        states = {o.subject_id: o.state for o in (await session.exec(select(Obligation))).all()}
    assert sorted(states.values()) == ["acknowledged", "done", "done", "done", "excused"]


async def test_without_handling_the_safety_officer_gets_the_next_step(bot: Harness) -> None:
    await open_round_and_answer(bot)
    for second in (1, 11, 21):
        bot.clock.now = local(7, 30, second)
        await bot.tick()
    officer = [text for text in await bot_texts(bot, "S1") if "班前确认 3/4" in text]
    assert len(officer) == 1 and zh("digest.missing", names="孙五") in officer[0]
    # A late check-in still closes the duty, and the digests are edited to show it.
    checklist = await last_bot_message(bot, "A5", "班前安全确认")
    await press(bot, "A5", checklist, "全部正常")
    reply = await bot.client.wait_for(bot.user_id("A5"), predicate=lambda m: "迟到" in str(m.get("text")))
    assert "07:30" in reply["text"]
    await bot.drain()
    assert "班前确认 4/4" in (await last_bot_message(bot, "S1", "班前确认"))["text"]
    async with bot.db.session() as session:
        late = (await session.exec(select(CheckIn).where(CheckIn.status == "late"))).all()
    assert len(late) == 1


async def test_status_shows_each_kind_of_answer(bot: Harness) -> None:
    await open_round_and_answer(bot)
    user = bot.user_id("L1")
    sent = await bot.client.send_text(user, "/status")
    status = await bot.client.wait_for(user, after_message_id=sent["message_id"])
    assert "按时 2｜迟到 0｜异常 1｜请假 1｜已处理 0｜未确认 1" in status["text"]
    assert (
        "未确认：孙五" in status["text"] and "请假：赵四" in status["text"] and "异常：陈三" in status["text"]
    )


async def test_restart_after_two_steps_sends_only_the_latest_once(db: Database) -> None:
    clock = Clock(local(6, 50))
    async with running_bot(db, org_file=ORG, clock=clock) as bot:
        for employee_no in ["L1", "S1", "M1", *TEAM]:
            await bot.bind(employee_no)
        bot.clock.now = local(7, 0, 5)
        await bot.tick()
        bot.clock.now = local(7, 30, 1)
        await bot.tick()
    clock.now = local(7, 30, 25)  # the bot was down while the leader's and the officer's steps fell due
    async with running_bot(db, org_file=ORG, clock=clock) as bot:
        await bot.tick()
        await bot.tick()
        assert not any("班前确认" in text for text in await bot_texts(bot, "L1"))
        officer = [text for text in await bot_texts(bot, "S1") if "班前确认 0/5" in text]
        assert len(officer) == 1
        async with bot.db.session() as session:
            levels = {o.level for o in (await session.exec(select(Obligation))).all()}
        assert levels == {2}


@pytest.mark.parametrize(
    ("month", "day", "opens"),
    [(10, 1, False), (10, 10, True), (10, 11, False), (10, 12, True)],
    ids=["national-day", "tiaoxiu-saturday", "ordinary-sunday", "monday"],
)
async def test_workdays_follow_the_official_calendar(db: Database, month: int, day: int, opens: bool) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(6, 50, month=month, day=day))) as bot:
        await bot.bind("W1")
        bot.clock.now = local(7, 1, month=month, day=day)
        await bot.tick()
        got = any("掘进班 班前安全确认" in text for text in await bot_texts(bot, "W1"))
        async with bot.db.session() as session:
            rounds = (await session.exec(select(Round).where(Round.unit_id == "team-w"))).all()
    assert got is opens and len(rounds) == int(opens)


async def test_round_opening_is_idempotent(bot: Harness) -> None:
    bot.clock.now = local(7, 0, 5)
    await bot.tick()
    await bot.tick()
    bot.clock.now = local(7, 10)
    await bot.tick()
    async with bot.db.session() as session:
        rounds = (await session.exec(select(Round).where(Round.unit_id == "team-a"))).all()
    assert len(rounds) == 1
    checklists = [text for text in await bot_texts(bot, "A1") if "班前安全确认" in text]
    assert len(checklists) == 1


async def test_not_cleared_cannot_check_in_fit_and_the_leader_is_told(bot: Harness) -> None:
    async with bot.db.session() as session:
        person = bot.people["A2"]
        fresh = await session.get(type(person), person.id)
        assert fresh is not None
        fresh.cleared = False
        session.add(fresh)
    bot.clock.now = local(7, 0, 5)
    await bot.tick()
    checklist = await last_bot_message(bot, "A2", "班前安全确认")
    await press(bot, "A2", checklist, "全部正常")
    refusal = await bot.client.wait_for(
        bot.user_id("A2"), predicate=lambda m: "上岗资格" in str(m.get("text"))
    )
    assert refusal["text"] == zh("checkin.not_cleared")
    await bot.drain()
    notice = zh("checkin.not_cleared_digest", unit="爆破班", count=1, names="王二")
    assert notice in await bot_texts(bot, "L1")
    async with bot.db.session() as session:
        assert (await session.exec(select(CheckIn))).all() == []


async def test_stale_and_foreign_check_in_buttons_change_nothing(bot: Harness) -> None:
    bot.clock.now = local(7, 0, 5)
    await bot.tick()
    a1 = await last_bot_message(bot, "A1", "班前安全确认")
    ok_data = a1["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    a2 = await last_bot_message(bot, "A2", "班前安全确认")
    answer = await bot.client.callback_answer(
        await bot.client.press(bot.user_id("A2"), a2["message_id"], ok_data)
    )
    assert answer["text"] == zh("access.button_invalid")
    bot.clock.now = local(7, 0, 5, day=28)  # the next day: yesterday's button is stale
    await press(bot, "A1", a1, "全部正常")
    stale = await bot.client.wait_for(
        bot.user_id("A1"), predicate=lambda m: m.get("text") == zh("checkin.no_round")
    )
    assert stale
    async with bot.db.session() as session:
        assert (await session.exec(select(CheckIn))).all() == []


async def test_checkin_command_and_a_required_location(db: Database) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(6, 50))) as bot:
        await bot.bind("U1")
        user = bot.user_id("U1")
        sent = await bot.client.send_text(user, "/checkin")
        assert (await bot.client.wait_for(user, after_message_id=sent["message_id"]))["text"] == zh(
            "checkin.no_round"
        )
        bot.clock.now = local(7, 0, 5)
        await bot.tick()
        sent = await bot.client.send_text(user, "/checkin")
        again = await bot.client.wait_for(user, after_message_id=sent["message_id"])
        assert "井下班 班前安全确认" in again["text"]
        await press(bot, "U1", again, "全部正常")
        ask = await bot.client.wait_for(user, predicate=lambda m: m.get("text") == zh("checkin.ask_location"))
        assert ask
        chat = await bot.client.chat(user)
        assert chat["reply_keyboard"], "a location button is offered"
        sent = await bot.client.send_location(user, 26.1, 99.9)
        done = await bot.client.wait_for(user, after_message_id=sent["message_id"])
        assert done["text"].startswith("✅ 已确认")
        async with bot.db.session() as session:
            checkin = (await session.exec(select(CheckIn))).one()
        assert (checkin.status, checkin.latitude, checkin.longitude) == ("on_time", 26.1, 99.9)


async def test_the_scheduler_fires_a_step_within_15_seconds(db: Database) -> None:
    clock = Clock(local(6, 50))
    async with running_bot(db, org_file=ORG, clock=clock, tick_seconds=2.0) as bot:
        for employee_no in ("L1", "A1"):
            await bot.bind(employee_no)
        clock.now = local(7, 30, 11)  # no manual tick: the JobQueue opens the round and escalates
        user = bot.user_id("L1")
        digest = await bot.client.wait_for(
            user, predicate=lambda m: "班前确认 0/1" in str(m.get("text")), timeout=15
        )
        assert zh("digest.missing", names="张一") in digest["text"]


async def test_a_unit_group_chat_gets_the_digest_and_only_leaders_handle_it(db: Database) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(6, 50))) as bot:
        for employee_no in ("G1", "GL"):
            await bot.bind(employee_no)
        group = -1009001
        bot.server.add_group(group, "运输班群", [bot.user_id("G1"), bot.user_id("GL")])
        bot.clock.now = local(7, 0, 5)
        await bot.tick()
        bot.clock.now = local(7, 30, 11)
        await bot.tick()
        digest = await bot.client.wait_for(
            bot.user_id("GL"),
            chat_id=group,
            predicate=lambda m: "运输班 07:30 班前确认 0/1" in str(m.get("text")),
        )
        staff = await bot.client.press_button(
            bot.user_id("G1"), digest["message_id"], zh("digest.handled"), chat_id=group
        )
        assert (await bot.client.callback_answer(staff))["text"] == zh("digest.not_recipient")
        leader = await bot.client.press_button(
            bot.user_id("GL"), digest["message_id"], zh("digest.handled"), chat_id=group
        )
        assert (await bot.client.callback_answer(leader))["text"] == zh("digest.done_handled", name="冯工")
        async with bot.db.session() as session:
            obligation = (await session.exec(select(Obligation).where(Obligation.unit_id == "team-g"))).one()
        assert obligation.state == "acknowledged" and obligation.closed_by == bot.people["GL"].id
