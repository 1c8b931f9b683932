"""The Bot API answered by WeCom (botapi.py): PTB's own Bot calls go through WeComBotApiRequest to a fake
WeCom (httpx.MockTransport), and what a member would see there is checked, with the WeComCard rows kept."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlmodel import select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.channels.wecom.botapi import BASE_URL, FILE_BASE_URL, WeComBotApiRequest
from bot.channels.wecom.client import WeComClient
from bot.channels.wecom.directory import FILE_PREFIX, MEDIA_DIR, Directory, chat_id_of
from bot.services import Services
from safety.callbacks import derive_secret
from storage import wecom_bridge_queries as bq
from storage import wecom_queries as wq
from storage.db import Database
from storage.models import Person, Unit
from storage.models.wecom import WeComCard

NOW = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
USERID = "ZhangSan"


@dataclass
class FakeWeCom:
    """What the bot sent, by API path; `faults` answer the next call of a path with an errcode."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    faults: dict[str, list[int]] = field(default_factory=dict)
    uploads: list[tuple[str, bytes]] = field(default_factory=list)
    sent = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/cgi-bin")
        if path == "/gettoken":
            return httpx.Response(200, json={"errcode": 0, "access_token": "tok", "expires_in": 7200})
        if self.faults.get(path):
            return httpx.Response(200, json={"errcode": self.faults[path].pop(0), "errmsg": "fault"})
        if path == "/media/upload":
            self.uploads.append((request.url.params["type"], request.content))
            return httpx.Response(200, json={"errcode": 0, "media_id": f"m{len(self.uploads)}"})
        body = json.loads(request.content)
        self.calls.append((path, body))
        self.sent += 1
        answer: dict[str, Any] = {"errcode": 0, "msgid": f"msg{self.sent}"}
        if body.get("msgtype") == "template_card":
            answer["response_code"] = f"send-code-{self.sent}"
        return httpx.Response(200, json=answer)

    def sent_to(self, path: str = "/message/send") -> list[dict[str, Any]]:
        return [body for p, body in self.calls if p == path]


@dataclass
class Rig:
    bot: Bot
    wecom: FakeWeCom
    services: Services
    chat: int


@pytest.fixture
async def rig(db: Database, tmp_path: Any) -> AsyncIterator[Rig]:
    wecom = FakeWeCom()
    http = httpx.AsyncClient(transport=httpx.MockTransport(wecom.handler))
    client = WeComClient(
        base_url="http://wecom.test/cgi-bin", corp_id="ww1", secret="s", agent_id=7, http=http
    )
    services = Services(
        database_url=db.url, callback_secret=derive_secret("t"), data_dir=tmp_path, clock=lambda: NOW
    )
    services.db = db
    async with db.session() as session:
        session.add(Unit(id="team", name="班组"))
        await session.flush()
        person = Person(employee_no=USERID, name="张三", unit_id="team")
        session.add(person)
        await session.flush()
        assert person.id is not None
        await bq.ensure_identity(session, person_id=person.id, userid=USERID, now=NOW)
        chat = chat_id_of(person.id)
    request = WeComBotApiRequest(client, services, Directory(services))
    bot = Bot(token="wecom", base_url=BASE_URL, base_file_url=FILE_BASE_URL, request=request)
    async with bot:
        yield Rig(bot=bot, wecom=wecom, services=services, chat=chat)
    await http.aclose()


def keyboard(count: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(f"选项{i}", callback_data=f"k{i}")] for i in range(count)]
    )


async def cards(db: Database) -> list[WeComCard]:
    async with db.session() as session:
        return list((await session.exec(select(WeComCard).order_by(WeComCard.id))).all())  # type: ignore[arg-type]


async def test_get_me_and_menus_answer_without_calling_wecom(rig: Rig) -> None:
    assert rig.bot.username == "safetybot_wecom"
    assert await rig.bot.set_my_commands([("checkin", "打卡")]) is True
    assert rig.wecom.calls == []


