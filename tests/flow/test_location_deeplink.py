"""A QR poster's deep link through the sandbox, on both databases: `/start loc-<id>` from a bound worker
starts /report at that location (no location step) and the location's unit decides who is told; an
unknown or deactivated location gets a clear message; an unbound account gets the binding prompt and the
payload is never tried as a binding code; two scans at once leave one draft."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlmodel import select

from safety.imports.locations_file import LocationsReport, import_locations
from safety.reports.locations import deep_link
from storage.db import Database
from storage.models import BindFailure, ChatState, Report
from tests.flow.harness import Harness, running_bot
from tests.flow.test_concurrency import count
from tests.flow.test_guided_violation import labels, press, say, submit, zh

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def body(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


async def load_locations(bot: Harness, text: str | None = None) -> None:
    async with bot.db.session() as session:
        loaded = await import_locations(session, text or (EXAMPLES / "locations.yaml").read_text("utf-8"))
    assert isinstance(loaded, LocationsReport), loaded


async def told(bot: Harness, employee_no: str, number: str) -> bool:
    return any(number in body(m) for m in await bot.client.messages(bot.user_id(employee_no)))


async def test_a_scan_starts_a_report_there_and_the_location_unit_is_told(db: Database) -> None:
    async with running_bot(db) as bot:
        await load_locations(bot)
        for no in ("E2001", "E2000", "E1000", "S0001", "S0201"):
            await bot.bind(no)
        link = deep_link("demo_bot", "pl-1520-face")
        assert link == "https://t.me/demo_bot?start=loc-pl-1520-face"
        # a mill worker visiting the blasting face scans its poster: Telegram sends /start <payload>
        kinds = await say(bot, "E2001", "/start " + link.split("start=")[1])
        assert kinds["text"].startswith(zh("report_flow.at_location", location="1520中段掘进工作面"))
        assert "隐患" in labels(kinds)
        category = await press(bot, "E2001", kinds, "隐患")
        grade = await press(bot, "E2001", category, "物的不安全状态")
        asked = await press(bot, "E2001", grade, "一般")
        assert asked["text"] == zh("report_flow.ask_description", limit=1000), "the location step is skipped"
        prompt = await say(bot, "E2001", "掘进面风筒破损")
        summary = await press(bot, "E2001", prompt, zh("flows.skip"))
        assert "地点：1520中段掘进工作面" in summary["text"] and "爆破班" in summary["text"]
        await submit(bot, "E2001", summary)
        await bot.drain()
        async with bot.db.session() as session:
            report = (await session.exec(select(Report))).one()
        assert (report.location_id, report.unit_id) == ("pl-1520-face", "team-blast")
        assert await told(bot, "E1000", report.number), "the face's team leader"
        assert await told(bot, "S0001", report.number), "the face's project safety officer"
        assert not await told(bot, "E2000", report.number), "not the reporter's own team leader"
        assert not await told(bot, "S0201", report.number), "not the reporter's project officer"


async def test_unknown_and_deactivated_locations_get_a_clear_message(db: Database) -> None:
    async with running_bot(db) as bot:
        await load_locations(bot)
        await load_locations(
            bot, "locations:\n  - {id: pl-ramp, name: 主斜坡道入口, unit: team-haul, active: false}\n"
        )
        await bot.bind("E1001")
        for payload in ("loc-nowhere", "loc-pl-ramp", "loc-", "loc-BAD_ID"):
            answer = await say(bot, "E1001", f"/start {payload}")
            assert answer["text"] == zh("report_flow.unknown_location"), payload
        assert await count(bot, ChatState) == 0


async def test_an_unbound_scan_gets_the_binding_prompt_and_is_no_binding_try(db: Database) -> None:
    async with running_bot(db) as bot:
        await load_locations(bot)
        user = bot.user_id("E1001")
        for _ in range(6):  # more than the lockout's tries: a poster scan never counts as a wrong code
            sent = await bot.client.send_text(user, "/start loc-pl-1520-face")
            answer = await bot.client.wait_for(user, after_message_id=sent["message_id"])
            assert answer["text"] == zh("bind.prompt")
        assert await count(bot, BindFailure) == 0
        welcome = await bot.bind("E1001")
        assert "绑定成功" in welcome["text"]
        kinds = await say(bot, "E1001", "/start loc-pl-1520-face")
        assert kinds["text"].startswith(zh("report_flow.at_location", location="1520中段掘进工作面"))


async def test_two_scans_at_once_leave_one_draft_at_the_location(db: Database) -> None:
    async with running_bot(db) as bot:
        await load_locations(bot)
        await bot.bind("E1001")
        user = bot.user_id("E1001")
        first, second = await asyncio.gather(
            bot.client.send_text(user, "/start loc-pl-1520-face"),
            bot.client.send_text(user, "/start loc-pl-magazine"),
        )
        after = max(first["message_id"], second["message_id"])
        await bot.client.wait_for(user, after_message_id=after)
        await bot.drain()
        assert await count(bot, ChatState) == 1
        async with bot.db.session() as session:
            (draft,) = (await session.exec(select(ChatState))).all()
        assert draft.data["location_id"] in {"pl-1520-face", "pl-magazine"}
        pickers = [m for m in await bot.client.messages(user) if m["from_bot"] and "隐患" in labels(m)]
        assert pickers, "the worker has a kind picker to go on with"
