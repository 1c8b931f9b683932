"""The guided /violation through the sandbox, on both databases: it reaches the same records, notices and
audit entries as `/violation EMPLOYEE_NO N NOTE`; the people list is paged, narrowed by a typed name, and
never offers or accepts anyone outside the recorder's scope; stale, forged and someone else's buttons,
/cancel, expiry and a double 提交 change nothing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from safety import callbacks
from safety.texts import t
from storage.db import Database
from storage.models import AuditEntry, ChatState, Clearance, Obligation, OutboxMessage, Person, Violation
from tests.flow.harness import TOKEN, Clock, Harness, running_bot
from tests.flow.test_checkin import local
from tests.flow.test_concurrency import count
from tests.flow.test_quiz import load_bank

ORG = Path(__file__).parent / "data" / "guided-org.yaml"
PHOTO = b"\xff\xd8guided violation evidence"
NOTE = "未系安全带进行高处作业"
SCOPE_OF_L1 = ["A1", "A2", "A3", *(f"B{i:02d}" for i in range(1, 10))]


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


def labels(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


def data_of(message: dict[str, Any], label: str) -> str:
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if button["text"] == label or button["text"].startswith(label):
                return str(button["callback_data"])
    raise AssertionError(f"no button {label!r} in {labels(message)}")


def person_label(bot: Harness, employee_no: str) -> str:
    return zh("violation.person_button", name=bot.people[employee_no].name, employee_no=employee_no)


async def say(bot: Harness, employee_no: str, text: str) -> dict[str, Any]:
    """Send a text and return the bot's answer to it."""
    user = bot.user_id(employee_no)
    sent = await bot.client.send_text(user, text)
    return await bot.client.wait_for(user, after_message_id=sent["message_id"])


async def show_photo(bot: Harness, employee_no: str) -> dict[str, Any]:
    user = bot.user_id(employee_no)
    sent = await bot.client.send_photo(user, PHOTO)
    return await bot.client.wait_for(user, after_message_id=sent["message_id"])


async def press(bot: Harness, employee_no: str, message: dict[str, Any], label: str) -> dict[str, Any]:
    """Press a button; the press must be accepted; returns the message as redrawn."""
    user = bot.user_id(employee_no)
    answer = await bot.client.callback_answer(
        await bot.client.press(user, message["message_id"], data_of(message, label))
    )
    assert not answer.get("text"), answer
    return await bot.client.wait_for(user, predicate=lambda m: m["message_id"] == message["message_id"])


async def press_refused(bot: Harness, employee_no: str, message_id: int, data: str) -> str:
    """Press raw callback data that must be refused; returns the short answer."""
    answer = await bot.client.callback_answer(
        await bot.client.press(bot.user_id(employee_no), message_id, data)
    )
    assert answer.get("show_alert"), answer
    return str(answer["text"])


async def submit(bot: Harness, employee_no: str, summary: dict[str, Any]) -> dict[str, Any]:
    """Press 提交 on the summary; returns the new message that answers it."""
    user = bot.user_id(employee_no)
    answer = await bot.client.callback_answer(
        await bot.client.press(user, summary["message_id"], data_of(summary, zh("flows.submit")))
    )
    assert not answer.get("text"), answer
    return await bot.client.wait_for(user, predicate=lambda m: m["message_id"] > summary["message_id"])


async def guided_to_summary(
    bot: Harness, recorder: str, person: str, number: int, *, photo: bool
) -> dict[str, Any]:
    """/violation, the person (typed employee number when not on the first page), the prohibition, the
    note, then the photo or 跳过; returns the summary message."""
    user = bot.user_id(recorder)
    sent = await bot.client.send_text(user, "/violation")  # an open photo flow is ended first, and said so
    opening = zh("violation.pick_person", count=0, page=0, pages=0)[:5]
    picker = await bot.client.wait_for(
        user, after_message_id=sent["message_id"], predicate=lambda m: str(m.get("text")).startswith(opening)
    )
    if person_label(bot, person) in labels(picker):
        rules = await press(bot, recorder, picker, person_label(bot, person))
    else:
        rules = await say(bot, recorder, person)
    assert rules["text"].startswith(f"违章人员：{bot.people[person].name}（{person}）"), rules["text"]
    asked = await press(bot, recorder, rules, f"{number}. ")
    assert "请输入违章情况说明" in asked["text"]
    offer = await say(bot, recorder, NOTE)
    assert offer["text"] == zh("violation.ask_photo") and zh("flows.skip") in labels(offer)
    if photo:
        summary = await show_photo(bot, recorder)
    else:
        summary = await press(bot, recorder, offer, zh("flows.skip"))
    assert summary["text"].startswith("请确认违章登记") and f"说明：{NOTE}" in summary["text"]
    assert labels(summary) == [zh("flows.submit"), zh("flows.cancel")]
    return summary


