"""The ten-prohibitions quiz through the sandbox: clearance, results, resume after restart, refused presses,
and violations that suspend clearance and escalate."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlmodel import select

from safety.texts import t
from storage.db import Database
from storage.models import CheckIn, Obligation, Person, QuizAttempt, QuizItem
from tests.flow.harness import EXAMPLES, Clock, Harness, running_bot
from tests.flow.test_checkin import ORG, last_bot_message, local

BANK = EXAMPLES / "questions.yaml"


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


async def load_bank(bot: Harness, path: Path = BANK) -> None:
    from safety.imports.questions_service import import_questions_file

    async with bot.db.session() as session:
        result = await import_questions_file(session, path)
    assert not getattr(result, "problems", None), result


async def current_item(bot: Harness, employee_no: str) -> QuizItem:
    async with bot.db.session() as session:
        attempt = (
            await session.exec(
                select(QuizAttempt).where(
                    QuizAttempt.person_id == bot.people[employee_no].id, QuizAttempt.status == "open"
                )
            )
        ).one()
        item = (
            await session.exec(
                select(QuizItem).where(
                    QuizItem.attempt_id == attempt.id, QuizItem.position == attempt.position
                )
            )
        ).one()
    return item


async def question_message(bot: Harness, employee_no: str, n: int) -> dict[str, Any]:
    user = bot.user_id(employee_no)
    return await bot.client.wait_for(user, predicate=lambda m: str(m.get("text", "")).startswith(f"第 {n}/"))


def button_data(message: dict[str, Any], label: str) -> str:
    for row in message["reply_markup"]["inline_keyboard"]:
        for button in row:
            if button["text"] == label or button["text"].endswith(f". {label}"):
                return str(button["callback_data"])
    raise AssertionError(f"no button {label!r} in {message['reply_markup']}")


async def answer_current(
    bot: Harness, employee_no: str, n: int, *, right: bool, message: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Answer question n by pressing the buttons whose labels are the right (or a wrong) option texts."""
    user = bot.user_id(employee_no)
    message = message or await question_message(bot, employee_no, n)
    item = await current_item(bot, employee_no)
    assert item.position == n - 1
    picks = item.answer if right else [next(i for i in range(len(item.options)) if i not in item.answer)]
    if item.type == "multi":
        for index in picks:
            label = f"☐ {'ABCDEF'[index]}. {item.options[index]}"
            answer = await bot.client.callback_answer(
                await bot.client.press(user, message["message_id"], button_data(message, label))
            )
            message = await bot.client.wait_for(
                user, predicate=lambda m, mid=message["message_id"]: m["message_id"] == mid
            )
        await bot.client.callback_answer(
            await bot.client.press(user, message["message_id"], button_data(message, zh("quiz.submit")))
        )
        return message
    data = button_data(message, item.options[picks[0]])
    answer = await bot.client.callback_answer(await bot.client.press(user, message["message_id"], data))
    assert not answer.get("text"), answer
    return message


async def take_quiz(bot: Harness, employee_no: str, *, wrong: set[int] = frozenset()) -> str:  # type: ignore[assignment]
    user = bot.user_id(employee_no)
    await bot.client.send_text(user, "/quiz")
    first = await question_message(bot, employee_no, 1)
    total = int(first["text"].split("/")[1].split(" ")[0])
    for n in range(1, total + 1):
        await answer_current(bot, employee_no, n, right=n not in wrong, message=first if n == 1 else None)
    result = await bot.client.wait_for(
        user, predicate=lambda m: "考试通过" in str(m.get("text")) or "考试未通过" in str(m.get("text"))
    )
    return str(result["text"])


async def test_a_new_worker_must_pass_with_a_full_score_before_checking_in_fit(db: Database) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(6, 50)), cleared=False) as bot:
        await load_bank(bot)
        for employee_no in ("L1", "A1"):
            await bot.bind(employee_no)
        bot.clock.now = local(7, 0, 5)
        await bot.tick()
        checklist = await last_bot_message(bot, "A1", "班前安全确认")
        await bot.client.press_button(bot.user_id("A1"), checklist["message_id"], "全部正常")
        await bot.client.wait_for(
            bot.user_id("A1"), predicate=lambda m: m.get("text") == zh("checkin.not_cleared")
        )
        failed = await take_quiz(bot, "A1", wrong={3})
        assert failed.startswith("❌ 考试未通过：8/9")
        async with bot.db.session() as session:
            attempt = (await session.exec(select(QuizAttempt).where(QuizAttempt.status == "failed"))).one()
            missed = (
                await session.exec(
                    select(QuizItem).where(QuizItem.attempt_id == attempt.id, QuizItem.position == 2)
                )
            ).one()
            person = await session.get(Person, bot.people["A1"].id)
            assert person is not None and not person.cleared
        right = (
            "；".join(f"{'ABCDEF'[i]}. {missed.options[i]}" for i in missed.answer)
            if missed.type != "judge"
            else missed.options[missed.answer[0]]
        )
        assert f"正确答案：{right}" in failed and f"解析：{missed.explanation}" in failed
        passed = await take_quiz(bot, "A1")
        assert passed.startswith("✅ 考试通过：9/9")
        async with bot.db.session() as session:
            person = await session.get(Person, bot.people["A1"].id)
            assert person is not None and person.cleared
        await bot.client.press_button(bot.user_id("A1"), checklist["message_id"], "全部正常")
        await bot.client.wait_for(
            bot.user_id("A1"), predicate=lambda m: str(m.get("text")).startswith("✅ 已确认")
        )
        async with bot.db.session() as session:
            assert len((await session.exec(select(CheckIn))).all()) == 1
        sent = await bot.client.send_text(bot.user_id("L1"), "/status")
        status = await bot.client.wait_for(bot.user_id("L1"), after_message_id=sent["message_id"])
        assert "爆破班：已取得上岗资格 1/6 人，考试通过 1/2 次" in status["text"]
        assert f"{missed.question_id}（错 1 次）" in status["text"]
        sent = await bot.client.send_text(bot.user_id("A1"), "/quiz history")
        history = await bot.client.wait_for(bot.user_id("A1"), after_message_id=sent["message_id"])
        assert "8/9  未通过" in history["text"] and "9/9  通过" in history["text"]


