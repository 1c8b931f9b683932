"""/inspect through the sandbox, on both databases: an inspection with two 隐患 items makes two hazard
reports in the loop (the officer's notices carry 指派, the team leader is told), the inspection and every
item's result are stored, the photo is kept; a worker is refused; stale buttons and a double 提交 record
nothing more; /status counts today's inspections."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from safety.imports.checklists_file import ChecklistsReport, import_checklists
from safety.texts import t
from storage.db import Database
from storage.models import Inspection, InspectionResult, Location, Report, ReportPhoto
from tests.flow.harness import Clock, Harness, running_bot
from tests.flow.test_checkin import local
from tests.flow.test_concurrency import count
from tests.flow.test_guided_violation import data_of, labels, press, say, show_photo

CHECKLISTS = """\
source: 测试检查表
checklists:
  - id: fire
    title: 消防器材检查
    items: [灭火器在有效期内, 消防通道畅通, 应急照明完好]
"""
PLACE = "1520中段掘进工作面"


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


async def prepare(bot: Harness, tmp_path: Path) -> None:
    bot.app.bot_data["services"].data_dir = tmp_path  # photos go under the test's folder
    async with bot.db.session() as session:
        assert isinstance(await import_checklists(session, CHECKLISTS), ChecklistsReport)
        session.add(Location(id="pl-1520-face", name=PLACE, unit_id="team-blast"))
        session.add(Location(id="xq-mill", name="球磨机平台", unit_id="team-mill"))  # another project


async def to_first_item(bot: Harness, who: str, *, typed_place: str | None = None) -> dict[str, Any]:
    picker = await say(bot, who, "/inspect")
    assert picker["text"] == zh("inspect.pick_checklist"), picker["text"]
    places = await press(bot, who, picker, "消防器材检查")
    if typed_place is not None:
        return await say(bot, who, typed_place)
    assert "球磨机平台" not in labels(places)  # outside the inspector's scope
    return await press(bot, who, places, PLACE)


async def notices_of(bot: Harness, who: str, number: str) -> list[dict[str, Any]]:
    return [
        m
        for m in await bot.client.messages(bot.user_id(who))
        if m["from_bot"] and number in str(m.get("text") or m.get("caption") or "")
    ]


async def test_two_hazards_become_two_reports_in_the_loop(db: Database, tmp_path: Path) -> None:
    async with running_bot(db, clock=Clock(local(9, 0))) as bot:
        await prepare(bot, tmp_path)
        for who in ("S0001", "S0002", "E1000"):
            await bot.bind(who)
        first = await to_first_item(bot, "S0001")
        assert "第 1/3 项：灭火器在有效期内" in first["text"]
        assert labels(first) == [zh("inspect.ok"), zh("inspect.hazard"), zh("flows.cancel")]
        asked = await press(bot, "S0001", first, zh("inspect.hazard"))
        assert asked["text"].startswith("隐患：灭火器在有效期内")
        offer = await say(bot, "S0001", "压力指针在红区")
        assert offer["text"] == zh("inspect.ask_photo")
        second = await show_photo(bot, "S0001")
        assert "第 2/3 项：消防通道畅通" in second["text"]
        third = await press(bot, "S0001", second, zh("inspect.ok"))
        # the earlier item's button is stale now
        stale = await bot.client.callback_answer(
            await bot.client.press(bot.user_id("S0001"), second["message_id"], data_of(second, "⚠️"))
        )
        assert stale["text"] == zh("flows.stale")
        asked = await press(bot, "S0001", third, zh("inspect.hazard"))
        offer = await press(bot, "S0001", asked, zh("flows.skip"))
        summary = await press(bot, "S0001", offer, zh("flows.skip"))
        assert "共 3 项，隐患 2 项" in summary["text"] and "说明：压力指针在红区" in summary["text"]
        assert labels(summary) == [zh("flows.submit"), zh("flows.cancel")]
        user = bot.user_id("S0001")
        answer = await bot.client.callback_answer(
            await bot.client.press(user, summary["message_id"], data_of(summary, zh("flows.submit")))
        )
        assert not answer.get("text"), answer
        done = await bot.client.wait_for(user, predicate=lambda m: m["message_id"] > summary["message_id"])
        await bot.drain()
        async with bot.db.session() as session:
            inspection = (await session.exec(select(Inspection))).one()
            results = (
                await session.exec(select(InspectionResult).order_by(col(InspectionResult.position)))
            ).all()
            reports = (await session.exec(select(Report).order_by(col(Report.id)))).all()
            photos = (await session.exec(select(ReportPhoto))).all()
        assert (inspection.checklist_id, inspection.unit_id, inspection.location_id) == (
            "fire",
            "team-blast",
            "pl-1520-face",
        )
        assert inspection.inspector_id == bot.people["S0001"].id and inspection.finished_at is not None
        assert [(r.item, r.result, r.note) for r in results] == [
            ("灭火器在有效期内", "hazard", "压力指针在红区"),
            ("消防通道畅通", "ok", None),
            ("应急照明完好", "hazard", None),
        ]
        assert [r.kind for r in reports] == ["hazard", "hazard"]
        assert all(r.state == "reported" and r.severity == "general" for r in reports)
        assert all(r.inspection_id == inspection.id and r.location_id == "pl-1520-face" for r in reports)
        assert "灭火器在有效期内" in reports[0].description and "压力指针在红区" in reports[0].description
        assert [r.report_id for r in results] == [reports[0].id, None, reports[1].id]
        assert len(photos) == 1 and photos[0].report_id == reports[0].id
        assert (tmp_path / photos[0].path).is_file()
        numbers = [r.number for r in reports]
        assert all(n.startswith("YH-20261127-") for n in numbers)
        assert "共 3 项，合格 1 项，隐患 2 项" in done["text"] and all(n in done["text"] for n in numbers)
        for number in numbers:  # the other officer gets 指派; the team leader is told
            officer = await notices_of(bot, "S0002", number)
            assert officer and any(zh("report.assign") in label for label in labels(officer[0]))
            assert await notices_of(bot, "E1000", number)
        status = await say(bot, "S0001", "/status")
        assert zh("inspect.status_line", inspections=1, hazards=2) in status["text"]


async def test_a_worker_is_refused(db: Database, tmp_path: Path) -> None:
    async with running_bot(db, clock=Clock(local(9, 0))) as bot:
        await prepare(bot, tmp_path)
        await bot.bind("E1001")
        reply = await say(bot, "E1001", "/inspect")
        assert reply["text"] == zh("access.denied")
        assert await count(bot, Inspection) == 0


async def test_a_double_tap_on_submit_records_one_inspection(db: Database, tmp_path: Path) -> None:
    async with running_bot(db, clock=Clock(local(10, 0))) as bot:
        await prepare(bot, tmp_path)
        await bot.bind("E1000")
        item = await to_first_item(bot, "E1000", typed_place="炸药库门口")
        assert "炸药库门口" in item["text"]
        for _ in range(2):
            asked = await press(bot, "E1000", item, zh("inspect.hazard"))
            too_long = await say(bot, "E1000", "长" * 501)
            assert too_long["text"] == zh("inspect.note_too_long", limit=500)
            offer = await press(bot, "E1000", asked, zh("flows.skip"))
            item = await press(bot, "E1000", offer, zh("flows.skip"))
        summary = await press(bot, "E1000", item, zh("inspect.ok"))
        user, data = bot.user_id("E1000"), data_of(summary, zh("flows.submit"))
        presses = await asyncio.gather(
            bot.client.press(user, summary["message_id"], data),
            bot.client.press(user, summary["message_id"], data),
        )
        answers = [await bot.client.callback_answer(p) for p in presses]
        assert sorted(bool(a.get("text")) for a in answers) == [False, True]
        await bot.drain()
        assert await count(bot, Inspection) == 1
        assert await count(bot, InspectionResult) == 3
        assert await count(bot, Report) == 2
        async with bot.db.session() as session:
            inspection = (await session.exec(select(Inspection))).one()
        assert (inspection.unit_id, inspection.location_text) == ("team-blast", "炸药库门口")
