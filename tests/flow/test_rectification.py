"""Rectification through the sandbox, on both databases: 指派 (responsible person, 3天, measures, 提交) sends
the responsible person 整改完成 and the 整改通知单 PDF (its text names the number and the deadline); 整改完成
with a photo and a note reaches the officer with 通过 / 驳回; 驳回 with a reason sends it back; 通过 closes
it; 回头看 after 30 days asks the verifier, and both answers work. Two officers at once: one wins. Someone
else's buttons (forged, or signed for a person with no such right) change nothing."""

from __future__ import annotations

import asyncio
import hashlib
import io
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from PIL import Image
from sqlmodel import select

from safety import callbacks
from safety.access import load_actor
from safety.callbacks import derive_secret
from safety.reports import rectification as rect
from safety.reports.create import Photo, ReportInput, create
from safety.texts import t
from storage import report_queries as rq
from storage.db import Database
from storage.models import Report, ReportEvent
from tests.flow.harness import TOKEN, Harness, running_bot

SECRET = derive_secret(TOKEN)
SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICER, OTHER_OFFICER, RESPONSIBLE, REPORTER, MANAGER = "S0001", "S0002", "E1000", "E1001", "M0101"


@pytest.fixture(autouse=True)
def _data_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bot's data folder is `data` (relative): keep the photos and notices under the test's folder."""
    monkeypatch.chdir(tmp_path)


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


def jpeg(colour: str = "orange") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def body(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


def labels(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


def data_of(message: dict[str, Any], label: str) -> str:
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if label in button["text"]:
                return str(button["callback_data"])
    raise AssertionError(f"no button {label!r} in {labels(message)}")


async def answer_of(bot: Harness, who: str, message: dict[str, Any], data: str) -> dict[str, Any]:
    return await bot.client.callback_answer(
        await bot.client.press(bot.user_id(who), message["message_id"], data)
    )


async def press(
    bot: Harness, who: str, message: dict[str, Any], label: str, expect: str | None = None
) -> dict[str, Any]:
    """Press an accepted button; returns the next bot message or edit in that chat (containing `expect`)."""
    answer = await answer_of(bot, who, message, data_of(message, label))
    assert not answer.get("text"), answer
    return await bot.client.wait_for(
        bot.user_id(who), predicate=lambda m: expect is None or expect in body(m)
    )


async def say(bot: Harness, who: str, text: str) -> dict[str, Any]:
    sent = await bot.client.send_text(bot.user_id(who), text)
    return await bot.client.wait_for(bot.user_id(who), after_message_id=sent["message_id"])


async def arrives(bot: Harness, who: str, text: str) -> dict[str, Any]:
    await bot.drain()
    return await bot.client.wait_for(bot.user_id(who), predicate=lambda m: text in body(m))


async def new_hazard(bot: Harness) -> Report:
    """The reporter's hazard with a photo (the photo sent once to the sandbox, so it has a file id)."""
    data = jpeg()
    sent = await bot.client.send_photo(bot.user_id(REPORTER), data)
    await bot.client.wait_for(bot.user_id(REPORTER), after_message_id=sent["message_id"])
    digest = hashlib.sha256(data).hexdigest()
    path = Path("data") / "photos" / f"{digest}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    photo = Photo(sent["photo"][-1]["file_id"], digest, f"photos/{digest}.jpg", len(data))
    services = bot.app.bot_data["services"]
    async with bot.db.session() as session:
        report = await create(
            session,
            ReportInput(
                kind="hazard",
                unit_id="team-blast",
                description="脚手架扣件松动",
                severity="general",
                location_text="1520中段",
                photos=(photo,),
            ),
            reporter_id=bot.people[REPORTER].id or 0,
            now=bot.clock(),
            defaults=services.defaults,
        )
    services.wake_dispatchers()
    return report


