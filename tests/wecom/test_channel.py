"""The WeCom outbox channel against a fake API at the HTTP boundary, on SQLite and PostgreSQL: views as
cards of ≤ 6 buttons signed for the recipient, edits as card updates with a response code (once, < 24 h)
or else a fresh card the message then stands for, files uploaded and sent, refusals as delivery errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.channels.wecom.channel import MEMBER, WeComChannel, wecom_budget
from bot.channels.wecom.client import WeComClient
from bot.sandbox_wecom import WeComSandbox
from safety import callbacks
from safety.delivery import RateLimited, Recipient, Unreachable
from safety.views import Action, Attachment, View
from storage import wecom_queries as wq
from storage.db import Database
from tests.wecom.fake_api import AGENT, BASE, CORP, SECRET, FakeWeCom

KEY = b"c" * 32
ZHANG = Recipient("zhangsan", person_id=7)


class Now:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def api() -> FakeWeCom:
    return FakeWeCom()


@pytest.fixture
def now() -> Now:
    return Now()


@pytest.fixture
async def channel(db: Database, api: FakeWeCom, now: Now, tmp_path: Path) -> AsyncIterator[WeComChannel]:
    async with api.http() as http:
        client = WeComClient(base_url=BASE, corp_id=CORP, secret=SECRET, agent_id=AGENT, http=http)
        yield WeComChannel(client, db, secret=KEY, data_dir=tmp_path, clock=now)


def _view(buttons: int, *lines: str) -> View:
    rows = tuple((Action(_label(i), "ack", str(i)),) for i in range(buttons))
    return View(lines or ("隐患整改通知", "请确认"), rows)


def _label(i: int) -> Any:
    from safety.views import Text

    return Text("delivery.raw", value=f"已阅{i}")


def _cards(api: FakeWeCom) -> list[dict[str, Any]]:
    return [m["template_card"] for m in api.sent if m["msgtype"] == "template_card"]


async def test_eight_buttons_make_two_cards_signed_for_the_recipient(
    channel: WeComChannel, api: FakeWeCom, db: Database
) -> None:
    sent = await channel.send(ZHANG, _view(8))
    cards = _cards(api)
    assert [len(c["button_list"]) for c in cards] == [6, 2]
    assert {m["touser"] for m in api.sent} == {"zhangsan"}
    keys = [b["key"] for c in cards for b in c["button_list"]]
    assert [callbacks.decode(KEY, person_id=7, data=k) for k in keys] == [
        callbacks.Callback("ack", str(i)) for i in range(8)
    ]
    assert all(callbacks.decode(KEY, person_id=8, data=k) is None for k in keys)  # not someone else's
    assert [b["text"] for b in cards[0]["button_list"]][:2] == ["已阅0", "已阅1"]
    async with db.reading() as session:
        first = await wq.get_card(session, sent.message_id)
        assert first is not None and first.task_id == cards[0]["task_id"]
        assert await wq.card_by_task(session, cards[1]["task_id"]) is not None
    assert cards[0]["task_id"] != cards[1]["task_id"]


async def test_an_edit_within_24_hours_updates_the_card_once_then_fresh_cards(
    channel: WeComChannel, api: FakeWeCom, now: Now
) -> None:
    sent = await channel.send(ZHANG, _view(2))
    task_id = _cards(api)[0]["task_id"]
    now.at += timedelta(hours=23)
    await channel.edit(ZHANG, sent.message_id, _view(1, "隐患整改通知", "已阅：张三"))
    assert len(api.updates) == 1
    update = api.updates[0]
    assert update["userids"] == ["zhangsan"] and update["template_card"]["task_id"] == task_id
    assert update["template_card"]["sub_title_text"] == "已阅：张三"
    assert len(api.sent) == 1
    await channel.edit(ZHANG, sent.message_id, _view(1, "隐患整改通知", "全部已阅"))  # the code is used
    assert len(api.updates) == 1 and len(api.sent) == 2
    fresh = _cards(api)[1]
    assert fresh["task_id"] != task_id and fresh["sub_title_text"] == "全部已阅"
    now.at += timedelta(hours=25)  # the fresh card's own code is too old now
    await channel.edit(ZHANG, sent.message_id, _view(1, "隐患整改通知", "再次提醒"))
    assert len(api.updates) == 1 and len(api.sent) == 3


async def test_a_press_brings_a_response_code_the_next_edit_uses(
    channel: WeComChannel, api: FakeWeCom, db: Database, now: Now
) -> None:
    sent = await channel.send(ZHANG, _view(8))
    second = _cards(api)[1]["task_id"]
    await channel.edit(ZHANG, sent.message_id, _view(1))  # uses the first card's code from the send
    async with db.session() as session:  # the press on the second card (the bridge records it)
        await wq.record_response(session, task_id=second, response_code="pressed-1", now=now())
        assert not await wq.record_response(session, task_id="forged-0", response_code="x", now=now())
    await channel.edit(ZHANG, sent.message_id, _view(1, "隐患整改通知", "已部署落实"))
    assert [u["response_code"] for u in api.updates] == ["code1", "pressed-1"]
    assert api.updates[1]["template_card"]["task_id"] == second
    assert len(api.sent) == 2  # no fresh card was needed


async def test_two_edits_at_once_update_the_card_only_once(
    channel: WeComChannel, api: FakeWeCom, db: Database
) -> None:
    sent = await channel.send(ZHANG, _view(1))
    await asyncio.gather(
        channel.edit(ZHANG, sent.message_id, _view(1, "隐患整改通知", "甲")),
        channel.edit(ZHANG, sent.message_id, _view(1, "隐患整改通知", "乙")),
    )
    assert len(api.updates) == 1  # one response code, used once
    assert len(_cards(api)) == 2  # the other edit became a fresh card
    async with db.reading() as session:
        card = await wq.get_card(session, sent.message_id)
        assert card is not None and card.task_id == _cards(api)[1]["task_id"]


async def test_an_edit_too_long_for_a_card_is_sent_fresh_as_text_and_card(
    channel: WeComChannel, api: FakeWeCom
) -> None:
    sent = await channel.send(ZHANG, _view(1))
    lines = ("今日汇总", *(f"{i}. 脚手架连接件松动，已通知班组长处理" for i in range(12)))
    await channel.edit(ZHANG, sent.message_id, _view(1, *lines))
    assert api.updates == []
    assert [m["msgtype"] for m in api.sent] == ["template_card", "text", "template_card"]
    assert api.sent[1]["text"]["content"] == "\n".join(lines)
    await channel.edit(ZHANG, sent.message_id, _view(1, "今日汇总", "完成"))  # the fresh card's code
    assert len(api.updates) == 1 and api.updates[0]["template_card"]["task_id"] == _cards(api)[1]["task_id"]


async def test_a_file_is_uploaded_and_sent_after_the_text(
    channel: WeComChannel, api: FakeWeCom, tmp_path: Path
) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "r1.pdf").write_bytes(b"%PDF-1.4 report")
    (tmp_path / "p.jpg").write_bytes(b"\xff\xd8jpeg")
    files = (
        Attachment("document", name="整改报告.pdf", path="reports/r1.pdf"),
        Attachment("photo", path="p.jpg"),
        Attachment("photo", file_id="telegram-only"),  # no kept copy: skipped
    )
    sent = await channel.send(ZHANG, View(("整改报告",), (), files))
    assert [m["msgtype"] for m in api.sent] == ["text", "file", "image"]
    assert [(k, n) for k, n, _ in api.uploads] == [("file", "整改报告.pdf"), ("image", "p.jpg")]
    assert b"%PDF-1.4 report" in api.uploads[0][2]
    assert api.sent[1]["file"]["media_id"].startswith("media")
    assert sent.message_id > 0


async def test_an_unknown_member_is_unreachable(channel: WeComChannel, api: FakeWeCom) -> None:
    api.fault("/message/send", 81013)
    with pytest.raises(Unreachable):
        await channel.send(Recipient("nobody", person_id=9), _view(1))


def test_the_budget_paces_each_member_within_wecom_limits() -> None:
    budget = wecom_budget()
    assert budget.private == MEMBER and budget.group == MEMBER
    assert MEMBER.capacity + 60 * MEMBER.rate <= 30 / 2  # views of up to two messages: ≤ 30 a minute
    assert MEMBER.capacity + 3600 * MEMBER.rate <= 1000


async def test_against_the_sandbox_cards_a_press_an_update_and_a_file(
    db: Database, now: Now, tmp_path: Path
) -> None:
    """The same flow over real HTTP against W3's WeCom sandbox: what WeCom accepts and the phone shows."""
    async with WeComSandbox(clock=now) as sandbox:
        sandbox.add_member("zhangsan", "张三")
        client = WeComClient(
            base_url=sandbox.base_url,
            corp_id=sandbox.corp_id,
            secret=sandbox.secret,
            agent_id=sandbox.agent_id,
        )
        channel = WeComChannel(client, db, secret=KEY, data_dir=tmp_path, clock=now)
        await channel.start()
        try:
            (tmp_path / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
            view = _view(8)
            sent = await channel.send(
                ZHANG, View(view.lines, view.actions, (Attachment("photo", path="chart.png"),))
            )
            phone = sandbox.messages("zhangsan")
            assert [m["msgtype"] for m in phone] == ["template_card", "template_card", "image"]
            assert [len(m["buttons"]) for m in phone[:2]] == [6, 2]
            second = phone[1]
            code = sandbox.state.issue_code("zhangsan", second["task_id"], second["buttons"][0][1])
            async with db.session() as session:
                await wq.record_response(session, task_id=second["task_id"], response_code=code, now=now())
            sandbox.expire_tokens()  # mid-conversation: one new token, the call retried once
            await channel.edit(ZHANG, sent.message_id, _view(1, "隐患整改通知", "已阅：张三"))
            card = sandbox.card("zhangsan", second["task_id"])
            assert card["updates"] == 1 and "已阅：张三" in card["content"] and len(card["buttons"]) == 1
            assert sandbox.gettoken_calls() == 2
            await channel.edit(ZHANG, sent.message_id, _view(1, "隐患整改通知", "全部已阅"))  # code used
            assert (
                len(sandbox.messages("zhangsan")) == 4
                and "全部已阅" in sandbox.messages("zhangsan")[-1]["content"]
            )
            sandbox.fault("message/send", 45009)
            with pytest.raises(RateLimited):
                await channel.send(ZHANG, _view(1))
        finally:
            await channel.stop()


async def test_an_edit_to_a_state_without_buttons_is_a_fresh_text(
    channel: WeComChannel, api: FakeWeCom
) -> None:
    sent = await channel.send(ZHANG, _view(1))
    await channel.edit(ZHANG, sent.message_id, _view(0, "隐患整改通知", "已关闭"))
    # a button card cannot lose all its buttons: they give way to the state's first line, once
    assert [u["button"] for u in api.updates] == [{"replace_name": "隐患整改通知"}]
    assert api.sent[-1] == {
        "touser": "zhangsan",
        "msgtype": "text",
        "text": {"content": "隐患整改通知\n已关闭"},
        "agentid": AGENT,
    }
