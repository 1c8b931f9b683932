"""Reading reports in chat through the sandbox, on both databases: /incidents lists the open reports of the
reader's scope only, oldest first, with filters and pages and the found / fixed / re-checked counts;
/incidents NUMBER shows a report's history within scope and "not found" outside it; /tasks and /pending
show what waits on a responsible person and on an officer (with 整改完成, 指派 and 通过 / 驳回); a worker with
nothing is told so; forged, someone else's and no-longer-allowed buttons are refused; readers at the
moment a report changes state get consistent answers."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta
from typing import Any

from safety import callbacks
from safety.callbacks import derive_secret
from safety.texts import t
from storage.db import Database
from storage.models import Obligation
from tests.flow.harness import TOKEN, Harness, running_bot
from tests.reports.steps import NOW, assign, move, new_report, pid

SECRET = derive_secret(TOKEN)
NUMBER = re.compile(r"[A-Z]{2}-\d{8}-\d{4}")
LIST, PENDING, TASKS = "🗂", "📌", "🛠"


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


def body(message: dict[str, Any]) -> str:
    return str(message.get("text") or "")


def numbers(message: dict[str, Any]) -> list[str]:
    return NUMBER.findall(body(message))


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def item_button(n: int, label: str) -> str:
    """A /pending button: the item's number on the page, then the original message's label."""
    return zh("pending.item_button", n=n, label=label)


def data_of(message: dict[str, Any], label: str) -> str:
    found = [b for b in buttons(message) if b["text"] == label]
    assert found, (label, [b["text"] for b in buttons(message)])
    return str(found[0]["callback_data"])


async def say(bot: Harness, employee_no: str, text: str, start: str = "") -> dict[str, Any]:
    """Send a text; the bot's answer to it (the first message starting with `start`)."""
    user = bot.user_id(employee_no)
    sent = await bot.client.send_text(user, text)
    return await bot.client.wait_for(
        user, after_message_id=sent["message_id"], predicate=lambda m: body(m).startswith(start)
    )


async def press(bot: Harness, employee_no: str, message: dict[str, Any], label: str) -> dict[str, Any]:
    """Press a button; it must be accepted; the message as redrawn."""
    user = bot.user_id(employee_no)
    answer = await bot.client.callback_answer(
        await bot.client.press(user, message["message_id"], data_of(message, label))
    )
    assert not answer.get("text"), answer
    return await bot.client.wait_for(user, predicate=lambda m: m["message_id"] == message["message_id"])


async def refused(bot: Harness, employee_no: str, message_id: int, data: str) -> str:
    answer = await bot.client.callback_answer(
        await bot.client.press(bot.user_id(employee_no), message_id, data)
    )
    assert answer.get("show_alert"), answer
    return str(answer["text"])


async def test_incidents_scope_order_filters_and_pages(db: Database) -> None:
    async with running_bot(db) as bot:
        people = bot.people
        worker, officer, mill = pid(people, "E1001"), pid(people, "S0001"), pid(people, "E2001")
        hazards = [
            await new_report(bot.db, worker, at=NOW - timedelta(hours=20 - i), unit_id=unit)
            for i, unit in enumerate(["team-blast", "team-drill", "team-haul"] * 3)
        ]
        accident = await new_report(
            bot.db, worker, at=NOW - timedelta(minutes=30), kind="accident", description="碰伤"
        )
        closed = await new_report(bot.db, worker, at=NOW - timedelta(days=3))
        assert closed.id is not None and hazards[4].id is not None
        await move(
            bot.db,
            closed.id,
            "closed",
            actor_id=officer,
            at=NOW,
            state="closed",
            closed_by=officer,
            closed_at=NOW,
        )
        await assign(
            bot.db, hazards[4].id, by=officer, to=pid(people, "E1002"), at=NOW, deadline=date(2026, 12, 1)
        )
        mills = [
            await new_report(bot.db, mill, at=NOW - timedelta(hours=h), unit_id="team-mill") for h in (5, 2)
        ]
        for who in ("S0001", "S0201", "E1001"):
            await bot.bind(who)

        # 冯丽 of proj-xinqiao sees her project's reports only; another scope's number is "not found".
        theirs = await say(bot, "S0201", "/incidents", LIST)
        assert numbers(theirs) == [r.number for r in mills]
        assert body(theirs).startswith("🗂 未关闭的上报（共 2 条，第 1/1 页")
        hidden = await say(bot, "S0201", f"/incidents {hazards[0].number}", "未找到")
        assert body(hidden) == zh("incidents.not_found", number=hazards[0].number)
        shown = await say(bot, "S0201", f"/incidents {mills[0].number.lower()}", "📄")
        assert body(shown).startswith(f"📄 隐患 {mills[0].number}（待指派）")
        assert "上报人：高峰" in body(shown)  # an officer in scope sees the reporter
        assert "· 2026-11-27 03:30 上报｜高峰" in body(shown)

        # 王五 of proj-pulang: ten open reports, oldest first, eight a page; the closed one is not listed.
        first = await say(bot, "S0001", "/incidents", LIST)
        expected = [r.number for r in hazards] + [accident.number]
        assert body(first).startswith("🗂 未关闭的上报（共 10 条，第 1/2 页")
        assert numbers(first) == expected[:8] and closed.number not in body(first)
        assert f"{hazards[0].number}｜隐患｜待指派｜20 小时前｜爆破班｜未填地点" in body(first)
        assert f"{hazards[4].number}｜隐患｜整改中｜" in body(first)
        assert "  爆破班：4 / 1 / 0" in body(first) and "选矿班" not in body(first)  # counts in scope
        second = await press(bot, "S0001", first, zh("flows.next_page"))
        assert numbers(second) == expected[8:] and "第 2/2 页" in body(second)
        assert f"{accident.number}｜事故｜待指派｜30 分钟前" in body(second)

        accidents = await press(bot, "S0001", second, zh("report.kind_accident"))
        assert numbers(accidents) == [accident.number] and "第 1/1 页" in body(accidents)
        assert zh("incidents.selected", label=zh("report.kind_accident")) in [
            b["text"] for b in buttons(accidents)
        ]
        none = await press(bot, "S0001", accidents, zh("incidents.state_assigned"))
        assert zh("incidents.none") in body(none)
        assigned = await press(bot, "S0001", none, zh("incidents.filter_all"))  # the first 全部: any kind
        assert numbers(assigned) == [hazards[4].number]

        # A worker may not read /incidents; forged, someone else's and no-longer-allowed buttons are refused.
        denied = await say(bot, "E1001", "/incidents")
        assert body(denied) == zh("access.denied")
        mine = data_of(first, zh("flows.next_page"))
        assert await refused(bot, "E1001", denied["message_id"], mine) == zh("access.button_invalid")
        forged = callbacks.encode(SECRET, person_id=officer, action="ic", arg="zz0")
        assert await refused(bot, "S0001", first["message_id"], forged) == zh("access.button_invalid")
        worker_ic = callbacks.encode(SECRET, person_id=worker, action="ic", arg="--0")
        assert await refused(bot, "E1001", denied["message_id"], worker_ic) == zh("access.button_denied")


