"""/pending's report items act through the report handlers, on both databases (examples/org.yaml): the
responsible person's 整改完成 there opens the rectification flow as the task's button does; the manager's
已上报 there records the accident as reported; two safety officers pressing 通过 on their own pages at once:
one closes the report (销号), the other is refused, and both pages are redrawn without it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlmodel import select

from safety.texts import t
from storage.db import Database
from storage.models import Report
from tests.flow.harness import Harness, running_bot
from tests.reports.steps import NOW, assign, move, new_report, pid

PENDING = "📌"


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


def body(message: dict[str, Any]) -> str:
    return str(message.get("text") or "")


def data_of(message: dict[str, Any], label: str) -> str:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    found = [b["callback_data"] for row in rows for b in row if label in b["text"]]
    assert found, (label, [b["text"] for row in rows for b in row])
    return str(found[0])


async def pending(bot: Harness, employee_no: str) -> dict[str, Any]:
    user = bot.user_id(employee_no)
    sent = await bot.client.send_text(user, "/pending")
    return await bot.client.wait_for(
        user, after_message_id=sent["message_id"], predicate=lambda m: body(m).startswith(PENDING)
    )


async def redrawn(
    bot: Harness, employee_no: str, message_id: int, wanted: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            for m in await bot.client.messages(bot.user_id(employee_no)):
                drawn = body(m).startswith(PENDING) or body(m) == zh("pending.none")
                if m["message_id"] == message_id and drawn and wanted(m):
                    return m
            await asyncio.sleep(0.05)


async def report_of(bot: Harness, report_id: int) -> Report:
    async with bot.db.session() as session:
        found = (await session.exec(select(Report).where(Report.id == report_id))).one()
        session.expunge(found)
    return found


async def test_report_items_act_through_the_report_handlers(db: Database) -> None:
    async with running_bot(db) as bot:
        people = bot.people
        worker, officer, fixer = pid(people, "E1001"), pid(people, "S0001"), pid(people, "E1002")
        task = await new_report(bot.db, worker, at=NOW - timedelta(days=2), description="临边防护缺失")
        done = await new_report(bot.db, worker, at=NOW - timedelta(days=1), description="灭火器过期")
        accident = await new_report(bot.db, worker, at=NOW - timedelta(minutes=5), kind="accident")
        assert task.id is not None and done.id is not None and accident.id is not None
        for report in (task, done):
            assert report.id is not None
            await assign(
                bot.db,
                report.id,
                by=officer,
                to=fixer,
                at=NOW - timedelta(hours=20),
                deadline=date(2026, 12, 1),
            )
        await move(bot.db, done.id, "submitted", actor_id=fixer, at=NOW, state="submitted", submitted_at=NOW)
        for who in ("E1002", "S0001", "S0002", "M0101"):
            await bot.bind(who)

        # 整改完成 from /pending: the rectification flow asks for the photos; the page stays as it is.
        page = await pending(bot, "E1002")
        query = await bot.client.press(bot.user_id("E1002"), page["message_id"], data_of(page, "整改完成"))
        await bot.client.callback_answer(query)
        ask = zh("rectify.ask_photos", number=task.number, count=0, limit=5)
        await bot.client.wait_for(bot.user_id("E1002"), predicate=lambda m: body(m) == ask)
        await redrawn(bot, "E1002", page["message_id"], lambda m: task.number in body(m))

        # 已上报 from the manager's /pending: recorded as by the accident notice's button.
        page = await pending(bot, "M0101")
        assert zh("pending.kind_accident_report") in body(page)
        query = await bot.client.press(bot.user_id("M0101"), page["message_id"], data_of(page, "已上报"))
        answer = await bot.client.callback_answer(query)
        assert not answer.get("show_alert"), answer
        assert (await report_of(bot, accident.id)).authority_reported_by == pid(people, "M0101")
        await redrawn(bot, "M0101", page["message_id"], lambda m: body(m) == zh("pending.none"))

        # Two officers press 通过 on their own pages at once: one closes it, the other is refused.
        pages = {who: await pending(bot, who) for who in ("S0001", "S0002")}
        queries = await asyncio.gather(
            *(
                bot.client.press(bot.user_id(who), page["message_id"], data_of(page, "通过"))
                for who, page in pages.items()
            )
        )
        answers = [await bot.client.callback_answer(q) for q in queries]
        assert sorted(bool(a.get("show_alert")) for a in answers) == [False, True], answers
        closed = await report_of(bot, done.id)
        assert closed.state == "closed" and closed.closed_by in {officer, pid(people, "S0002")}
        winner = "S0001" if closed.closed_by == officer else "S0002"
        await bot.client.wait_for(
            bot.user_id(winner), predicate=lambda m: body(m) == zh("rectify.accepted_ok", number=done.number)
        )
        for who, page in pages.items():
            await redrawn(bot, who, page["message_id"], lambda m: done.number not in body(m))
