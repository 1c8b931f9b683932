"""The flows on WeCom, end to end, on both databases: members write and press in the WeCom sandbox's phone
(encrypted callbacks to the real CallbackEndpoint over loopback), the bridge hands them to the same handlers
as Telegram's, and what the bot sends arrives in the sandbox (answers through the Bot API translator, the
outbox through the WeCom channel). The same flows on Telegram are tests/flow/test_checkin.py,
tests/flow/test_quiz.py, tests/flow/test_rectification.py and tests/cards/test_card_delivery.py.

Faults: an expired token mid-send, 45009, a callback with a bad signature (refused, nothing processed), a
replayed callback (processed once)."""

from __future__ import annotations

import asyncio
import hashlib
import io
from pathlib import Path
from typing import Any

from PIL import Image
from sqlmodel import col, func, select

from safety.reports.create import Photo, ReportInput, create
from safety.texts import t
from storage.db import Database
from storage.models import (
    Card,
    CardEvent,
    ChatIdentity,
    CheckIn,
    Obligation,
    Person,
    QuizAttempt,
    QuizItem,
    Report,
    ReportEvent,
)
from storage.models.wecom import WeComSeen
from tests.flow.harness import Clock
from tests.flow.test_checkin import ORG, TEAM, local
from tests.flow.test_quiz import load_bank
from tests.wecom.harness import WeComHarness, running_wecom_bot

Message = dict[str, Any]


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


def said(bot: WeComHarness, employee_no: str, needle: str) -> bool:
    return any(needle in text for text in bot.texts(employee_no))


async def arrives(bot: WeComHarness, employee_no: str, needle: str, *, after: int = 0) -> Message:
    await bot.drain()
    return await bot.wait_for(employee_no, lambda m: needle in str(m["content"]), after=after)


# -- check-in with a digest to the leader -------------------------------------------------------------------


async def test_checkin_and_the_leaders_digest_on_wecom(db: Database) -> None:
    async with running_wecom_bot(db, org_file=ORG, clock=Clock(local(6, 50))) as bot:
        for employee_no in ["L1", *TEAM]:
            await bot.hello(employee_no)
        bot.clock.now = local(7, 0, 5)
        await bot.tick()
        cards = {e: bot.card_with(e, "班前安全确认") for e in TEAM}
        # Two members press at once; then two more, one by one; 孙五 (A5) stays silent.
        statuses = await asyncio.gather(*(bot.press(e, cards[e], "全部正常") for e in ("A1", "A2")))
        assert statuses == [200, 200]
        for employee_no in ("A1", "A2", "A3", "A4"):
            if employee_no in ("A3", "A4"):
                assert await bot.press(employee_no, cards[employee_no], "全部正常") == 200
            await bot.wait_for(employee_no, lambda m: "已确认" in str(m["content"]))
        # each answered checklist turned into its receipt: its buttons gave way to the result (the card's
        # text comes back with the press), so it cannot be pressed again; 孙五's still has them
        for employee_no in ("A1", "A2", "A3", "A4"):
            (answered,) = [
                m for m in bot.messages(employee_no) if m["task_id"] == cards[employee_no]["task_id"]
            ]
            assert answered["buttons"] == [] and "已确认" in str(answered["replaced"]), answered
        (silent,) = [m for m in bot.messages("A5") if m["task_id"] == cards["A5"]["task_id"]]
        assert silent["buttons"] and silent["replaced"] is None
        bot.clock.now = local(7, 30, 1)
        await bot.tick()
        assert said(bot, "A5", "截止时间")  # step 0: the person themself
        bot.clock.now = local(7, 30, 11)
        await bot.tick()
        digest = bot.card_with("L1", "班前确认 4/5")
        assert said(bot, "L1", zh("digest.missing", names="孙五"))
        before = len(bot.messages("L1"))
        assert await bot.press("L1", digest, zh("digest.handled")) == 200
        await arrives(bot, "L1", zh("digest.done_handled", name="孙五"), after=before)
        await arrives(bot, "L1", "已处理：孙五（李班长")  # the digest shows it, updated or sent afresh
        async with bot.db.session() as session:
            states = sorted(o.state for o in (await session.exec(select(Obligation))).all())
            on_time = (await session.exec(select(func.count()).select_from(CheckIn))).one()
            wecom = (
                await session.exec(
                    select(func.count()).select_from(ChatIdentity).where(ChatIdentity.channel == "wecom")
                )
            ).one()
        assert states == ["acknowledged", "done", "done", "done", "done"] and on_time == 4 and wecom == 6


# -- a quiz attempt -----------------------------------------------------------------------------------------


