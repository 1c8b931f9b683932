"""The answered checklist becomes the receipt, and an answer ends a half-done issue report.

A press of 全部正常 edits the checklist message in place (result on top, items kept, buttons gone) instead
of sending a new message and editing the keyboard: one Bot API call less on the morning-rush path.
"""

from __future__ import annotations

from sqlmodel import col, select, update

from safety.texts import t
from storage.db import Database
from storage.models import ChatState, CheckIn, Person
from tests.flow.harness import Clock, Harness, running_bot
from tests.flow.test_checkin import ORG, bot, bot_texts, last_bot_message, local, press, zh

__all__ = ["bot"]  # the fixture, shared with test_checkin


async def test_all_fine_turns_the_checklist_into_the_receipt(bot: Harness) -> None:
    bot.clock.now = local(7, 0, 5)
    await bot.tick()
    user = bot.user_id("A1")
    checklist = await last_bot_message(bot, "A1", "班前安全确认")
    ok_data = checklist["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    before = len(await bot.client.messages(user))
    await press(bot, "A1", checklist, "全部正常")
    receipt = await bot.client.wait_for(user, predicate=lambda m: "已确认" in str(m.get("text")))
    assert receipt["message_id"] == checklist["message_id"] and receipt.get("edited")
    assert receipt["text"].startswith(zh("checkin.recorded_on_time", time="07:00"))
    assert zh("checkin.item_fit") in receipt["text"], "the items stay on the receipt"
    assert zh("checkin.open_hint") not in receipt["text"], "the 'tap a button' hint goes with the buttons"
    assert not (receipt.get("reply_markup") or {}).get("inline_keyboard")
    assert len(await bot.client.messages(user)) == before, "no extra message"

    # The old button pressed again (a second tap from a slow phone): told, nothing recorded twice.
    await bot.client.callback_answer(await bot.client.press(user, checklist["message_id"], ok_data))
    again = await bot.client.wait_for(user, predicate=lambda m: "已" in str(m.get("text")))
    assert again["text"] == zh("checkin.already", time="07:00")
    async with bot.db.session() as session:
        assert [c.status for c in (await session.exec(select(CheckIn))).all()] == ["on_time"]


async def test_all_fine_ends_a_half_done_issue_report(bot: Harness) -> None:
    bot.clock.now = local(7, 0, 5)
    await bot.tick()
    user = bot.user_id("A3")
    checklist = await last_bot_message(bot, "A3", "班前安全确认")
    await press(bot, "A3", checklist, "有异常")
    choose = await bot.client.wait_for(user, predicate=lambda m: m.get("text") == zh("checkin.choose_items"))
    await press(bot, "A3", choose, zh("checkin.item_ppe")[:6])
    await press(bot, "A3", choose, zh("checkin.submit"))
    await bot.client.wait_for(user, predicate=lambda m: "请简要说明" in str(m.get("text")))
    async with bot.db.session() as session:
        assert (await session.exec(select(ChatState))).all(), "the bot waits for the note"

    await press(bot, "A3", checklist, "全部正常")  # changed their mind: all fine after all
    await bot.client.wait_for(user, predicate=lambda m: "已确认" in str(m.get("text")))
    sent = await bot.client.send_text(user, "安全帽下颚带断了")
    await bot.client.wait_for(user, after_message_id=sent["message_id"])
    await bot.drain()
    async with bot.db.session() as session:
        assert (await session.exec(select(ChatState))).all() == [], "the half-done report is dropped"
        assert [c.status for c in (await session.exec(select(CheckIn))).all()] == ["on_time"]
    assert not any("班前确认有异常" in text for text in await bot_texts(bot, "L1"))


async def test_all_fine_is_answered_before_the_actor_is_read_and_still_authorised(db: Database) -> None:
    """The press of 全部正常 is acknowledged at once (the account was last seen receiving that checklist);
    whoever the database then says the presser is decides: someone deactivated since is told, and nothing
    is recorded."""
    async with running_bot(db, org_file=ORG, clock=Clock(local(6, 50))) as bot:
        for employee_no in ("L1", "A1", "A2"):
            await bot.bind(employee_no)
        bot.clock.now = local(7, 0, 5)
        await bot.tick()
        for employee_no in ("A1", "A2"):
            assert (
                bot.app.bot_data["services"].person_hint(str(bot.user_id(employee_no)))
                == bot.people[employee_no].id
            )
        async with bot.db.session() as session:
            await session.exec(update(Person).where(col(Person.employee_no) == "A2").values(active=False))
        answers = {}
        for employee_no in ("A1", "A2"):
            checklist = await last_bot_message(bot, employee_no, "班前安全确认")
            answers[employee_no] = await press(bot, employee_no, checklist, "全部正常")
        assert answers["A1"].get("text") in (None, "") and answers["A2"].get("text") in (None, ""), answers
        await bot.client.wait_for(bot.user_id("A1"), predicate=lambda m: "已确认" in str(m.get("text")))
        told = await bot.client.wait_for(
            bot.user_id("A2"), predicate=lambda m: m.get("text") == t("zh-CN", "bind.unbound_button")
        )
        assert told["from_bot"]
        async with bot.db.session() as session:
            done = (await session.exec(select(CheckIn.person_id))).all()
        assert done == [bot.people["A1"].id], "the deactivated person's press recorded nothing"