async def test_a_text_goes_to_the_member_and_its_message_id_is_a_wecom_card(rig: Rig, db: Database) -> None:
    sent = await rig.bot.send_message(rig.chat, "已记录：07:12 正常")
    assert rig.wecom.sent_to() == [
        {"touser": USERID, "msgtype": "text", "text": {"content": "已记录：07:12 正常"}, "agentid": 7}
    ]
    rows = await cards(db)
    assert [(r.id, r.userid, r.task_id, r.msg_id) for r in rows] == [(sent.message_id, USERID, None, "msg1")]
    assert sent.chat.id == rig.chat and sent.text == "已记录：07:12 正常"


async def test_buttons_become_template_cards_with_the_callback_data_as_keys(rig: Rig, db: Database) -> None:
    sent = await rig.bot.send_message(rig.chat, "今日班前打卡\n07:30 前", reply_markup=keyboard(8))
    bodies = rig.wecom.sent_to()
    assert [b["msgtype"] for b in bodies] == ["template_card", "template_card"]
    keys = [button["key"] for b in bodies for button in b["template_card"]["button_list"]]
    assert keys == [f"k{i}" for i in range(8)]
    rows = await cards(db)
    assert len(rows) == 2 and sent.message_id == rows[0].id
    assert rows[0].task_id == bodies[0]["template_card"]["task_id"]
    assert sent.reply_markup is not None


async def test_an_edit_updates_the_card_once_with_the_press_code_else_sends_a_fresh_card(
    rig: Rig, db: Database
) -> None:
    sent = await rig.bot.send_message(rig.chat, "第1题", reply_markup=keyboard(2))
    task_id = rig.wecom.sent_to()[0]["template_card"]["task_id"]
    async with db.session() as session:
        assert await wq.record_response(session, task_id=task_id, response_code="press-1", now=NOW)
    edited = await rig.bot.edit_message_text(
        "第2题", chat_id=rig.chat, message_id=sent.message_id, reply_markup=keyboard(2)
    )
    assert isinstance(edited, object)
    updates = rig.wecom.sent_to("/message/update_template_card")
    assert len(updates) == 1 and updates[0]["response_code"] == "press-1"
    assert updates[0]["template_card"]["task_id"] == task_id
    assert updates[0]["template_card"]["main_title"]["title"] == "第2题"
    # The code is used: the next edit is a fresh card, and the message id now stands for it.
    again = await rig.bot.edit_message_text(
        "第3题", chat_id=rig.chat, message_id=sent.message_id, reply_markup=keyboard(2)
    )
    assert len(rig.wecom.sent_to("/message/update_template_card")) == 1
    fresh = rig.wecom.sent_to()[-1]["template_card"]
    assert fresh["main_title"]["title"] == "第3题" and fresh["task_id"] != task_id
    assert not isinstance(again, bool) and again.message_id == sent.message_id
    rows = {r.id: r for r in await cards(db)}
    assert rows[sent.message_id].task_id == fresh["task_id"]


async def test_removing_buttons_answers_the_card_once_then_sends_nothing(rig: Rig) -> None:
    """The buttons give way to the card's text (button.replace_name) with the code it holds; with the
    code used, removing them again calls nothing."""
    sent = await rig.bot.send_message(rig.chat, "请选择", reply_markup=keyboard(2))
    before = len(rig.wecom.calls)
    await rig.bot.edit_message_reply_markup(chat_id=rig.chat, message_id=sent.message_id, reply_markup=None)
    updates = rig.wecom.sent_to("/message/update_template_card")
    assert len(rig.wecom.calls) == before + 1 and len(updates) == 1
    assert updates[0]["button"] == {"replace_name": "请选择"} and "template_card" not in updates[0]
    await rig.bot.edit_message_reply_markup(chat_id=rig.chat, message_id=sent.message_id, reply_markup=None)
    assert len(rig.wecom.calls) == before + 1