async def snapshot(bot: Harness, employee_no: str, texts_from: dict[str, int]) -> dict[str, Any]:
    """Everything a violation of this person made, with what names the person replaced by placeholders."""
    person = bot.people[employee_no]
    async with bot.db.session() as session:
        violation = (await session.exec(select(Violation).where(Violation.person_id == person.id))).one()
        stored = await session.get(Person, person.id)
        assert stored is not None
        events = (await session.exec(select(Clearance).where(Clearance.person_id == person.id))).all()
        quizzes = (
            await session.exec(
                select(Obligation).where(Obligation.subject_id == person.id, Obligation.kind == "quiz")
            )
        ).all()
        rows = (
            await session.exec(
                select(OutboxMessage).where(
                    col(OutboxMessage.key).startswith(f"violation:{violation.id}:")
                    | col(OutboxMessage.key).in_([f"quiz:required:{q.id}" for q in quizzes])
                )
            )
        ).all()
        audit = (
            await session.exec(
                select(AuditEntry).where(
                    AuditEntry.subject == employee_no, col(AuditEntry.action).startswith("violation")
                )
            )
        ).all()
        numbers = {p.id: p.employee_no for p in bot.people.values()}

    def plain(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, default=str).replace(person.name, "<name>")

    texts = {}
    for who, start in texts_from.items():
        seen = [m for m in await bot.client.messages(bot.user_id(who)) if m["from_bot"]][start:]
        texts[who if who != employee_no else "<self>"] = sorted(plain(m.get("text")) for m in seen)
    return {
        "violation": (
            violation.prohibition,
            violation.note,
            violation.recorded_by,
            violation.at,
            violation.repeat,
            violation.photo_file_id is not None,
        ),
        "cleared": stored.cleared,
        "clearance": [(e.event, e.at, e.until, e.violation_id == violation.id) for e in events],
        "obligations": [(q.kind, q.state, q.due_at, q.next_step_at, q.note, q.unit_id) for q in quizzes],
        "outbox": sorted(
            (
                row.key.split(":")[0],
                row.kind,
                row.channel,
                "<self>" if row.person_id == person.id else numbers[row.person_id],
                plain(row.payload),
            )
            for row in rows
        ),
        "audit": [
            (a.action, a.actor_id, a.channel, a.at, {**(a.detail or {}), "violation": "<id>"}) for a in audit
        ],
        "texts": texts,
    }


async def bot_count(bot: Harness, employee_no: str) -> int:
    return len([m for m in await bot.client.messages(bot.user_id(employee_no)) if m["from_bot"]])


@pytest.mark.parametrize("photo", [True, False], ids=["photo", "skip"])
async def test_guided_reaches_what_the_argument_form_records(db: Database, photo: bool) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(9, 0))) as bot:
        await load_bank(bot)
        for employee_no in ("S1", "L1", "A1", "A2", "M1"):
            await bot.bind(employee_no)
        start = {no: await bot_count(bot, no) for no in ("A1", "L1", "M1")}
        reply = await say(bot, "S1", f"/violation A1 4 {NOTE}")
        assert reply["text"] == zh("violation.recorded_first", name="张一", number=4, count=1)
        if photo:
            assert (await show_photo(bot, "S1"))["text"] == zh("violation.photo_saved")
        await bot.drain()
        expected = await snapshot(bot, "A1", start)

        start = {"A2": await bot_count(bot, "A2"), "L1": await bot_count(bot, "L1"), "M1": start["M1"]}
        summary = await guided_to_summary(bot, "S1", "A2", 4, photo=photo)
        assert summary["text"].endswith(zh("violation.photo_attached" if photo else "violation.photo_none"))
        answer = await submit(bot, "S1", summary)
        key = "violation.recorded_first_photo" if photo else "violation.recorded_first"
        assert answer["text"] == zh(key, name="张二", number=4, count=1)
        await bot.drain()
        assert await snapshot(bot, "A2", start) == expected
        if not photo:  # as after the argument form, the next photo becomes the evidence
            assert (await show_photo(bot, "S1"))["text"] == zh("violation.photo_saved")
            async with bot.db.session() as session:
                found = (
                    await session.exec(select(Violation).where(Violation.person_id == bot.people["A2"].id))
                ).one()
            assert found.photo_file_id is not None
        assert expected["texts"]["L1"] and expected["texts"]["<self>"], "the person and the leader were told"
        assert expected["cleared"] is False and expected["obligations"][0][:2] == ("quiz", "open")
        async with bot.db.session() as session:
            assert (await session.exec(select(ChatState))).all() == [], "no flow is left open"