async def current_item(bot: WeComHarness, employee_no: str) -> QuizItem:
    async with bot.db.session() as session:
        attempt = (
            await session.exec(
                select(QuizAttempt).where(
                    QuizAttempt.person_id == bot.people[employee_no].id, QuizAttempt.status == "open"
                )
            )
        ).one()
        return (
            await session.exec(
                select(QuizItem).where(
                    QuizItem.attempt_id == attempt.id, QuizItem.position == attempt.position
                )
            )
        ).one()


async def take_quiz(bot: WeComHarness, employee_no: str, *, wrong: frozenset[int] = frozenset()) -> str:
    """考试 in plain words, then each question answered by its option buttons (a card per question)."""
    start = len(bot.messages(employee_no))
    await bot.say(employee_no, "考试")
    n, total = 1, None
    while total is None or n <= total:
        card = await bot.wait_for(
            employee_no,
            lambda m, n=n: m["task_id"] is not None and f"第 {n}/" in _shown(bot, employee_no, m),
            after=start,
        )
        total = total or int(_shown(bot, employee_no, card).split(f"第 {n}/")[1].split(" ")[0])
        item = await current_item(bot, employee_no)
        right = n not in wrong
        picks = item.answer if right else [next(i for i in range(len(item.options)) if i not in item.answer)]
        if item.type == "multi":
            for index in picks:
                await bot.press_and_wait(employee_no, card, index)
                card = bot.card_with(employee_no, f"第 {n}/")
            await bot.press_and_wait(employee_no, card, len(item.options))  # 提交
        else:
            await bot.press_and_wait(employee_no, card, picks[0])
        start = next(i for i, m in enumerate(bot.messages(employee_no)) if m["msgid"] == card["msgid"]) + 1
        n += 1
    result = await bot.wait_for(
        employee_no,
        lambda m: "考试通过" in str(m["content"]) or "考试未通过" in str(m["content"]),
        after=start,
    )
    return str(result["content"])


def _shown(bot: WeComHarness, employee_no: str, card: Message) -> str:
    """A card's text with the text message sent just before it (a long text goes first, the card after)."""
    messages = bot.messages(employee_no)
    index = next(i for i, m in enumerate(messages) if m["msgid"] == card["msgid"])
    before = messages[index - 1]["content"] if index and messages[index - 1]["task_id"] is None else ""
    return f"{before}\n{card['content']}"


async def test_a_quiz_attempt_on_wecom_clears_the_worker(db: Database) -> None:
    async with running_wecom_bot(db, org_file=ORG, clock=Clock(local(6, 50)), cleared=False) as bot:
        await load_bank(bot.flow)
        await bot.hello("A1")
        failed = await take_quiz(bot, "A1", wrong=frozenset({3}))
        assert failed.startswith("❌ 考试未通过")
        passed = await take_quiz(bot, "A1")
        assert passed.startswith("✅ 考试通过")
        async with bot.db.session() as session:
            person = await session.get(Person, bot.people["A1"].id)
            statuses = sorted(a.status for a in (await session.exec(select(QuizAttempt))).all())
        assert person is not None and person.cleared and statuses == ["failed", "passed"]


async def test_two_answer_presses_at_once_are_applied_one_after_the_other(db: Database) -> None:
    """A single-choice question pressed twice at once (two options): one answer, the next question once.
    A multiple-choice one: both toggles land."""
    async with running_wecom_bot(db, org_file=ORG, clock=Clock(local(6, 50)), cleared=False) as bot:
        await load_bank(bot.flow)
        await bot.hello("A1")
        await bot.say("A1", "考试")
        first = await bot.wait_for("A1", lambda m: m["task_id"] is not None and len(m["buttons"]) >= 2)
        item = await current_item(bot, "A1")
        keys = [first["buttons"][0][1], first["buttons"][1][1]]
        userid = bot.userid("A1")
        statuses = await asyncio.gather(
            *(bot.phone.press(userid, task_id=first["task_id"], key=key) for key in keys)
        )
        assert statuses == [200, 200]
        if item.type == "multi":
            async with asyncio.timeout(10):
                while True:
                    async with bot.db.session() as session:
                        row = await session.get(QuizItem, item.id)
                    if row is not None and row.picked == [0, 1]:
                        break
                    await asyncio.sleep(0.05)
            return
        await bot.wait_for("A1", lambda m: "第 2/" in _shown(bot, "A1", m))
        await bot.drain()
        async with bot.db.session() as session:
            answered = (
                await session.exec(select(QuizItem).where(col(QuizItem.answered_at).is_not(None)))
            ).all()
        assert len(answered) == 1 and sum("第 2/" in _shown(bot, "A1", m) for m in bot.messages("A1")) == 1


# -- a report assigned and closed ---------------------------------------------------------------------------

OFFICER, RESPONSIBLE, REPORTER = "S0001", "E1000", "E1001"


def jpeg(colour: str = "orange") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