async def test_a_press_answer_is_a_message_only_when_it_has_text(rig: Rig) -> None:
    await rig.bot.answer_callback_query(f"{rig.chat}.1")
    assert rig.wecom.calls == []
    await rig.bot.answer_callback_query(f"{rig.chat}.2", text="此按钮已过期", show_alert=True)
    assert [b["text"]["content"] for b in rig.wecom.sent_to()] == ["此按钮已过期"]


async def test_a_document_is_uploaded_and_sent_with_its_caption_after(rig: Rig) -> None:
    sent = await rig.bot.send_document(
        rig.chat, InputFile(b"%PDF-1.4 report", filename="r.pdf"), caption="月报"
    )
    assert [kind for kind, _ in rig.wecom.uploads] == ["file"] and b"%PDF-1.4 report" in rig.wecom.uploads[0][
        1
    ]
    bodies = rig.wecom.sent_to()
    assert bodies[0]["msgtype"] == "file" and bodies[0]["file"] == {"media_id": "m1"}
    assert bodies[1]["text"]["content"] == "月报"
    assert sent.document is not None and sent.caption == "月报"


async def test_a_photo_the_member_sent_is_read_back_with_get_file(rig: Rig) -> None:
    folder = rig.services.data_dir / MEDIA_DIR
    folder.mkdir(parents=True)
    (folder / "abc.jpg").write_bytes(b"\xff\xd8jpeg")
    found = await rig.bot.get_file(FILE_PREFIX + "abc.jpg")
    assert bytes(await found.download_as_bytearray()) == b"\xff\xd8jpeg"
    with pytest.raises(BadRequest):
        await rig.bot.get_file("AgACAgIAAx0-telegram-id")
    with pytest.raises(BadRequest):
        await rig.bot.get_file(FILE_PREFIX + "../secrets")


async def test_wecom_errors_become_the_bot_api_errors_handlers_know(rig: Rig) -> None:
    request = rig.bot.request
    assert isinstance(request, WeComBotApiRequest)
    request.rate_limit_seconds = {45009: 0.5}
    rig.wecom.faults["/message/send"] = [45009, 81013]
    with pytest.raises(RetryAfter):
        await rig.bot.send_message(rig.chat, "a")
    with pytest.raises(Forbidden):
        await rig.bot.send_message(rig.chat, "b")
    with pytest.raises(BadRequest):
        await rig.bot.send_message(123456, "a Telegram chat id")


async def test_an_unknown_chat_is_found_through_the_wecom_identity(rig: Rig, db: Database) -> None:
    fresh = WeComBotApiRequest(rig.bot.request.client, rig.services)  # type: ignore[attr-defined]
    assert await fresh.directory.userid(rig.chat) == USERID
    with pytest.raises(Exception, match="chat not found"):
        await fresh.directory.userid(chat_id_of(99999))


async def test_a_member_who_left_the_corp_is_forbidden(rig: Rig) -> None:
    def left(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/gettoken"):
            return httpx.Response(200, json={"errcode": 0, "access_token": "tok", "expires_in": 7200})
        return httpx.Response(200, json={"errcode": 0, "invaliduser": USERID, "msgid": ""})

    request = rig.bot.request
    assert isinstance(request, WeComBotApiRequest)
    request.client._http = httpx.AsyncClient(transport=httpx.MockTransport(left))
    with pytest.raises(Forbidden):
        await rig.bot.send_message(rig.chat, "还在吗")
    await request.client.http.aclose()


async def test_an_edit_that_changes_nothing_is_refused_as_not_modified(rig: Rig) -> None:
    sent = await rig.bot.send_message(rig.chat, "请选择", reply_markup=keyboard(2))
    before = len(rig.wecom.calls)
    with pytest.raises(BadRequest, match="not modified"):
        await rig.bot.edit_message_text(
            "请选择", chat_id=rig.chat, message_id=sent.message_id, reply_markup=keyboard(2)
        )
    assert len(rig.wecom.calls) == before