async def test_a_second_guided_violation_goes_to_the_manager_like_the_argument_form(db: Database) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(9, 0))) as bot:
        await load_bank(bot)
        for employee_no in ("L1", "A1", "M1"):
            await bot.bind(employee_no)
        await say(bot, "L1", f"/violation A1 4 {NOTE}")
        summary = await guided_to_summary(bot, "L1", "A1", 7, photo=False)
        answer = await submit(bot, "L1", summary)
        assert answer["text"] == zh("violation.recorded_repeat", name="张一", number=7, count=2)
        await bot.drain()
        notices = [
            m["text"]
            for m in await bot.client.messages(bot.user_id("M1"))
            if "第 2 次违反禁令" in str(m.get("text"))
        ]
        assert len(notices) == 1 and NOTE in notices[0]
        async with bot.db.session() as session:
            actions = [
                a.action
                for a in (await session.exec(select(AuditEntry).where(AuditEntry.subject == "A1"))).all()
            ]
        assert actions.count("violation.first") == 1 and actions.count("violation.repeat") == 1


async def test_the_people_are_paged_narrowed_by_a_typed_name_and_only_in_scope(db: Database) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(9, 0))) as bot:
        await load_bank(bot)
        for employee_no in ("L1", "S1"):
            await bot.bind(employee_no)
        first = await say(bot, "L1", "/violation")
        assert first["text"] == zh("violation.pick_person", count=12, page=1, pages=2)
        first_labels = labels(first)
        assert first_labels[-2:] == [zh("flows.next_page"), zh("flows.cancel")] and len(first_labels) == 10
        old_data = data_of(first, person_label(bot, "A1"))
        second = await press(bot, "L1", first, zh("flows.next_page"))
        assert second["text"] == zh("violation.pick_person", count=12, page=2, pages=2)
        assert labels(second)[-2:] == [zh("flows.prev_page"), zh("flows.cancel")]
        offered = set(first_labels[:8]) | set(labels(second)[:4])
        assert offered == {person_label(bot, no) for no in SCOPE_OF_L1}, "everyone in scope, no one else"
        assert await press_refused(bot, "L1", first["message_id"], old_data) == zh("flows.stale")

        found = await say(bot, "L1", "张")
        assert found["text"] == zh("violation.pick_found", count=2, page=1, pages=1, query="张")
        assert labels(found) == [person_label(bot, "A1"), person_label(bot, "A2"), zh("flows.cancel")]
        for outside in ("周工", "W1", "李班长", "L1", "刘"):  # another team, the recorder themself
            reply = await say(bot, "L1", outside)
            assert reply["text"] == zh("violation.person_none", query=outside), outside
        version = data_of(found, person_label(bot, "A1")).split("|")[2].split(".")[0]
        secret = callbacks.derive_secret(TOKEN)
        for employee_no in ("W1", "L1"):  # signed for L1, but the person is outside L1's scope
            target = bot.people[employee_no].id
            forged = callbacks.encode(
                secret, person_id=bot.people["L1"].id or 0, action="vg", arg=f"{version}.p.{target}"
            )
            answer = await press_refused(bot, "L1", found["message_id"], forged)
            assert answer == zh("violation.not_allowed")
        tampered = data_of(found, person_label(bot, "A1")).replace(".p.", ".r.")
        assert await press_refused(bot, "L1", found["message_id"], tampered) == zh("access.button_invalid")
        own = await say(bot, "S1", "/help")  # S1 presses L1's button: signed for L1, refused
        answer = await press_refused(bot, "S1", own["message_id"], data_of(found, person_label(bot, "A2")))
        assert answer == zh("access.button_invalid")

        rules = await say(bot, "L1", "a3")  # an exact employee number (any case) is chosen at once
        assert rules["text"] == zh("violation.pick_prohibition", name="王三", employee_no="A3")
        assert labels(rules)[0].startswith("1. ") and labels(rules)[-1] == zh("flows.cancel")
        assert await press_refused(
            bot, "L1", found["message_id"], data_of(found, person_label(bot, "A1"))
        ) == zh("flows.stale"), "a button of an earlier step"
        assert (await say(bot, "L1", "99"))["text"] == zh("violation.prohibition_typed_unknown", value="99")
        asked = await say(bot, "L1", "4")
        assert asked["text"].startswith("违章人员：王三（A3）\n禁令：第 4 条")
        for bad, key in (
            ("\u200b\u200b \u2060", "violation.note_blank"),
            ("长" * 501, "violation.note_too_long"),
        ):
            assert (await say(bot, "L1", bad))["text"] == zh(key, limit=500)
        assert (await say(bot, "L1", NOTE))["text"] == zh("violation.ask_photo")
        assert await count(bot, Violation) == 0