async def assign_to_summary(
    bot: Harness, officer: str, number: str, notice: dict[str, Any] | None = None
) -> dict[str, Any]:
    notice = notice or await arrives(bot, officer, number)
    picker = await press(bot, officer, notice, "指派")
    assert body(picker).startswith(f"指派 {number}")
    asked = await press(bot, officer, picker, "李四（E1000）")
    assert "请选择整改期限" in body(asked) and {"今天", "3天", "7天"} <= set(labels(asked))
    measures = await press(bot, officer, asked, "3天")
    in_three_days = bot.clock().astimezone(SHANGHAI).date() + timedelta(days=3)
    assert f"整改期限：{in_three_days.isoformat()}" in body(measures)
    summary = await say(bot, officer, "更换扣件并逐一紧固")
    assert labels(summary) == ["提交", "取消"] and "李四" in body(summary)
    return summary


async def rectify(bot: Harness, task: dict[str, Any], note: str | None) -> None:
    asked = await press(bot, RESPONSIBLE, task, "整改完成")
    assert "请发送整改后的照片" in body(asked)
    sent = await bot.client.send_photo(bot.user_id(RESPONSIBLE), jpeg("green"))
    got = await bot.client.wait_for(bot.user_id(RESPONSIBLE), after_message_id=sent["message_id"])
    assert "已收到 1/5 张照片" in body(got)
    note_asked = await press(bot, RESPONSIBLE, got, "完成")
    summary = await say(bot, RESPONSIBLE, note) if note else await press(bot, RESPONSIBLE, note_asked, "跳过")
    assert labels(summary) == ["提交", "取消"]
    await press(bot, RESPONSIBLE, summary, "提交", "已提交整改")


async def report_row(bot: Harness, report_id: int) -> tuple[Report, list[ReportEvent]]:
    async with bot.db.session() as session:
        row = await session.get(Report, report_id)
        assert row is not None
        events = (await session.exec(select(ReportEvent).where(ReportEvent.report_id == report_id))).all()
        return row, sorted(events, key=lambda e: e.id or 0)


async def test_assign_rectify_reject_accept_and_recheck(db: Database) -> None:
    async with running_bot(db) as bot:
        for who in (OFFICER, RESPONSIBLE, REPORTER):
            await bot.bind(who)
        report = await new_hazard(bot)
        assert report.id is not None
        summary = await assign_to_summary(bot, OFFICER, report.number)
        assigned = await press(bot, OFFICER, summary, "提交", "已指派给")
        assert body(assigned).startswith(f"✅ {report.number} 已指派给 李四")

        task = await arrives(bot, RESPONSIBLE, f"整改通知 {report.number}")
        assert task["document"]["file_name"] == f"整改通知单-{report.number}.pdf"
        assert any("整改完成" in label for label in labels(task))
        async with httpx.AsyncClient() as http:
            pdf = (await http.get(bot.server.url + task["document_url"])).content
        extracted = await asyncio.to_thread(
            subprocess.run, ["pdftotext", "-", "-"], input=pdf, check=True, capture_output=True
        )
        text = extracted.stdout.decode()
        assert report.number in text and "2026-11-30" in text and "李四" in text

        await rectify(bot, task, "已全部更换")
        verify = await arrives(bot, OFFICER, "整改已完成，请复查验收")
        assert "整改说明：已全部更换" in body(verify) and "photo" in verify
        assert [label for label in labels(verify)] == ["✅ 通过", "↩️ 驳回"]
        asked = await press(bot, OFFICER, verify, "驳回")
        assert "请输入驳回原因" in body(asked)
        assert "驳回原因最多" in body(await say(bot, OFFICER, "太" * 501))
        assert "已驳回" in body(await say(bot, OFFICER, "仍有两处扣件未紧固"))

        again = await arrives(bot, RESPONSIBLE, "驳回原因：仍有两处扣件未紧固")
        stale = await answer_of(bot, RESPONSIBLE, task, data_of(task, "整改完成"))  # the first round's button
        assert stale["text"] == zh("rectify.changed")
        await rectify(bot, again, None)
        second = await arrives(bot, OFFICER, "整改说明：无")
        refused = await answer_of(bot, OFFICER, verify, data_of(verify, "通过"))  # the first round's 通过
        assert refused["text"] == zh("rectify.changed")
        await press(bot, OFFICER, second, "通过", "已复查通过，销号")
        for who in (REPORTER, RESPONSIBLE):
            await arrives(bot, who, f"{report.number} 已复查通过并销号")

        row, events = await report_row(bot, report.id)
        assert row.state == "closed" and row.recheck_due_at is not None
        officer, responsible = bot.people[OFFICER].id, bot.people[RESPONSIBLE].id
        steps = [(e.action, e.actor_id) for e in events]
        assert steps == [
            ("reported", bot.people[REPORTER].id),
            ("assigned", officer),
            ("submitted", responsible),
            ("rejected", officer),
            ("submitted", responsible),
            ("closed", officer),
        ]
        assert all(e.at is not None for e in events) and events[3].note == "仍有两处扣件未紧固"

        bot.clock.advance(days=29)
        await bot.tick()
        bot.clock.advance(days=1, minutes=1)
        await bot.tick()
        await bot.tick()  # asked once only
        asked = await arrives(bot, OFFICER, f"回头看：{report.number}")
        assert labels(asked) == ["✅ 确认未反弹", "🔁 重新整改"]
        await press(bot, OFFICER, asked, "确认未反弹", "回头看已确认")
        row, events = await report_row(bot, report.id)
        assert row.rechecked_at is not None and events[-1].action == "rechecked"
        chat = await bot.client.messages(bot.user_id(OFFICER))
        assert sum(1 for m in chat if "回头看：" in body(m)) == 1


