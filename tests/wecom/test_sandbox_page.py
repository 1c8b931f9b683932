"""The sandbox page's WeCom channel: listed beside Telegram, the members and what the bot sent them, and a
member's text, press, photo and location going out as encrypted callbacks the bot's crypto reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from bot.channels.wecom import events
from bot.channels.wecom.crypto import WeComCrypto
from bot.sandbox import SandboxServer
from bot.sandbox.web import attach_channel_page
from bot.sandbox_wecom import WeComSandbox, WeComUser
from bot.sandbox_wecom.page import WeComPage

AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 32


class Receiver(RequestHandler):
    def initialize(self, crypto: WeComCrypto, got: list[Any]) -> None:
        self.crypto, self.got = crypto, got

    def post(self) -> None:
        query = {k: self.get_query_argument(k) for k in ("msg_signature", "timestamp", "nonce")}
        self.got.append(events.parse(self.crypto.decrypt_message(**query, body=self.request.body)))
        self.finish("")


@dataclass
class Page:
    http: httpx.AsyncClient
    wecom: WeComSandbox
    page: WeComPage
    got: list[Any]
    phone: WeComUser

    async def act(self, action: str, **body: Any) -> httpx.Response:
        return await self.http.post(f"/sandbox/api/channel/wecom/{action}", json=body)


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    server, wecom = SandboxServer(), WeComSandbox()
    wecom_page = WeComPage(wecom)
    attach_channel_page(server, "wecom", wecom_page)
    await server.start()
    await wecom.start()
    wecom.add_member("E1001", "张三", "张三 · 爆破班 · staff")
    crypto = WeComCrypto(token="t0ken", aes_key=AES_KEY, corp_id=wecom.corp_id)
    got: list[Any] = []
    sockets = bind_sockets(0, "127.0.0.1")
    callback = HTTPServer(Application([(r"/cb", Receiver, {"crypto": crypto, "got": got})]))
    callback.add_sockets(sockets)
    phone = WeComUser(wecom, f"http://127.0.0.1:{sockets[0].getsockname()[1]}/cb", crypto)
    async with httpx.AsyncClient(base_url=server.url) as http:
        yield Page(http, wecom, wecom_page, got, phone)
    await phone.aclose()
    callback.stop()
    await wecom.stop()
    await server.stop()


async def test_the_page_lists_both_channels_and_the_members(page: Page) -> None:
    assert (await page.http.get("/sandbox/api/channels")).json() == {"channels": ["telegram", "wecom"]}
    members = (await page.http.get("/sandbox/api/channel/wecom/members")).json()
    assert members["members"] == [{"userid": "E1001", "name": "张三", "label": "张三 · 爆破班 · staff"}]
    assert members["connected"] is False
    html = (await page.http.get("/")).text
    assert 'data-testid="channel-picker"' in html and "wecom.js" in html
    assert (await page.http.get("/sandbox/static/wecom.js")).status_code == 200
    alone = SandboxServer()
    await alone.start()
    try:
        async with httpx.AsyncClient(base_url=alone.url) as http:
            assert (await http.get("/sandbox/api/channels")).json() == {"channels": ["telegram"]}
            assert (await http.get("/sandbox/api/channel/wecom/members")).status_code == 404
    finally:
        await alone.stop()


async def test_without_the_bridge_a_member_cannot_act(page: Page) -> None:
    refused = await page.act("send", userid="E1001", text="打卡")
    assert refused.status_code == 503 and page.got == []


async def test_a_member_types_presses_and_sends_a_photo_and_a_place(page: Page) -> None:
    page.page.connect(page.phone)
    assert (await page.act("send", userid="E1001", text="打卡")).status_code == 200
    card = {
        "card_type": "button_interaction",
        "main_title": {"title": "今日提示卡"},
        "task_id": "card-7",
        "button_list": [{"text": "已阅", "key": "ack:7"}],
    }
    page.wecom.state.send(
        {"touser": "E1001", "msgtype": "template_card", "agentid": 1000002, "template_card": card}
    )
    assert (await page.act("press", userid="E1001", task_id="card-7", key="ack:7")).status_code == 200
    assert (await page.act("press", userid="E1001", task_id="card-7", key="nope")).status_code == 400
    photo = await page.http.post(
        "/sandbox/api/channel/wecom/photo",
        data={"userid": "E1001"},
        files={"file": ("p.png", PNG, "image/png")},
    )
    assert photo.status_code == 200
    assert (await page.act("location", userid="E1001", latitude=27.8, longitude=99.7)).status_code == 200
    text, press, image, place = page.got
    assert isinstance(text, events.InboundText) and text.text == "打卡"
    assert isinstance(press, events.InboundButton) and (press.task_id, press.event_key) == ("card-7", "ack:7")
    assert isinstance(image, events.InboundImage) and isinstance(place, events.InboundLocation)
    media = await page.http.get("/sandbox/api/channel/wecom/media", params={"media_id": image.media_id})
    assert media.content == PNG and media.headers["content-type"] == "image/png"
    shown = (
        await page.http.get("/sandbox/api/channel/wecom/conversation", params={"userid": "E1001"})
    ).json()
    assert [(m["from"], m["msgtype"]) for m in shown["messages"]] == [
        ("user", "text"),
        ("bot", "template_card"),
        ("user", "press"),
        ("user", "image"),
        ("user", "location"),
    ]
    assert shown["messages"][1]["buttons"] == [["已阅", "ack:7"]]
    page.wecom.limits.per_minute = 0  # everything now is over the limit: dropped, shown as such
    page.wecom.state.send(
        {"touser": "E1001", "msgtype": "text", "agentid": 1000002, "text": {"content": "x"}}
    )
    lost = (await page.http.get("/sandbox/api/channel/wecom/conversation", params={"userid": "E1001"})).json()
    assert lost["messages"][-1]["dropped"] is True and len(page.wecom.messages("E1001")) == 1
    shown = lost
    quiet = await page.http.get(
        "/sandbox/api/channel/wecom/conversation",
        params={"userid": "E1001", "since": shown["revision"], "timeout": 0.05},
    )
    assert quiet.json()["revision"] == shown["revision"]