async def test_tasks_and_pending_for_the_responsible_person_the_officer_and_a_worker(db: Database) -> None:
    async with running_bot(db) as bot:
        people = bot.people
        worker, officer, fixer = pid(people, "E1001"), pid(people, "S0001"), pid(people, "E1002")
        late = await new_report(bot.db, worker, at=NOW - timedelta(days=5), description="临边防护缺失")
        done = await new_report(bot.db, worker, at=NOW - timedelta(days=4), description="灭火器过期")
        fresh = await new_report(bot.db, worker, at=NOW - timedelta(hours=3))
        elsewhere = await new_report(
            bot.db, pid(people, "E2001"), at=NOW - timedelta(hours=2), unit_id="team-mill"
        )
        assert late.id is not None and done.id is not None
        await assign(
            bot.db, late.id, by=officer, to=fixer, at=NOW - timedelta(days=4), deadline=date(2026, 11, 26)
        )
        await assign(
            bot.db, done.id, by=officer, to=fixer, at=NOW - timedelta(days=3), deadline=date(2026, 12, 5)
        )
        await move(
            bot.db,
            done.id,
            "submitted",
            actor_id=fixer,
            at=NOW - timedelta(hours=1),
            state="submitted",
            submitted_at=NOW - timedelta(hours=1),
        )
        async with bot.db.session() as session:
            for kind, ref in (("rectification", f"report:{late.id}"), ("quiz", "quiz:2026-11-27")):
                session.add(
                    Obligation(
                        kind=kind,
                        ref=ref,
                        subject_id=fixer,
                        unit_id="team-blast",
                        due_at=NOW - timedelta(hours=2),
                    )
                )
        for who in ("E1002", "S0001", "S0201", "E1001"):
            await bot.bind(who)

        tasks = await say(bot, "E1002", "/tasks", TASKS)
        assert body(tasks).splitlines() == [
            "🛠 我的整改任务（2 项）",
            f"{late.number}｜隐患｜整改中｜期限 2026-11-26（⚠️已逾期）｜临边防护缺失",
            f"{done.number}｜隐患｜待验收｜期限 2026-12-05｜灭火器过期",
        ]
        mine = await say(bot, "E1002", "/pending", PENDING)
        lines = body(mine).splitlines()
        assert lines[0] == "📌 待我处理（3 项，第 1/1 页，最早的在前）"
        assert lines[1].startswith(f"1. {late.number}") and lines[2].startswith(f"2. {done.number}")
        assert (
            lines[3] == "3. 十条禁令考试｜爆破班｜截止 11-27 06:30（⚠️已超时）"
        )  # the overdue task is not listed twice
        # 整改完成 for the task still with him (the submitted one waits for the verifier); the quiz's start
        assert [b["text"] for b in buttons(mine)] == [
            item_button(1, zh("rectify.done_button")),
            item_button(3, zh("pending.quiz_start")),
        ]

        officers = await say(bot, "S0001", "/pending", PENDING)
        lines = body(officers).splitlines()
        assert lines[0].startswith("📌 待我处理（2 项")
        assert lines[1].startswith(f"1. 待指派：{fresh.number}｜隐患｜待指派｜3 小时前")
        assert lines[2].startswith(f"2. 待验收：{done.number}｜隐患｜待验收")
        assert elsewhere.number not in body(officers) and late.number not in body(officers)
        assign_button, accept, reject = buttons(officers)
        assert assign_button["text"] == item_button(1, f"📝 指派 {fresh.number}")
        assert [accept["text"], reject["text"]] == [
            item_button(2, zh("rectify.accept_button")),
            item_button(2, zh("rectify.reject_button")),
        ]
        decoded = callbacks.decode(SECRET, person_id=officer, data=assign_button["callback_data"])
        assert decoded is not None and (decoded.action, decoded.arg) == ("pa", f"0.ra.{fresh.id}")

        other = await say(bot, "S0201", "/pending", PENDING)
        assert numbers(other) == [elsewhere.number]

        assert body(await say(bot, "E1001", "/tasks")) == zh("tasks.none")
        assert body(await say(bot, "E1001", "/pending")) == zh("pending.none")