async def _closed_hazard(bot: Harness) -> Report:
    """A hazard assigned, submitted and closed by S0001 through the domain (the chat part is tested above)."""
    report = await new_hazard(bot)
    services = bot.app.bot_data["services"]
    now, defaults = bot.clock(), services.defaults
    async with bot.db.session() as session:
        officer = await load_actor(session, channel="telegram", external_id=str(bot.user_id(OFFICER)))
        worker = await load_actor(session, channel="telegram", external_id=str(bot.user_id(RESPONSIBLE)))
        assert officer is not None and worker is not None and report.id is not None
        kwargs: dict[str, Any] = {"now": now, "defaults": defaults}
        done = await rect.assign(
            session, report_id=report.id, version=report.version, actor=officer,
            responsible_id=worker.person_id, deadline=now.date() + timedelta(days=3), measures="加固",
            data_dir=services.data_dir, **kwargs,
        )  # fmt: skip
        kept = (await rq.photos_of(session, report_id=report.id))[0]  # a file id the sandbox knows
        photo = Photo(kept.file_id, kept.sha256, kept.path, kept.size)
        done = await rect.submit(
            session,
            report_id=report.id,
            version=done.version,
            actor=worker,
            photos=[photo],
            note=None,
            **kwargs,
        )
        done = await rect.accept(
            session,
            report_id=report.id,
            version=done.version,
            actor=officer,
            rules=services.report_rules,
            **kwargs,
        )
    services.wake_dispatchers()
    return done


async def test_recheck_reopens_and_the_officers_get_it_again(db: Database) -> None:
    async with running_bot(db) as bot:
        for who in (OFFICER, OTHER_OFFICER, RESPONSIBLE, REPORTER):
            await bot.bind(who)
        report = await _closed_hazard(bot)
        assert report.id is not None
        bot.clock.advance(days=30, seconds=1)
        await bot.tick()
        asked = await arrives(bot, OFFICER, f"回头看：{report.number}")
        await press(bot, OFFICER, asked, "重新整改", "已重新打开")
        notices = [
            await arrives(bot, who, f"{report.number} 回头看发现反弹") for who in (OFFICER, OTHER_OFFICER)
        ]
        assert all(any("指派" in label for label in labels(notice)) for notice in notices)
        row, events = await report_row(bot, report.id)
        assert row.state == "reported" and row.responsible_id is None and events[-1].action == "reopened"
        assert (await answer_of(bot, OFFICER, asked, data_of(asked, "确认未反弹")))["text"] == zh(
            "rectify.changed"
        )
        # reopened, it goes round the loop again: 指派 works on the new notice
        summary = await assign_to_summary(bot, OTHER_OFFICER, report.number, notices[1])
        await press(bot, OTHER_OFFICER, summary, "提交", "已指派给")