async def new_hazard(bot: WeComHarness) -> Report:
    services = bot.flow.app.bot_data["services"]
    data = jpeg()
    digest = hashlib.sha256(data).hexdigest()
    path = Path(services.data_dir) / "photos" / f"{digest}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    photo = Photo(f"local-{digest}", digest, f"photos/{digest}.jpg", len(data))
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


async def press_then(
    bot: WeComHarness,
    employee_no: str,
    card: Message | None,
    label: str,
    needle: str,
    *,
    card_next: bool = True,
) -> Message:
    """Press `label` and wait for what the bot shows next that contains `needle`: a new message, or a
    card updated in place (`card_next`: a card, with buttons to press next)."""
    return await changed_after(
        bot, employee_no, needle, bot.press(employee_no, card, label), card_next=card_next
    )


async def changed_after(
    bot: WeComHarness, employee_no: str, needle: str, action: Any, *, card_next: bool = True
) -> Message:
    seen = {m["msgid"]: m["updates"] for m in bot.messages(employee_no)}
    assert await action == 200
    try:
        return await bot.wait_for(
            employee_no,
            lambda m: (
                seen.get(m["msgid"]) != m["updates"]
                and needle in _shown(bot, employee_no, m)
                and (m["task_id"] is not None or not card_next)
            ),
        )
    except TimeoutError:
        print(
            "DEBUG",
            needle,
            [(m["content"], m["buttons"], m["updates"]) for m in bot.messages(employee_no)[-4:]],
        )
        raise


async def test_a_hazard_assigned_rectified_with_a_wecom_photo_and_closed(db: Database) -> None:
    async with running_wecom_bot(db) as bot:
        for who in (OFFICER, RESPONSIBLE, REPORTER):
            await bot.hello(who)
        report = await new_hazard(bot)
        await arrives(bot, OFFICER, report.number)
        notice = bot.card_with(OFFICER, report.number)
        await press_then(bot, OFFICER, notice, "指派", f"指派 {report.number}")
        picker = bot.messages(OFFICER)[-1]
        await asyncio.sleep(0.1)  # the picker's second card (13 people, 6 buttons a card)
        assert picker["task_id"] is not None
        asked = await press_then(bot, OFFICER, None, "李四（E1000）", "请选择整改期限")
        await press_then(bot, OFFICER, asked, "3天", "整改期限", card_next=False)
        say = bot.phone.send_text(bot.userid(OFFICER), "更换扣件并逐一紧固")
        summary = await changed_after(bot, OFFICER, "李四", say)
        await press_then(bot, OFFICER, summary, "提交", "已指派给", card_next=False)

        await arrives(bot, RESPONSIBLE, f"整改通知 {report.number}")
        assert any(m["msgtype"] == "file" for m in bot.messages(RESPONSIBLE))  # the 整改通知单 PDF
        task = bot.card_with(RESPONSIBLE, f"整改通知 {report.number}")
        await press_then(bot, RESPONSIBLE, task, "整改完成", "请发送整改后的照片", card_next=False)
        before = len(bot.messages(RESPONSIBLE))
        assert await bot.phone.send_image(bot.userid(RESPONSIBLE), jpeg("green")) == 200
        got = await bot.wait_for(
            RESPONSIBLE, lambda m: "已收到 1/5 张照片" in _shown(bot, RESPONSIBLE, m), after=before
        )
        note_asked = await press_then(bot, RESPONSIBLE, got, "完成", "跳过")
        summary = await press_then(bot, RESPONSIBLE, note_asked, "跳过", "请确认整改完成")
        await press_then(bot, RESPONSIBLE, summary, "提交", "已提交整改", card_next=False)

        await arrives(bot, OFFICER, "整改已完成，请复查验收")
        verify = bot.card_with(OFFICER, "整改已完成，请复查验收")
        assert any(m["msgtype"] == "image" for m in bot.messages(OFFICER))  # the member's photo, uploaded
        await press_then(bot, OFFICER, verify, "✅ 通过", "已复查通过，销号", card_next=False)
        for who in (REPORTER, RESPONSIBLE):
            await arrives(bot, who, f"{report.number} 已复查通过并销号")
        async with bot.db.session() as session:
            row = await session.get(Report, report.id)
            events = (await session.exec(select(ReportEvent).where(ReportEvent.report_id == report.id))).all()
        assert row is not None and row.state == "closed"
        assert [e.action for e in sorted(events, key=lambda e: e.id or 0)] == [
            "reported",
            "assigned",
            "submitted",
            "closed",
        ]


# -- a card acknowledged ------------------------------------------------------------------------------------

MANAGERS = ("M0001", "M0101", "M0201")
TITLE = "冬季四防安全提示卡"