async def test_pending_pages_and_readers_while_a_report_changes(db: Database) -> None:
    async with running_bot(db) as bot:
        people = bot.people
        worker, officer, fixer = pid(people, "E1001"), pid(people, "S0001"), pid(people, "E1002")
        waiting = [await new_report(bot.db, worker, at=NOW - timedelta(hours=12 - i)) for i in range(10)]
        checked = await new_report(bot.db, worker, at=NOW - timedelta(days=2))
        assert checked.id is not None
        await assign(
            bot.db, checked.id, by=officer, to=fixer, at=NOW - timedelta(days=1), deadline=date(2026, 12, 1)
        )
        await move(
            bot.db,
            checked.id,
            "submitted",
            actor_id=fixer,
            at=NOW - timedelta(hours=13),
            state="submitted",
            submitted_at=NOW - timedelta(hours=13),
        )
        for who in ("S0001", "E1002"):
            await bot.bind(who)

        first = await say(bot, "S0001", "/pending", PENDING)
        assert body(first).startswith("📌 待我处理（11 项，第 1/2 页")
        assert numbers(first) == [checked.number] + [r.number for r in waiting[:7]]
        assert [b["text"] for b in buttons(first)] == [
            item_button(1, zh("rectify.accept_button")),
            item_button(1, zh("rectify.reject_button")),
            *(item_button(n, f"📝 指派 {r.number}") for n, r in enumerate(waiting[:7], start=2)),
            zh("flows.next_page"),
        ]
        second = await press(bot, "S0001", first, zh("flows.next_page"))
        assert numbers(second) == [r.number for r in waiting[7:]] and "第 2/2 页" in body(second)

        # Two readers at the moment the report is closed: each sees it before or after, nothing crashes.
        closing = move(
            bot.db,
            checked.id,
            "closed",
            actor_id=officer,
            at=NOW,
            state="closed",
            closed_by=officer,
            closed_at=NOW,
        )
        seen_officer, seen_fixer, _ = await asyncio.gather(
            say(bot, "S0001", "/pending", PENDING), say(bot, "E1002", "/tasks"), closing
        )
        assert numbers(seen_officer)[:1] in ([checked.number], [waiting[0].number])
        before = body(seen_fixer).startswith(f"🛠 我的整改任务（1 项）\n{checked.number}｜隐患｜待验收")
        assert before or body(seen_fixer) == zh("tasks.none"), body(seen_fixer)
        after = await say(bot, "S0001", "/pending", PENDING)
        assert body(after).startswith("📌 待我处理（10 项") and checked.number not in body(after)
        assert body(await say(bot, "E1002", "/tasks")) == zh("tasks.none")

        # An old page number draws the last page as it is now; two presses at once are both answered.
        listing = await say(bot, "S0001", "/pending", PENDING)
        user = bot.user_id("S0001")
        stale = callbacks.encode(SECRET, person_id=officer, action="pd", arg="99")
        answer = await bot.client.callback_answer(await bot.client.press(user, listing["message_id"], stale))
        assert not answer.get("text"), answer
        redrawn = await bot.client.wait_for(
            user, predicate=lambda m: m["message_id"] == listing["message_id"] and "第 2/2 页" in body(m)
        )
        assert numbers(redrawn) == [r.number for r in waiting[8:]]
        back = data_of(redrawn, zh("flows.prev_page"))
        presses = await asyncio.gather(
            *(bot.client.press(user, listing["message_id"], back) for _ in range(2))
        )
        answers = await asyncio.gather(*(bot.client.callback_answer(p) for p in presses))
        assert all(not a.get("text") for a in answers), answers
        await settled(bot, "S0001", listing["message_id"], "第 1/2 页")


async def settled(bot: Harness, employee_no: str, message_id: int, wanted: str) -> dict[str, Any]:
    """The message once it reads `wanted` (edits land after the presses are answered)."""
    async with asyncio.timeout(10):
        while True:
            for message in await bot.client.messages(bot.user_id(employee_no)):
                if message["message_id"] == message_id and wanted in body(message):
                    return message
            await asyncio.sleep(0.05)