async def test_two_officers_assign_at_once_and_one_wins(db: Database) -> None:
    async with running_bot(db) as bot:
        for who in (OFFICER, OTHER_OFFICER, RESPONSIBLE, REPORTER):
            await bot.bind(who)
        report = await new_hazard(bot)
        assert report.id is not None
        summaries = [await assign_to_summary(bot, who, report.number) for who in (OFFICER, OTHER_OFFICER)]
        answers = await asyncio.gather(
            *(
                answer_of(bot, who, summary, data_of(summary, "提交"))
                for who, summary in zip((OFFICER, OTHER_OFFICER), summaries, strict=True)
            )
        )
        assert sorted(a.get("text") or "" for a in answers) == ["", zh("rectify.changed")]
        row, events = await report_row(bot, report.id)
        assert row.state == "assigned" and [e.action for e in events].count("assigned") == 1
        await bot.drain()
        chat = await bot.client.messages(bot.user_id(RESPONSIBLE))
        assert sum(1 for m in chat if f"整改通知 {report.number}" in body(m)) == 1


async def test_two_verifiers_accept_at_once_and_one_wins(db: Database) -> None:
    """The assigner presses 通过 on their message while the project manager (who may verify too) presses 通过
    with data signed for them: one closes it, the other is told."""
    async with running_bot(db) as bot:
        for who in (OFFICER, RESPONSIBLE, REPORTER):
            await bot.bind(who)
        welcome = await bot.bind(MANAGER)
        report = await new_hazard(bot)
        assert report.id is not None
        await bot.client.wait_for(bot.user_id(OFFICER), predicate=lambda m: report.number in body(m))
        services = bot.app.bot_data["services"]
        async with bot.db.session() as session:
            officer = await load_actor(session, channel="telegram", external_id=str(bot.user_id(OFFICER)))
            assert officer is not None
            done = await rect.assign(
                session, report_id=report.id, version=0, actor=officer,
                responsible_id=bot.people[RESPONSIBLE].id or 0, deadline=bot.clock().date(), measures="加固",
                now=bot.clock(), defaults=services.defaults, data_dir=services.data_dir,
            )  # fmt: skip
        services.wake_dispatchers()
        task = await arrives(bot, RESPONSIBLE, f"整改通知 {report.number}")
        await rectify(bot, task, None)
        verify = await arrives(bot, OFFICER, "请复查验收")
        arg = f"{report.id}.{done.version + 1}"
        forged_for_manager = callbacks.encode(
            SECRET, person_id=bot.people[MANAGER].id or 0, action="rv", arg=arg
        )
        answers = await asyncio.gather(
            answer_of(bot, OFFICER, verify, data_of(verify, "通过")),
            answer_of(bot, MANAGER, welcome, forged_for_manager),
        )
        assert sorted(a.get("text") or "" for a in answers) == ["", zh("rectify.changed")]
        row, events = await report_row(bot, report.id)
        assert row.state == "closed" and [e.action for e in events].count("closed") == 1


