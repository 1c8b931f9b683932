"""The bridge (bridge.py): each WeCom inbound item becomes the Telegram Update the handlers know, for the
person behind the userid, or one refusal for a userid not on the roster."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlmodel import func, select
from telegram import Bot, Update

from bot.channels.wecom.botapi import BASE_URL, FILE_BASE_URL
from bot.channels.wecom.bridge import PLAIN_WORDS, WeComBridge, command_text
from bot.channels.wecom.client import WeComClient
from bot.channels.wecom.directory import Directory, chat_id_of, media_path
from bot.channels.wecom.events import InboundButton, InboundImage, InboundLocation, InboundText
from bot.services import Services
from safety.callbacks import derive_secret
from safety.texts import t
from storage import wecom_queries as wq
from storage.db import Database
from storage.models import ChatIdentity, Person, Unit

NOW = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)


@dataclass
class FakeApp:
    bot: Bot
    update_queue: asyncio.Queue[object] = field(default_factory=asyncio.Queue)


@dataclass
class Rig:
    bridge: WeComBridge
    app: FakeApp
    sent: list[dict[str, Any]]
    people: dict[str, Person]
    db: Database
    services: Services

    def updates(self) -> list[Update]:
        out = []
        while not self.app.update_queue.empty():
            item = self.app.update_queue.get_nowait()
            assert isinstance(item, Update)
            out.append(item)
        return out

    async def identities(self) -> int:
        async with self.db.session() as session:
            query = select(func.count()).select_from(ChatIdentity).where(ChatIdentity.channel == "wecom")
            return (await session.exec(query)).one()


@pytest.fixture
async def rig(db: Database, tmp_path: Any) -> AsyncIterator[Rig]:
    sent: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/cgi-bin")
        if path == "/gettoken":
            return httpx.Response(200, json={"errcode": 0, "access_token": "tok", "expires_in": 7200})
        if path == "/media/get":
            if request.url.params["media_id"] == "gone":
                return httpx.Response(200, json={"errcode": 40007, "errmsg": "invalid media_id"})
            return httpx.Response(200, content=b"\xff\xd8photo", headers={"content-type": "image/jpeg"})
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"errcode": 0, "msgid": "m"})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
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
        people = [
            Person(employee_no="E1001", name="张三", unit_id="team"),
            Person(employee_no="E1000", name="李四", unit_id="team", wecom_userid="LiSi"),
            Person(employee_no="E1002", name="王二", unit_id="team", active=False),
            Person(employee_no="LiSi2", name="李思", unit_id="team", wecom_userid="lisi-2"),
        ]
        session.add_all(people)
        await session.flush()
    app = FakeApp(Bot(token="wecom", base_url=BASE_URL, base_file_url=FILE_BASE_URL))
    directory = Directory(services)
    bridge = WeComBridge(app, services, client, directory)  # type: ignore[arg-type]
    yield Rig(bridge, app, sent, {p.employee_no: p for p in people}, db, services)
    await http.aclose()


def chat(rig: Rig, employee_no: str) -> int:
    person_id = rig.people[employee_no].id
    assert person_id is not None
    return chat_id_of(person_id)


def test_plain_words_are_commands_and_commands_stay_as_they_are() -> None:
    assert command_text("打卡") == "/checkin"
    assert command_text(" 上报  漏水了 ") == "/report 漏水了"
    assert command_text("/quiz") == "/quiz"
    assert command_text("打卡了吗") == "打卡了吗"  # a word inside a sentence is just text
    assert set(PLAIN_WORDS.values()) >= {"/checkin", "/report", "/quiz", "/cancel", "/help"}


async def test_a_text_from_a_roster_member_is_a_command_update_and_binds_them(rig: Rig) -> None:
    await rig.bridge(InboundText("E1001", "上报 漏水", "1", 1764723600))
    (update,) = rig.updates()
    assert update.message is not None and update.effective_user is not None
    assert update.message.text == "/report 漏水"
    assert update.message.entities[0].type == "bot_command" and update.message.entities[0].length == 7
    assert update.effective_user.id == update.message.chat.id == chat(rig, "E1001")
    assert update.effective_user.username == "E1001" and update.message.chat.type == "private"
    assert await rig.identities() == 1 and rig.sent == []
    await rig.bridge(InboundText("E1001", "漏水严重", "2", 1764723601))
    (second,) = rig.updates()
    assert second.message is not None and second.message.text == "漏水严重" and not second.message.entities
    assert await rig.identities() == 1


async def test_the_wecom_userid_column_wins_over_the_employee_number(rig: Rig) -> None:
    await rig.bridge(InboundText("LiSi", "打卡", "1", 1))
    (update,) = rig.updates()
    assert update.effective_user is not None and update.effective_user.id == chat(rig, "E1000")
    await rig.bridge(InboundText("E1000", "打卡", "2", 2))  # 李四's employee number is not his userid
    assert rig.updates() == []
    assert [m["text"]["content"] for m in rig.sent] == [t("zh-CN", "wecom_bridge.unknown_member")]


@pytest.mark.parametrize("userid", ["nobody", "E1002"])  # not on the roster; deactivated
async def test_an_unknown_or_inactive_userid_gets_one_refusal_and_nothing_else(rig: Rig, userid: str) -> None:
    await rig.bridge(InboundText(userid, "/checkin", "1", 1))
    await rig.bridge(InboundButton(userid, "ci:forged", "task-x", "code", 2))
    assert rig.updates() == []
    assert [(m["touser"], m["text"]["content"]) for m in rig.sent] == [
        (userid, t("zh-CN", "wecom_bridge.unknown_member"))
    ] * 2
    assert await rig.identities() == 0


async def test_a_press_is_a_callback_query_on_its_card_whose_code_is_kept(rig: Rig) -> None:
    async with rig.db.session() as session:
        card_id = await wq.add_card(session, userid="E1001", task_id="wabc-0", msg_id="m1", now=NOW)
    rig.bridge.directory.remember_text(card_id, "今日班前打卡")
    await rig.bridge(InboundButton("E1001", "signed-key", "wabc-0", "code-1", 1764723600))
    (update,) = rig.updates()
    query = update.callback_query
    assert query is not None and query.data == "signed-key" and query.from_user.id == chat(rig, "E1001")
    assert query.message is not None and query.message.message_id == card_id
    assert (
        query.message.chat.id == chat(rig, "E1001") and getattr(query.message, "text", None) == "今日班前打卡"
    )
    async with rig.db.session() as session:
        card = await wq.get_card(session, card_id)
        assert card is not None and card.response_code == "code-1" and not card.response_used


async def test_a_press_on_someone_elses_card_keeps_no_code(rig: Rig) -> None:
    async with rig.db.session() as session:
        card_id = await wq.add_card(session, userid="LiSi", task_id="wother-0", msg_id="m1", now=NOW)
    await rig.bridge(InboundButton("E1001", "signed-key", "wother-0", "code-1", 1))
    (update,) = rig.updates()
    assert update.callback_query is not None and update.callback_query.message is not None
    assert update.callback_query.message.message_id == 0
    async with rig.db.session() as session:
        card = await wq.get_card(session, card_id)
        assert card is not None and card.response_code is None


async def test_a_photo_is_fetched_at_once_and_a_location_is_a_location(rig: Rig) -> None:
    await rig.bridge(InboundImage("E1001", "media-1", "1", 1))
    await rig.bridge(InboundLocation("E1001", 25.04, 102.7, "2", 2))
    photo, location = rig.updates()
    assert photo.message is not None and photo.message.photo
    path = media_path(rig.services.data_dir, photo.message.photo[-1].file_id)
    assert path is not None and path.read_bytes() == b"\xff\xd8photo"
    assert location.message is not None and location.message.location is not None
    assert (location.message.location.latitude, location.message.location.longitude) == (25.04, 102.7)


async def test_a_photo_wecom_cannot_give_is_asked_again_and_not_handed_on(rig: Rig) -> None:
    await rig.bridge(InboundImage("E1001", "gone", "1", 1))
    assert rig.updates() == []
    assert [m["text"]["content"] for m in rig.sent] == [t("zh-CN", "wecom_bridge.photo_failed")]


async def test_two_first_messages_at_once_bind_once(rig: Rig) -> None:
    await asyncio.gather(
        rig.bridge(InboundText("E1001", "打卡", "1", 1)), rig.bridge(InboundText("E1001", "考试", "2", 2))
    )
    assert sorted(u.message.text for u in rig.updates() if u.message and u.message.text) == [
        "/checkin",
        "/quiz",
    ]
    assert await rig.identities() == 1


async def test_start_wecom_serves_the_callback_beside_a_running_telegram_bot(db: Database) -> None:
    """bot.runner's hook: the callback URL it yields takes a member's message, and the answer comes."""
    from bot.channels.wecom.bridge import start_wecom
    from bot.channels.wecom.crypto import WeComCrypto
    from bot.runner import WeComRun, sandbox_wecom_settings
    from bot.sandbox_wecom import WeComSandbox, WeComUser
    from bot.settings import Settings
    from tests.flow.harness import running_bot

    async with WeComSandbox() as sandbox, running_bot(db) as flow:
        base = Settings(database_url=db.url, telegram_token=None, _env_file=None)  # type: ignore[call-arg]
        settings = sandbox_wecom_settings(base, sandbox)
        async with start_wecom(WeComRun(settings, flow.app, sandbox)) as url:
            assert url.startswith("http://127.0.0.1:") and url.endswith("/wecom/callback")
            assert settings.wecom_token is not None and settings.wecom_aes_key is not None
            crypto = WeComCrypto(
                token=settings.wecom_token.get_secret_value(),
                aes_key=settings.wecom_aes_key.get_secret_value(),
                corp_id=sandbox.corp_id,
            )
            async with WeComUser(sandbox, url, crypto) as phone:
                assert await phone.send_text("E1001", "/start") == 200
                async with asyncio.timeout(10):
                    while True:
                        if sandbox.messages("E1001"):
                            break
                        await asyncio.sleep(0.02)
            assert "张三" in sandbox.messages("E1001")[0]["content"]
            assert len(flow.app.bot_data["services"].dispatchers) == 2  # Telegram's and WeCom's
        assert len(flow.app.bot_data["services"].dispatchers) == 1


async def test_a_configuration_fault_tells_each_admin_once_a_day(db: Database) -> None:
    from bot.channels.wecom.run import admins_alert
    from safety.imports.service import import_org_file
    from storage.models import OutboxMessage
    from tests.flow.harness import EXAMPLES

    async with db.session() as session:
        await import_org_file(session, EXAMPLES / "org.yaml")
    services = Services(database_url=db.url, callback_secret=derive_secret("t"), clock=lambda: NOW)
    services.db = db
    alert = admins_alert(services)
    await alert("60020")
    await alert("60020")  # WeCom failing again the same day
    async with db.session() as session:
        rows = (await session.exec(select(OutboxMessage))).all()
        admins = {
            p.id for p in (await session.exec(select(Person))).all() if p.employee_no in {"A0001", "A0002"}
        }
    assert {r.person_id for r in rows} == admins and len(rows) == 2
    assert all("60020" in json.dumps(r.payload, ensure_ascii=False) for r in rows)
