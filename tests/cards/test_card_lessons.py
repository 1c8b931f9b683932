"""Card lessons through the sandbox, on both databases: a lesson (事故案例警示教育) to the staff of 爆破班
with a quiz of 2 questions. 张三 reads it (已阅), gets `开始测验`, fails, presses `再考一次`, passes:
passed_at and the events are stored, his card_ack duty closes, and the lesson never clears him for
duty — while the clearance quiz (/quiz) still does. 王二 does not read: after the card_ack policy's
delay the team leader's digest names him (and not 张三). Two taps on 开始测验 at once start one attempt."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from safety import bank, callbacks, quiz
from safety.cards.delivery import publish
from safety.clearance import QuizRules
from safety.imports.questions_service import import_questions_file
from safety.imports.results import ImportReport
from safety.imports.service import import_org_file
from safety.texts import t
from storage import quiz_queries as qq
from storage.db import Database
from storage.models import Card, CardEvent, CardRecipient, Clearance, Obligation, Person, QuizAttempt
from tests.flow.harness import EXAMPLES, TOKEN, Harness, running_bot
from tests.flow.test_quiz import answer_current, load_bank, take_quiz

TITLE = "事故案例警示教育：爆破飞石伤人"
WORKER, SILENT, LEADER = "E1001", "E1002", "E1000"
POLICY = "  card_ack: [{after: PT0M, to: self}, {after: PT2H, to: team_leader}]\n"


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


def body(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    """The example organisation with a card_ack policy that goes to the team leader after two hours."""
    text = (EXAMPLES / "org.yaml").read_text(encoding="utf-8")
    assert text.rstrip().splitlines()[-1].startswith("  accident_report:")  # escalation is the last block
    path = tmp_path / "org.yaml"
    path.write_text(text.rstrip() + "\n" + POLICY, encoding="utf-8")
    return path


async def send_lesson(bot: Harness) -> None:
    now = bot.clock()
    async with bot.db.session() as session:
        card = Card(
            id="lesson-blast-1",
            title=TITLE,
            date_rule="2026-11-27",
            audience_roles=["staff"],
            audience_units=["team-blast"],
            items=["学习事故经过和原因", "对照本班爆破作业查找同类隐患"],
            ack=["read"],
            quiz={"questions": 2, "prohibitions": [1, 2]},
            source="adhoc",
        )
        session.add(card)
        await session.flush()
        await publish(
            session,
            card=card,
            event_date=now.date(),
            send_at=now,
            now=now,
            defaults=bot.app.bot_data["services"].defaults,
        )
    await bot.drain()


async def card_of(bot: Harness, employee_no: str) -> dict[str, Any]:
    [card] = [
        m for m in await bot.client.messages(bot.user_id(employee_no)) if m["from_bot"] and TITLE in body(m)
    ]
    return card


async def read_card(bot: Harness, employee_no: str) -> dict[str, Any]:
    """已阅 on the card; returns the card as redrawn (with 开始测验 under it)."""
    user = bot.user_id(employee_no)
    card = await card_of(bot, employee_no)
    await bot.client.callback_answer(await bot.client.press_button(user, card["message_id"], "已阅"))
    return await bot.client.wait_for(user, predicate=lambda m: m["message_id"] == card["message_id"])


async def lesson_quiz(
    bot: Harness, employee_no: str, message: dict[str, Any], label: str, *, wrong: bool
) -> dict[str, Any]:
    """Press `label` (开始测验 / 再考一次) and answer both questions (the first wrong when `wrong`); returns
    the result message."""
    user = bot.user_id(employee_no)
    answer = await bot.client.callback_answer(
        await bot.client.press_button(user, message["message_id"], label)
    )
    assert not answer.get("text"), answer
    await answer_current(bot, employee_no, 1, right=not wrong)
    await answer_current(bot, employee_no, 2, right=True)
    return await bot.client.wait_for(
        user, predicate=lambda m: "测验通过" in body(m) or "测验未通过" in body(m)
    )


async def recipient(bot: Harness, employee_no: str) -> CardRecipient:
    async with bot.db.session() as session:
        return (
            await session.exec(
                select(CardRecipient).where(CardRecipient.person_id == bot.people[employee_no].id)
            )
        ).one()


async def duty_state(bot: Harness, employee_no: str) -> str:
    async with bot.db.session() as session:
        return (
            await session.exec(
                select(Obligation.state).where(
                    Obligation.kind == "card_ack", Obligation.subject_id == bot.people[employee_no].id
                )
            )
        ).one()


async def test_a_worker_reads_fails_retries_and_passes_and_the_silent_one_is_named_to_the_leader(
    db: Database, org_file: Path
) -> None:
    async with running_bot(db, org_file=org_file, cleared=False) as bot:
        await load_bank(bot)
        for employee_no in (LEADER, WORKER, SILENT):
            await bot.bind(employee_no)
        start = bot.clock()
        await send_lesson(bot)
        read = await read_card(bot, WORKER)
        assert zh("card_lessons.start") in labels(read), read
        assert await duty_state(bot, WORKER) == "open"  # read, but the quiz is not passed yet
        failed = await lesson_quiz(bot, WORKER, read, zh("card_lessons.start"), wrong=True)
        assert body(failed).startswith("❌ 测验未通过（1/2") and labels(failed) == [zh("card_lessons.retry")]
        assert "资格" not in body(failed)  # a lesson says nothing about clearance
        mine = await recipient(bot, WORKER)
        assert mine.read_at is not None and mine.passed_at is None
        assert await duty_state(bot, WORKER) == "open"
        passed = await lesson_quiz(bot, WORKER, failed, zh("card_lessons.retry"), wrong=False)
        assert body(passed).startswith("✅ 测验通过（2/2）") and labels(passed) == []
        mine = await recipient(bot, WORKER)
        assert mine.passed_at == bot.clock() and mine.quiz_attempt_id is not None
        assert await duty_state(bot, WORKER) == "acknowledged"
        async with bot.db.session() as session:
            events = (
                await session.exec(
                    select(CardEvent.action)
                    .where(CardEvent.person_id == bot.people[WORKER].id)
                    .order_by(col(CardEvent.id))
                )
            ).all()
            attempts = (await session.exec(select(QuizAttempt).order_by(col(QuizAttempt.id)))).all()
            person = await session.get(Person, bot.people[WORKER].id)
            clearances = (await session.exec(select(Clearance))).all()
            assert person is not None
            past = await quiz.history(session, person=person, rules=QuizRules())
        assert past == []  # /quiz history lists the ten-prohibitions attempts, never a lesson's
        assert list(events) == ["read", "failed", "passed"]
        assert [(a.status, a.total, a.purpose) for a in attempts] == [
            ("failed", 2, f"card:{mine.id}"),
            ("passed", 2, f"card:{mine.id}"),
        ]
        assert person is not None and not person.cleared and clearances == []  # a lesson never clears
        # 王二 has not read: after two hours the team leader's digest names him, not 张三
        bot.clock.now = start + timedelta(hours=2)
        await bot.tick()
        digests = [
            body(m)
            for m in await bot.client.messages(bot.user_id(LEADER))
            if m["from_bot"] and TITLE in body(m) and "已确认" in body(m)
        ]
        assert len(digests) == 1, digests
        [missing] = [line for line in digests[0].splitlines() if line.startswith("未确认")]
        assert "王二" in missing and "张三" not in missing  # 张三 read and passed: he is done
        # the clearance quiz still clears
        result = await take_quiz(bot, WORKER)
        assert result.startswith("✅ 考试通过")
        async with bot.db.session() as session:
            person = await session.get(Person, bot.people[WORKER].id)
            granted = (await session.exec(select(Clearance))).all()
            lesson_ids = {a.id for a in attempts}
        assert person is not None and person.cleared
        assert len(granted) == 1 and granted[0].attempt_id not in lesson_ids


async def test_a_lesson_quiz_before_reading_or_by_someone_else_is_refused_and_two_taps_start_one(
    db: Database, org_file: Path
) -> None:
    async with running_bot(db, org_file=org_file) as bot:
        await load_bank(bot)
        for employee_no in (WORKER, SILENT):
            await bot.bind(employee_no)
        await send_lesson(bot)
        mine = await recipient(bot, WORKER)
        card = await card_of(bot, WORKER)
        user = bot.user_id(WORKER)
        secret = callbacks.derive_secret(TOKEN)
        early = callbacks.encode(secret, person_id=bot.people[WORKER].id or 0, action="cq", arg=str(mine.id))
        answer = await bot.client.callback_answer(await bot.client.press(user, card["message_id"], early))
        assert answer["text"] == zh("card_lessons.read_first")
        other = bot.user_id(SILENT)
        theirs = callbacks.encode(secret, person_id=bot.people[SILENT].id or 0, action="cq", arg=str(mine.id))
        answer = await bot.client.callback_answer(
            await bot.client.press(other, (await card_of(bot, SILENT))["message_id"], theirs)
        )
        assert answer["text"] == zh("card_lessons.not_yours")
        read = await read_card(bot, WORKER)
        data = next(
            b["callback_data"]
            for row in read["reply_markup"]["inline_keyboard"]
            for b in row
            if b["text"] == zh("card_lessons.start")
        )
        presses = await asyncio.gather(
            bot.client.press(user, read["message_id"], data), bot.client.press(user, read["message_id"], data)
        )
        for press in presses:
            await bot.client.callback_answer(press)
        async with bot.db.session() as session:
            attempts = (await session.exec(select(QuizAttempt))).all()
        assert [(a.status, a.purpose) for a in attempts] == [("open", f"card:{mine.id}")]


async def test_a_lesson_draws_from_its_prohibitions_and_never_resumes_as_the_clearance_quiz(
    db: Database,
) -> None:
    async with db.session() as session:
        assert isinstance(await import_org_file(session, EXAMPLES / "org.yaml"), ImportReport)
        assert not getattr(
            await import_questions_file(session, EXAMPLES / "questions.yaml"), "problems", None
        )
        person = (await session.exec(select(Person).where(Person.employee_no == WORKER))).one()
        by_prohibition = await bank.questions_for_draw(session)
        now, rules, rng = datetime(2026, 11, 27, 1, 0, tzinfo=UTC), QuizRules(), random.Random(7)
        lesson = await quiz.start_or_resume(
            session,
            person=person,
            now=now,
            rules=rules,
            rng=rng,
            purpose="card:1",
            prohibitions=[1],
            questions=2,
        )
        assert lesson.attempt is not None and lesson.attempt.id is not None
        items = await qq.items_of(session, attempt_id=lesson.attempt.id)
        assert (lesson.attempt.total, lesson.attempt.purpose) == (2, "card:1")
        assert {i.prohibition for i in items} == {1}
        clearance = await quiz.start_or_resume(session, person=person, now=now, rules=rules, rng=rng)
        assert clearance.attempt is not None and not clearance.resumed
        assert clearance.attempt.purpose is None and clearance.attempt.total == len(by_prohibition)
        again = await quiz.start_or_resume(
            session,
            person=person,
            now=now,
            rules=rules,
            rng=rng,
            purpose="card:1",
            prohibitions=[1],
            questions=2,
        )
        assert again.resumed and again.attempt is not None and again.attempt.id == lesson.attempt.id