async def test_a_card_acknowledged_on_wecom_two_at_once(db: Database) -> None:
    async with running_wecom_bot(db) as bot:
        for employee_no in MANAGERS:
            await bot.hello(employee_no)
        async with bot.db.session() as session:
            session.add(
                Card(
                    id="winter",
                    title=TITLE,
                    date_rule="11-27",  # the harness clock: 2026-11-27 08:30 in Shanghai
                    send_at="08:30",
                    audience_roles=["manager"],
                    audience_units=["branch-sw"],
                    items=["防火：检查取暖设施", "防冻：管道保温"],
                    ack=["read", "deployed"],
                    source="file",
                )
            )
        await bot.tick()
        cards = {e: bot.card_with(e, TITLE) for e in MANAGERS}
        await asyncio.gather(*(bot.press(e, cards[e], "已阅") for e in ("M0101", "M0201")))
        for employee_no in ("M0101", "M0201"):
            await arrives(bot, employee_no, zh("cards.done_read"))
            await arrives(bot, employee_no, "✓ 已阅")
        card = bot.card_with("M0101", TITLE)
        await press_then(bot, "M0101", card, "已部署落实", zh("cards.done_deployed"), card_next=False)
        await arrives(bot, "M0101", zh("cards.note_ask"))
        skip = bot.card_with("M0101", TITLE)
        await press_then(bot, "M0101", skip, "跳过", zh("cards.done_skipped"), card_next=False)
        await arrives(bot, "M0101", zh("cards.complete"))
        async with bot.db.session() as session:
            events = (await session.exec(select(CardEvent).order_by(col(CardEvent.id)))).all()
        actions: dict[int | None, list[str]] = {}
        for event in events:
            actions.setdefault(event.person_id, []).append(event.action)
        assert actions[bot.people["M0201"].id] == ["read"]
        assert actions[bot.people["M0101"].id] == ["read", "deployed"]
        assert bot.people["M0001"].id not in actions


# -- faults -------------------------------------------------------------------------------------------------


async def test_an_expired_token_mid_send_and_45009_lose_no_answer(db: Database) -> None:
    async with running_wecom_bot(db) as bot:
        await bot.hello("E1001")
        fetched = bot.sandbox.gettoken_calls()
        bot.sandbox.expire_tokens()
        answer = await bot.say("E1001", "/start")
        assert answer is not None and "张三" in answer["content"]
        assert bot.sandbox.gettoken_calls() == fetched + 1  # one fresh token, then the send again
        bot.sandbox.fault("message/send", 45009)
        answer = await bot.say("E1001", "帮助")
        assert answer is not None and answer["content"]
        assert any(c.path == "message/send" and c.errcode == 45009 for c in bot.sandbox.calls)
        assert bot.sandbox.gettoken_calls() == fetched + 1


async def test_a_bad_signature_is_refused_and_a_replay_is_processed_once(db: Database) -> None:
    async with running_wecom_bot(db) as bot:
        userid = bot.userid("E1001")
        inner = (
            f"<xml><ToUserName>{bot.sandbox.corp_id}</ToUserName><FromUserName>{userid}</FromUserName>"
            "<CreateTime>1795739400</CreateTime><MsgType>text</MsgType><Content>/start</Content>"
            f"<MsgId>424242</MsgId><AgentID>{bot.sandbox.agent_id}</AgentID></xml>"
        )
        query, body = bot.phone.envelope(inner)
        forged = {**query, "msg_signature": "0" * 40}
        assert await bot.phone.post_raw(forged, body) == 403
        await bot.drain()
        async with bot.db.session() as session:
            assert (await session.exec(select(func.count()).select_from(WeComSeen))).one() == 0
            assert (await session.exec(select(func.count()).select_from(ChatIdentity))).one() == 0
        assert bot.messages("E1001") == []
        assert await asyncio.gather(bot.phone.post_raw(query, body), bot.phone.post_raw(query, body)) == [
            200,
            200,
        ]
        await bot.wait_for("E1001", lambda m: "张三" in str(m["content"]))
        assert await bot.phone.post_raw(query, body) == 200  # WeCom's retry, later
        await bot.drain()
        await asyncio.sleep(0.2)
        assert len(bot.messages("E1001")) == 1


async def test_an_unknown_member_gets_one_refusal(db: Database) -> None:
    async with running_wecom_bot(db) as bot:
        bot.sandbox.add_member("stranger")
        assert await bot.phone.send_text("stranger", "打卡") == 200
        refusal = await asyncio.wait_for(_first(bot, "stranger"), 10)
        assert refusal == zh("wecom_bridge.unknown_member")
        await bot.drain()
        assert [m["content"] for m in bot.sandbox.messages("stranger")] == [refusal]


async def _first(bot: WeComHarness, userid: str) -> str:
    while True:
        if bot.sandbox.messages(userid):
            return str(bot.sandbox.messages(userid)[0]["content"])
        await asyncio.sleep(0.02)