async def test_restart_resumes_the_same_question_with_the_same_option_order(db: Database) -> None:
    clock = Clock(local(9, 0))
    async with running_bot(db, org_file=ORG, clock=clock, cleared=False) as bot:
        await load_bank(bot)
        await bot.bind("A1")
        await bot.client.send_text(bot.user_id("A1"), "/quiz")
        await answer_current(bot, "A1", 1, right=True)
        await answer_current(bot, "A1", 2, right=True)
        before = await question_message(bot, "A1", 3)
    async with running_bot(db, org_file=ORG, clock=clock, cleared=False) as bot:
        user = bot.user_id("A1")
        sent = await bot.client.send_text(user, "/quiz")
        await bot.client.wait_for(
            user, after_message_id=sent["message_id"], predicate=lambda m: m.get("text") == zh("quiz.resumed")
        )
        after = await question_message(bot, "A1", 3)
        assert after["text"] == before["text"]
        labels = [[b["text"] for b in row] for row in after["reply_markup"]["inline_keyboard"]]
        assert labels == [[b["text"] for b in row] for row in before["reply_markup"]["inline_keyboard"]]


async def test_stale_duplicate_and_foreign_presses_never_change_the_score(db: Database) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(9, 0)), cleared=False) as bot:
        await load_bank(bot)
        for employee_no in ("A1", "A2"):
            await bot.bind(employee_no)
        a1 = bot.user_id("A1")
        await bot.client.send_text(a1, "/quiz")
        first = await answer_current(bot, "A1", 1, right=True)
        second = await question_message(bot, "A1", 2)
        item_data = [b["callback_data"] for row in first["reply_markup"]["inline_keyboard"] for b in row]
        for data in item_data:  # the answered question's buttons, pressed again: refused
            answer = await bot.client.callback_answer(await bot.client.press(a1, first["message_id"], data))
            assert answer["text"] == zh("quiz.duplicate")
        a2 = bot.user_id("A2")
        sent = await bot.client.send_text(a2, "/help")
        own = await bot.client.wait_for(a2, after_message_id=sent["message_id"])
        for row in second["reply_markup"]["inline_keyboard"]:
            answer = await bot.client.callback_answer(
                await bot.client.press(a2, own["message_id"], row[0]["callback_data"])
            )
            assert answer["text"] == zh("access.button_invalid")
        async with bot.db.session() as session:
            attempt = (await session.exec(select(QuizAttempt))).one()
        assert (attempt.position, attempt.score) == (1, 1)


async def test_violations_suspend_clearance_escalate_and_a_second_reaches_the_manager(db: Database) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(9, 0))) as bot:
        await load_bank(bot)
        for employee_no in ("L1", "A1", "M1", "S1"):
            await bot.bind(employee_no)
        leader = bot.user_id("L1")
        sent = await bot.client.send_text(leader, "/violation A1 4 未系安全带进行高处作业")
        reply = await bot.client.wait_for(leader, after_message_id=sent["message_id"])
        assert reply["text"].startswith("已登记 张一 违反第 4 条禁令")
        await bot.drain()
        assert any(
            "上岗资格已暂停" in str(m.get("text"))
            for m in await bot.client.messages(bot.user_id("A1"))
            if m["from_bot"]
        )
        async with bot.db.session() as session:
            person = await session.get(Person, bot.people["A1"].id)
            assert person is not None and not person.cleared
            requirement = (await session.exec(select(Obligation).where(Obligation.kind == "quiz"))).one()
        bot.clock.now = requirement.due_at + timedelta(seconds=5)
        await bot.tick()
        assert any(
            "考试已到截止时间" in str(m.get("text")) for m in await bot.client.messages(bot.user_id("A1"))
        )
        bot.clock.now = requirement.due_at + timedelta(days=1, seconds=5)
        await bot.tick()
        digest = await last_bot_message(bot, "L1", "十条禁令考试")
        assert "未确认：张一" in digest["text"]
        sent = await bot.client.send_text(leader, "/violation A1 7 无证操作起重设备")
        reply = await bot.client.wait_for(leader, after_message_id=sent["message_id"])
        assert "已上报管理人员" in reply["text"]
        await bot.drain()
        notice = await last_bot_message(bot, "M1", "第 2 次违反禁令")
        assert "无证操作起重设备" in notice["text"] and "未系安全带进行高处作业" in notice["text"]


async def test_staff_cannot_record_violations(db: Database) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(9, 0))) as bot:
        await load_bank(bot)
        await bot.bind("A2")
        sent = await bot.client.send_text(bot.user_id("A2"), "/violation A1 4 x")
        reply = await bot.client.wait_for(bot.user_id("A2"), after_message_id=sent["message_id"])
        assert reply["text"] == zh("access.denied")
