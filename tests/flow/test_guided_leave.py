"""The guided /leave through the sandbox, on both databases: it stores and sends the same request as
`/leave FROM TO REASON`, reads typed dates and applies the range rules as the argument form does, and
stale buttons, /cancel, expiry and a double 提交 change nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlmodel import col, select

from storage.db import Database
from storage.models import AuditEntry, ChatState, Leave, OutboxMessage
from tests.flow.harness import Clock, Harness, running_bot
from tests.flow.test_checkin import local
from tests.flow.test_concurrency import count
from tests.flow.test_guided_violation import (
    ORG,
    bot_count,
    data_of,
    labels,
    press,
    press_refused,
    say,
    submit,
    zh,
)

REASON = "家中有事"


async def told(bot: Harness, employee_no: str, text: str, expected: str) -> None:
    """Send a text; among the answers (a command first ends the open flow, and says so) is `expected`."""
    user = bot.user_id(employee_no)
    sent = await bot.client.send_text(user, text)
    await bot.client.wait_for(
        user, after_message_id=sent["message_id"], predicate=lambda m: m.get("text") == expected
    )


async def guided_to_summary(bot: Harness, employee_no: str, first: str, last: str) -> dict[str, Any]:
    """/leave, the first and last day by their buttons, the reason typed; returns the summary."""
    ask = await say(bot, employee_no, "/leave")
    assert ask["text"] == zh("leave.pick_first")
    assert labels(ask) == [
        zh("leave.first_today", day="11-27"),
        zh("leave.first_tomorrow", day="11-28"),
        zh("leave.first_day_after", day="11-29"),
        zh("flows.cancel"),
    ]
    lasts = await press(bot, employee_no, ask, first)
    assert lasts["text"].startswith("请假第一天：2026-")
    reason = await press(bot, employee_no, lasts, last)
    assert "请输入请假事由" in reason["text"] and labels(reason) == [zh("flows.cancel")]
    summary = await say(bot, employee_no, REASON)
    assert summary["text"].startswith("请确认请假申请") and labels(summary) == [
        zh("flows.submit"),
        zh("flows.cancel"),
    ]
    return summary


async def snapshot(bot: Harness, employee_no: str, leader_from: int) -> dict[str, Any]:
    """The person's leave request, its outbox rows and audit entry, and what the leader saw, with the
    person's name and the request's id replaced by placeholders."""
    person = bot.people[employee_no]
    async with bot.db.session() as session:
        leave = (await session.exec(select(Leave).where(Leave.person_id == person.id))).one()
        rows = (
            await session.exec(
                select(OutboxMessage).where(col(OutboxMessage.key).startswith(f"leave:{leave.id}:"))
            )
        ).all()
        audit = (
            await session.exec(
                select(AuditEntry).where(
                    AuditEntry.subject == employee_no, AuditEntry.action == "leave.request"
                )
            )
        ).all()

    def plain(value: object) -> str:
        text = json.dumps(value, ensure_ascii=False, default=str).replace(person.name, "<name>")
        return text.replace(f'"{leave.id}.', '"<id>.')

    seen = [m for m in await bot.client.messages(bot.user_id("L1")) if m["from_bot"]][leader_from:]
    return {
        "leave": (leave.first_day, leave.last_day, leave.reason, leave.status, leave.created_at),
        "outbox": [(r.kind, r.channel, r.person_id, r.key.split(":")[2], plain(r.payload)) for r in rows],
        "audit": [(a.actor_id == person.id, a.channel, a.at, a.detail) for a in audit],
        "leader": [(plain(m.get("text")), labels(m)) for m in seen],
    }


async def test_guided_leave_sends_the_same_request_as_the_argument_form(db: Database) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(9, 0))) as bot:
        for employee_no in ("L1", "A1", "A2"):
            await bot.bind(employee_no)
        start = await bot_count(bot, "L1")
        reply = await say(bot, "A1", f"/leave 11-28 11-30 {REASON}")
        assert reply["text"] == zh("leave.submitted", first="2026-11-28", last="2026-11-30")
        await bot.drain()
        expected = await snapshot(bot, "A1", start)

        start = await bot_count(bot, "L1")
        summary = await guided_to_summary(bot, "A2", "明天", "11-30")
        assert summary["text"] == zh(
            "leave.summary", first="2026-11-28", last="2026-11-30", days=3, reason=REASON
        )
        answer = await submit(bot, "A2", summary)
        assert answer["text"] == reply["text"]
        await bot.drain()
        assert await snapshot(bot, "A2", start) == expected
        assert expected["leader"] and expected["leader"][0][1] == [zh("leave.approve"), zh("leave.reject")]

        request = [m for m in await bot.client.messages(bot.user_id("L1")) if "张二" in str(m.get("text"))][
            -1
        ]
        decided = await press(bot, "L1", request, zh("leave.approve"))
        assert decided["text"] == zh(
            "leave.decided_approved", name="张二", first="2026-11-28", last="2026-11-30"
        )
        await bot.drain()
        async with bot.db.session() as session:
            statuses = sorted((await session.exec(select(Leave.status))).all())
        assert statuses == ["approved", "pending"] and await count(bot, ChatState) == 0


async def test_typed_dates_follow_the_rules_of_the_argument_form(db: Database) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(9, 0))) as bot:
        await bot.bind("A1")
        ask = await say(bot, "A1", "/leave")
        for typed, key, params in (
            ("13-45", "leave.bad_date", {"value": "13-45"}),
            ("2026-10-01", "leave.in_past", {}),
        ):
            assert (await say(bot, "A1", typed))["text"] == zh(key, **params), typed
        lasts = await say(bot, "A1", "2026/12/01")
        assert lasts["text"] == zh("leave.pick_last", first="2026-12-01", days=31)
        assert labels(lasts)[:3] == [
            zh("leave.last_same_day", day="12-01"),
            zh("leave.last_button", day="12-02", days=2),
            zh("leave.last_button", day="12-03", days=3),
        ]
        assert len(labels(lasts)) == 8 and labels(lasts)[-1] == zh("flows.cancel")
        old = data_of(ask, "明天")
        assert await press_refused(bot, "A1", ask["message_id"], old) == zh("flows.stale"), "an earlier step"
        for typed, key in (("11-30", "leave.bad_range"), ("2027-01-05", "leave.bad_range")):
            assert (await say(bot, "A1", typed))["text"] == zh(key, days=31), typed
            await told(bot, "A1", f"/leave 12-01 {typed} x", zh(key, days=31))  # the argument form: the same
            await say(bot, "A1", "/leave")
            await say(bot, "A1", "12-01")
        asked = await say(bot, "A1", "12-03")
        assert asked["text"] == zh(
            "leave.ask_reason", first="2026-12-01", last="2026-12-03", days=3, limit=200
        )
        for typed, key in (("\u200b \u2060", "leave.reason_missing"), ("事" * 201, "leave.reason_too_long")):
            assert (await say(bot, "A1", typed))["text"] == zh(key, limit=200)
        summary = await say(bot, "A1", "  体检  ")
        assert summary["text"].endswith("事由：体检")
        assert (await say(bot, "A1", "好的"))["text"] == zh("flows.use_buttons")
        assert (await submit(bot, "A1", summary))["text"] == zh(
            "leave.submitted", first="2026-12-01", last="2026-12-03"
        )

        await say(bot, "A1", "/leave")  # a first day in the past, within reach, and a last day in the past
        assert (await say(bot, "A1", "2026-11-20"))["text"].startswith("请假第一天：2026-11-20")
        assert (await say(bot, "A1", "2026-11-25"))["text"] == zh("leave.in_past")
        await told(bot, "A1", "/leave 2026-11-20 2026-11-25 x", zh("leave.in_past"))
        async with bot.db.session() as session:
            leaves = (await session.exec(select(Leave))).all()
        assert [(str(x.first_day), str(x.last_day), x.reason) for x in leaves] == [
            ("2026-12-01", "2026-12-03", "体检")
        ]


async def test_cancel_expiry_and_the_housekeeping_notice_send_nothing(db: Database) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(9, 0))) as bot:
        for employee_no in ("L1", "A1"):
            await bot.bind(employee_no)
        await guided_to_summary(bot, "A1", "今天", "当天")
        reply = await say(bot, "A1", "/cancel")
        assert reply["text"] == zh("flows.cancelled", flow=zh("flows.name_leave"))

        ask = await say(bot, "A1", "/leave")
        lasts = await press(bot, "A1", ask, "后天")
        cancelled = await press(bot, "A1", lasts, zh("flows.cancel"))
        assert (
            cancelled["text"] == zh("flows.cancelled", flow=zh("flows.name_leave"))
            and labels(cancelled) == []
        )

        await say(bot, "A1", "/leave")
        await say(bot, "A1", "12-01")
        bot.clock.advance(minutes=31)
        assert (await say(bot, "A1", "12-02"))["text"] == zh("flows.expired", flow=zh("flows.name_leave"))

        summary = await guided_to_summary(bot, "A1", "今天", "当天")
        bot.clock.advance(minutes=31)
        await bot.tick()
        notice = await bot.client.wait_for(
            bot.user_id("A1"),
            predicate=lambda m: m.get("text") == zh("flows.expired", flow=zh("flows.name_leave")),
        )
        assert notice["message_id"] > summary["message_id"]
        answer = await press_refused(bot, "A1", summary["message_id"], data_of(summary, zh("flows.submit")))
        assert answer == zh("flows.stale")
        await bot.drain()
        assert await count(bot, Leave) == 0 and await count(bot, ChatState) == 0
        assert not [
            m for m in await bot.client.messages(bot.user_id("L1")) if "申请请假" in str(m.get("text"))
        ]


async def test_submit_pressed_twice_within_10_ms_sends_one_request(db: Database) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(9, 0))) as bot:
        for employee_no in ("L1", "A1"):
            await bot.bind(employee_no)
        summary = await guided_to_summary(bot, "A1", "明天", "当天")
        user, data = bot.user_id("A1"), data_of(summary, zh("flows.submit"))

        async def tap(delay: float) -> dict[str, Any]:
            await asyncio.sleep(delay)
            return await bot.client.callback_answer(await bot.client.press(user, summary["message_id"], data))

        answers = await asyncio.gather(tap(0.0), tap(0.01))
        assert sorted(str(a.get("text") or "") for a in answers) == ["", zh("flows.stale")]
        await bot.drain()
        assert await count(bot, Leave) == 1
        assert await count(bot, AuditEntry, AuditEntry.action == "leave.request") == 1
        asks = [m for m in await bot.client.messages(bot.user_id("L1")) if "申请请假" in str(m.get("text"))]
        assert len(asks) == 1
        submitted = zh("leave.submitted", first="2026-11-28", last="2026-11-28")
        assert [m for m in await bot.client.messages(user) if m.get("text") == submitted] != []