async def test_cancel_and_the_cancel_button_record_nothing(db: Database) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(9, 0))) as bot:
        await load_bank(bot)
        await bot.bind("L1")
        picker = await say(bot, "L1", "/violation")
        rules = await press(bot, "L1", picker, person_label(bot, "A1"))
        asked = await press(bot, "L1", rules, "4. ")
        assert (await say(bot, "L1", NOTE))["text"] == zh("violation.ask_photo")
        reply = await say(bot, "L1", "/cancel")
        assert reply["text"] == zh("flows.cancelled", flow=zh("flows.name_violation"))
        assert await press_refused(bot, "L1", asked["message_id"], data_of(asked, zh("flows.cancel"))) == zh(
            "flows.stale"
        )
        assert (await say(bot, "L1", NOTE))["text"] == zh("access.free_text"), "the flow is gone"

        summary = await guided_to_summary(bot, "L1", "A2", 4, photo=False)
        cancelled = await press(bot, "L1", summary, zh("flows.cancel"))
        assert cancelled["text"] == zh("flows.cancelled", flow=zh("flows.name_violation"))
        assert labels(cancelled) == []
        assert await count(bot, Violation) == 0 and await count(bot, ChatState) == 0
        assert await count(bot, AuditEntry, col(AuditEntry.action).startswith("violation")) == 0


async def test_an_idle_flow_expires_and_records_nothing(db: Database) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(9, 0))) as bot:
        await load_bank(bot)
        await bot.bind("L1")
        picker = await say(bot, "L1", "/violation")
        rules = await press(bot, "L1", picker, person_label(bot, "A1"))
        await press(bot, "L1", rules, "4. ")
        bot.clock.advance(minutes=31)
        reply = await say(bot, "L1", NOTE)
        assert reply["text"] == zh("flows.expired", flow=zh("flows.name_violation"))
        assert await count(bot, Violation) == 0 and await count(bot, ChatState) == 0

        summary = await guided_to_summary(bot, "L1", "A2", 4, photo=False)
        bot.clock.advance(minutes=31)
        await bot.tick()
        notice = await bot.client.wait_for(
            bot.user_id("L1"),
            predicate=lambda m: m.get("text") == zh("flows.expired", flow=zh("flows.name_violation")),
        )
        assert notice["message_id"] > summary["message_id"]
        answer = await press_refused(bot, "L1", summary["message_id"], data_of(summary, zh("flows.submit")))
        assert answer == zh("flows.stale")
        assert await count(bot, Violation) == 0


async def test_submit_pressed_twice_within_10_ms_records_one_violation(db: Database) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(9, 0))) as bot:
        await load_bank(bot)
        for employee_no in ("L1", "A1"):
            await bot.bind(employee_no)
        summary = await guided_to_summary(bot, "L1", "A1", 4, photo=True)
        user, data = bot.user_id("L1"), data_of(summary, zh("flows.submit"))

        async def tap(delay: float) -> dict[str, Any]:
            await asyncio.sleep(delay)
            return await bot.client.callback_answer(await bot.client.press(user, summary["message_id"], data))

        answers = await asyncio.gather(tap(0.0), tap(0.01))
        assert sorted(str(a.get("text") or "") for a in answers) == ["", zh("flows.stale")]
        await bot.drain()
        assert await count(bot, Violation) == 1
        assert await count(bot, AuditEntry, AuditEntry.action == "violation.first") == 1
        notices = [
            m for m in await bot.client.messages(bot.user_id("A1")) if "上岗资格已暂停" in str(m.get("text"))
        ]
        assert len(notices) == 1
        recorded = [m for m in await bot.client.messages(user) if str(m.get("text")).startswith("已登记")]
        assert len(recorded) == 1


async def test_staff_cannot_start_it_and_without_a_bank_it_says_so(db: Database) -> None:
    async with running_bot(db, org_file=ORG, clock=Clock(local(9, 0))) as bot:
        for employee_no in ("A1", "L1"):
            await bot.bind(employee_no)
        assert (await say(bot, "A1", "/violation"))["text"] == zh("access.denied")
        assert (await say(bot, "L1", "/violation"))["text"] == zh("violation.no_bank")
        assert await count(bot, ChatState) == 0
        assert (await say(bot, "L1", "/violation A1"))["text"] == zh("violation.usage"), "the usage stays"