async def test_someone_elses_buttons_change_nothing(db: Database) -> None:
    async with running_bot(db) as bot:
        for who in (OFFICER, RESPONSIBLE, REPORTER, "E1002", "S0201"):
            await bot.bind(who)
        report = await new_hazard(bot)
        assert report.id is not None
        notice = await arrives(bot, OFFICER, report.number)
        receipt = (await bot.client.messages(bot.user_id(REPORTER)))[-1]
        # the officer's own 指派, pressed by the reporter (a forwarded button): its signature is not theirs
        forwarded = await answer_of(bot, REPORTER, receipt, data_of(notice, "指派"))
        assert forwarded["text"] == zh("access.button_invalid")

        def signed(who: str, action: str, arg: str) -> str:
            return callbacks.encode(SECRET, person_id=bot.people[who].id or 0, action=action, arg=arg)

        other = (await bot.client.messages(bot.user_id("S0201")))[-1]  # an officer of another project
        cases = [
            (REPORTER, receipt, signed(REPORTER, "ra", str(report.id)), "rectify.not_allowed"),
            ("S0201", other, signed("S0201", "ra", str(report.id)), "rectify.not_allowed"),
            (REPORTER, receipt, signed(REPORTER, "rv", f"{report.id}.0"), "rectify.not_allowed"),
            (REPORTER, receipt, signed(REPORTER, "rj", f"{report.id}.0"), "rectify.not_allowed"),
            (REPORTER, receipt, signed(REPORTER, "rd", f"{report.id}.0"), "rectify.not_yours"),
            (
                OFFICER,
                notice,
                signed(OFFICER, "rv", f"{report.id}.0"),
                "rectify.changed",
            ),  # nothing to verify
        ]
        for who, message, data, key in cases:
            answer = await answer_of(bot, who, message, data)
            assert answer["text"] == zh(key), (who, data, answer)
        # the officer starts 指派; the responsible person cannot be someone outside the project
        picker = await press(bot, OFFICER, notice, "指派")
        outsider = picker["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        version = callbacks.decode(SECRET, person_id=bot.people[OFFICER].id or 0, data=outsider)
        assert version is not None
        flow_version = version.arg.split(".")[0]
        wrong = signed(OFFICER, "ag", f"{flow_version}.p.{bot.people['S0201'].id}")
        assert (await answer_of(bot, OFFICER, picker, wrong))["text"] == zh("rectify.responsible_not_allowed")
        assert "没有找到" in body(await say(bot, OFFICER, "冯丽"))  # typed: not offered either
        row, events = await report_row(bot, report.id)
        assert row.state == "reported" and row.version == 0 and [e.action for e in events] == ["reported"]


async def test_bad_input_is_refused_with_a_clear_message_and_nothing_stored(db: Database) -> None:
    async with running_bot(db) as bot:
        for who in (OFFICER, RESPONSIBLE, REPORTER):
            await bot.bind(who)
        report = await new_hazard(bot)
        assert report.id is not None
        notice = await arrives(bot, OFFICER, report.number)
        picker = await press(bot, OFFICER, notice, "指派")
        await press(bot, OFFICER, picker, "李四（E1000）")
        assert body(await say(bot, OFFICER, "2026-11-26")) == zh("rectify.deadline_past")
        assert body(await say(bot, OFFICER, "明天")) == zh("rectify.deadline_format")
        assert "整改期限：2026-12-01" in body(await say(bot, OFFICER, "2026-12-01"))
        assert body(await say(bot, OFFICER, "措" * 1001)) == zh("rectify.measures_too_long")
        assert "已取消" in body(await say(bot, OFFICER, "/cancel"))
        row, _ = await report_row(bot, report.id)
        assert row.state == "reported" and row.version == 0

        summary = await assign_to_summary(bot, OFFICER, report.number, notice)
        await press(bot, OFFICER, summary, "提交", "已指派给")
        task = await arrives(bot, RESPONSIBLE, f"整改通知 {report.number}")
        asked = await press(bot, RESPONSIBLE, task, "整改完成")
        refused = await answer_of(bot, RESPONSIBLE, asked, data_of(asked, "完成"))
        assert refused["text"] == zh("rectify.photo_needed")
        assert body(await say(bot, RESPONSIBLE, "好了")) == zh("rectify.photo_or_done")
        for i in range(6):
            sent = await bot.client.send_photo(bot.user_id(RESPONSIBLE), jpeg(f"#{i:02x}{i:02x}00"))
            got = await bot.client.wait_for(bot.user_id(RESPONSIBLE), after_message_id=sent["message_id"])
        assert body(got) == zh("rectify.too_many_photos")
        row, events = await report_row(bot, report.id)
        assert row.state == "assigned" and [e.action for e in events] == ["reported", "assigned"]
