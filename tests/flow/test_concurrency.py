"""Two things at once, through the sandbox on both databases: a person's two quick taps, two leaders on one
leave request, twenty check-ins under one digest, thirty wrong codes from one account, and edits of sent
commands (which run nothing again)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlmodel import col, func, select

from safety.texts import t
from storage.db import Database
from storage.models import AuditEntry, BindFailure, ChatIdentity, Leave, QuizItem, Violation
from tests.flow.harness import Clock, Harness, running_bot
from tests.flow.test_checkin import ORG, bot_texts, last_bot_message, local, press
from tests.flow.test_quiz import button_data, load_bank, question_message

PAIR_ORG = Path(__file__).parent / "data" / "pair-org.yaml"
MULTI_BANK = """\
source: 测试题库（示例）
prohibitions:
  - {number: 1, title: 严禁违章作业, text: 严禁违章指挥、违章作业。}
questions:
  - id: m-1
    prohibition: 1
    type: multi
    stem: 哪些属于违章（ ）
    options: [酒后上岗, 正确佩戴安全帽, 无证作业]
    answer: AC
"""


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


async def count(bot: Harness, model: Any, *where: Any) -> int:
    async with bot.db.session() as session:
        return int((await session.exec(select(func.count()).select_from(model).where(*where))).one())


async def test_two_toggles_10_ms_apart_both_land(db: Database, tmp_path: Path) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(6, 50))) as bot:
        await bot.bind("A1")
        bank = tmp_path / "multi.yaml"
        bank.write_text(MULTI_BANK, encoding="utf-8")
        await load_bank(bot, bank)
        user = bot.user_id("A1")
        await bot.client.send_text(user, "/quiz")
        question = await question_message(bot, "A1", 1)
        async with bot.db.session() as session:
            item = (await session.exec(select(QuizItem))).one()
        wrongs = [i for i, option in enumerate(item.options) if option in {"酒后上岗", "无证作业"}]
        datas = [button_data(question, f"☐ {'ABC'[i]}. {item.options[i]}") for i in wrongs]

        async def tap(data: str, delay: float) -> str:
            await asyncio.sleep(delay)
            return await bot.client.press(user, question["message_id"], data)

        queries = await asyncio.gather(tap(datas[0], 0.0), tap(datas[1], 0.01))
        for query in queries:
            await bot.client.callback_answer(query)
        async with bot.db.session() as session:
            stored = (await session.exec(select(QuizItem))).one()
        assert sorted(stored.picked) == sorted(wrongs), "both toggles recorded"
        edited = await bot.client.wait_for(
            user, predicate=lambda m: m.get("message_id") == question["message_id"] and m.get("edited")
        )
        assert [
            b["text"].startswith("☑") for row in edited["reply_markup"]["inline_keyboard"][:3] for b in row
        ]
        await bot.client.press_button(user, question["message_id"], zh("quiz.submit"))
        result = await bot.client.wait_for(user, predicate=lambda m: "考试通过" in str(m.get("text")))
        assert "1/1" in result["text"], "a worker who answered right passes"


async def test_two_leaders_deciding_one_leave_at_once_one_wins_the_other_is_told(db: Database) -> None:
    async with running_bot(db, org_file=PAIR_ORG, clock=Clock(local(6, 50))) as bot:
        for employee_no in ("L1", "L2", "A1"):
            await bot.bind(employee_no)
        sent = await bot.client.send_text(bot.user_id("A1"), "/leave 11-27 家中有事")
        await bot.client.wait_for(bot.user_id("A1"), after_message_id=sent["message_id"])
        await bot.drain()
        asks = {no: await last_bot_message(bot, no, "家中有事") for no in ("L1", "L2")}

        async def decide(no: str, label: str) -> dict[str, Any]:
            query = await bot.client.press_button(bot.user_id(no), asks[no]["message_id"], label)
            return await bot.client.callback_answer(query)

        presses = [decide("L1", zh("leave.approve")), decide("L2", zh("leave.reject"))]
        presses += [
            decide(no, zh("leave.approve" if i % 2 else "leave.reject"))
            for i in range(9)
            for no in ("L1", "L2")
        ]
        answers = await asyncio.gather(*presses)
        told = [a for a in answers if a.get("text") == zh("leave.already_decided")]
        assert len(told) == len(answers) - 1, "every press but one is told it was decided"
        async with bot.db.session() as session:
            leave = (await session.exec(select(Leave))).one()
            decisions = (
                await session.exec(
                    select(AuditEntry).where(col(AuditEntry.action).in_(["leave.approved", "leave.rejected"]))
                )
            ).all()
        assert len(decisions) == 1 and decisions[0].action == f"leave.{leave.status}"
        await bot.drain()
        notices = [x for x in await bot_texts(bot, "A1") if "您的请假" in x]
        assert len(notices) == 1, "the employee is told once, what was decided"
        assert ("已由" in notices[0]) == (leave.status == "approved")


async def test_twenty_check_ins_at_once_leave_the_digest_showing_all_twenty(db: Database) -> None:
    async with running_bot(db, org_file=PAIR_ORG, clock=Clock(local(6, 50))) as bot:
        team = [f"B{i:02d}" for i in range(20)]
        for employee_no in ["L1", *team]:
            await bot.bind(employee_no)
        bot.clock.now = local(7, 0, 5)
        await bot.tick()
        for second in (1, 11):
            bot.clock.now = local(7, 30, second)
            await bot.tick()
        digest = await last_bot_message(bot, "L1", "班前确认 0/20")
        checklists = {no: await last_bot_message(bot, no, "班前安全确认") for no in team}
        await asyncio.gather(*(press(bot, no, checklists[no], "全部正常") for no in team))
        for no in team:  # the press is answered before it is recorded: wait for the receipts
            await bot.client.wait_for(bot.user_id(no), predicate=lambda m: "已确认" in str(m.get("text")))
        await bot.drain()
        final = next(
            m for m in await bot.client.messages(bot.user_id("L1")) if m["message_id"] == digest["message_id"]
        )
        assert "班前确认 20/20" in final["text"] and zh("digest.none_missing") in final["text"], final["text"]


async def test_thirty_simultaneous_wrong_codes_count_five_tries_at_most(db: Database) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(6, 50))) as bot:
        user = bot.user_id("A1")
        sends = await asyncio.gather(*(bot.client.send_text(user, f"/start WRONG{i:03d}") for i in range(30)))
        for sent in sends:
            await bot.client.wait_for(user, after_message_id=sent["message_id"])
        assert await count(bot, BindFailure) == 5, (
            "the lockout holds: tries past the fifth are refused unread"
        )
        replies = [str(m.get("text")) for m in await bot.client.messages(user) if m["from_bot"]]
        locked = zh("bind.locked", until="")[:8]
        assert len(replies) == 30 and sum(1 for r in replies if r.startswith(locked)) == 25, replies[:8]
        assert await count(bot, ChatIdentity) == 0


async def test_an_edited_command_runs_nothing_again(db: Database) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(6, 50))) as bot:
        for employee_no in ("L1", "A1", "A2"):
            await bot.bind(employee_no)
        await load_bank(bot)
        leader = bot.user_id("L1")
        sent = await bot.client.send_text(leader, "/violation A1 4 未系安全带")
        await bot.client.wait_for(leader, after_message_id=sent["message_id"])
        await bot.client.edit_text(leader, sent["message_id"], "/violation A2 4 改成王二")
        leave = await bot.client.send_text(bot.user_id("A1"), "/leave 11-28 家中有事")
        await bot.client.wait_for(bot.user_id("A1"), after_message_id=leave["message_id"])
        await bot.client.edit_text(bot.user_id("A1"), leave["message_id"], "/leave 11-29 改期")
        marker = await bot.client.send_text(leader, "/help")  # processed after the edits: they are done
        await bot.client.wait_for(leader, after_message_id=marker["message_id"])
        await bot.drain()
        assert await count(bot, Violation) == 1 and await count(bot, Leave) == 1
        assert not [x for x in await bot_texts(bot, "L1") if "王二" in x or "改期" in x], (
            "the edits got no answer"
        )
        submitted = [
            x
            for x in await bot_texts(bot, "A1")
            if x.startswith(zh("leave.submitted", first="", last="")[:4])
        ]
        assert len(submitted) == 1


async def test_a_group_message_edited_into_a_command_runs_nothing(db: Database) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(6, 50))) as bot:
        for employee_no in ("L1", "A1"):
            await bot.bind(employee_no)
        await load_bank(bot)
        leader = bot.user_id("L1")
        group = -100777
        bot.server.add_group(group, "班组群", [leader, bot.user_id("A1")])
        said = await bot.client.send_text(leader, "大家好", chat_id=group)
        await bot.client.edit_text(leader, said["message_id"], "/violation A1 4 群里登记", chat_id=group)
        command = await bot.client.send_text(leader, "/violation A1 4 群里登记", chat_id=group)
        marker = await bot.client.send_text(leader, "/help")
        await bot.client.wait_for(leader, after_message_id=marker["message_id"])
        assert await count(bot, Violation) == 0
        group_messages = await bot.client.messages(leader, chat_id=group)
        assert not [m for m in group_messages if m["from_bot"]], "nothing answered in the group"
        assert command["message_id"] > said["message_id"]
