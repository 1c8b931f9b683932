"""The WeCom sandbox over real HTTP: gettoken and the token checks, message/send's shapes and limits,
template cards and their response codes, media, the per-member limits, injected faults, and the phone's
encrypted callbacks as the real WeComCrypto and event parser read them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from bot.channels.wecom import events
from bot.channels.wecom.crypto import WeComCrypto
from bot.sandbox_wecom import Limits, WeComSandbox, WeComUser

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 27, 1, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Api:
    sandbox: WeComSandbox
    http: httpx.AsyncClient
    clock: Clock
    token: str = ""

    async def get(self, path: str, **params: Any) -> dict[str, Any]:
        response = await self.http.get(path, params=params)
        assert response.status_code == 200
        data: dict[str, Any] = response.json()
        return data

    async def post(self, path: str, body: Any, token: str | None = None) -> dict[str, Any]:
        response = await self.http.post(path, params={"access_token": token or self.token}, json=body)
        assert response.status_code == 200
        data: dict[str, Any] = response.json()
        return data

    async def send(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self.post("message/send", {"agentid": self.sandbox.agent_id, **body})

    async def text(self, touser: str, content: str) -> dict[str, Any]:
        return await self.send({"touser": touser, "msgtype": "text", "text": {"content": content}})


def card(task_id: str, buttons: int = 2) -> dict[str, Any]:
    return {
        "card_type": "button_interaction",
        "main_title": {"title": "提示卡", "desc": "今日安全提示"},
        "task_id": task_id,
        "button_list": [{"text": f"已阅{i}", "style": 1, "key": f"k{i}"} for i in range(buttons)],
    }


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    clock = Clock()
    sandbox = WeComSandbox(clock=clock)
    await sandbox.start()
    sandbox.add_member("E1001", "张三")
    sandbox.add_member("E1000", "李四")
    async with httpx.AsyncClient(base_url=sandbox.base_url + "/") as http:
        api = Api(sandbox, http, clock)
        got = await api.get("gettoken", corpid="wwsandbox", corpsecret="sandbox-secret")
        api.token = got["access_token"]
        yield api
    await sandbox.stop()


async def test_gettoken_answers_a_token_for_7200_seconds_and_refuses_wrong_credentials(api: Api) -> None:
    again = await api.get("gettoken", corpid="wwsandbox", corpsecret="sandbox-secret")
    assert again["errcode"] == 0 and again["access_token"] == api.token and again["expires_in"] == 7200
    api.clock.advance(seconds=100)
    later = await api.get("gettoken", corpid="wwsandbox", corpsecret="sandbox-secret")
    assert later["access_token"] == api.token and later["expires_in"] == 7100
    assert (await api.get("gettoken", corpid="wwother", corpsecret="sandbox-secret"))["errcode"] == 40013
    wrong = await api.get("gettoken", corpid="wwsandbox", corpsecret="nope")
    assert wrong["errcode"] == 40001 and "access_token" not in wrong
    assert (await api.get("gettoken", corpsecret="sandbox-secret"))["errcode"] == 41002
    assert api.sandbox.gettoken_calls() == 6


async def test_every_call_needs_a_live_token(api: Api) -> None:
    body = {"touser": "E1001", "msgtype": "text", "agentid": 1000002, "text": {"content": "hi"}}
    assert (await api.http.post("message/send", json=body)).json()["errcode"] == 41001
    assert (await api.post("message/send", body, token="forged"))["errcode"] == 40014
    api.sandbox.expire_tokens()
    assert (await api.post("message/send", body))["errcode"] == 42001
    fresh = await api.get("gettoken", corpid="wwsandbox", corpsecret="sandbox-secret")
    assert fresh["access_token"] != api.token and fresh["expires_in"] == 7200
    assert (await api.post("message/send", body, token=fresh["access_token"]))["errcode"] == 0
    api.clock.advance(seconds=7200)
    assert (await api.post("message/send", body, token=fresh["access_token"]))["errcode"] == 42001
    assert [m["content"] for m in api.sandbox.messages("E1001")] == ["hi"]


async def test_text_reaches_valid_members_and_lists_the_invalid_ones(api: Api) -> None:
    sent = await api.text("E1001|nobody|e1000", "今天 8:00 打卡")
    assert sent["errcode"] == 0 and sent["invaliduser"] == "nobody" and sent["msgid"]
    assert "response_code" not in sent
    assert [m["content"] for m in api.sandbox.messages("e1001")] == ["今天 8:00 打卡"]
    assert api.sandbox.messages("E1000")[0]["msgid"] == sent["msgid"]
    nobody = await api.text("nobody|ghost", "x")
    assert nobody["errcode"] == 81013
    api.sandbox.remove_member("E1000")
    assert (await api.text("E1000", "gone"))["errcode"] == 81013


async def test_message_shapes_are_checked(api: Api) -> None:
    long = "安" * 1000  # 3,000 bytes: WeCom cuts text at 2,048
    assert (await api.text("E1001", long))["errcode"] == 0
    shown = api.sandbox.messages("E1001")[-1]
    assert shown["text"]["truncated"] and shown["content"] == "安" * 682
    wrong_agent = {"touser": "E1001", "msgtype": "text", "agentid": 1, "text": {"content": "x"}}
    assert (await api.post("message/send", wrong_agent))["errcode"] == 40056
    assert (await api.send({"touser": "E1001", "msgtype": "voicecall"}))["errcode"] == 40008
    markdown = await api.send({"touser": "E1001", "msgtype": "markdown", "markdown": {"content": "**整改**"}})
    assert markdown["errcode"] == 0
    textcard = {"title": "整改通知", "description": "请处理", "url": "https://example.com", "btntxt": "详情"}
    assert (await api.send({"touser": "E1001", "msgtype": "textcard", "textcard": textcard}))["errcode"] == 0
    no_url = {"touser": "E1001", "msgtype": "textcard", "textcard": {"title": "a", "description": "b"}}
    assert (await api.send(no_url))["errcode"] != 0
    bad_json = await api.http.post("message/send", params={"access_token": api.token}, content=b"{nope")
    assert bad_json.json()["errcode"] == 47001
    assert [m["msgtype"] for m in api.sandbox.messages("E1001")] == ["text", "markdown", "textcard"]


async def test_template_cards_allow_six_buttons_and_a_unique_task_id(api: Api) -> None:
    send = {"touser": "E1001", "msgtype": "template_card"}
    ok = await api.send({**send, "template_card": card("card-1", buttons=6)})
    assert ok["errcode"] == 0 and ok["msgid"] and "response_code" not in ok
    seven = await api.send({**send, "template_card": card("card-2", buttons=7)})
    assert seven["errcode"] == 40058 and "6" in seven["errmsg"]
    again = await api.send({**send, "template_card": card("card-1")})
    assert again["errcode"] == 40058 and "task_id" in again["errmsg"]
    no_task = card("x")
    del no_task["task_id"]
    assert (await api.send({**send, "template_card": no_task}))["errcode"] == 40058
    shown = api.sandbox.messages("E1001")
    assert len(shown) == 1 and shown[0]["task_id"] == "card-1"
    assert shown[0]["buttons"] == [(f"已阅{i}", f"k{i}") for i in range(6)]
    assert "提示卡" in shown[0]["content"]


async def test_two_sends_with_one_task_id_at_once_deliver_one_card(api: Api) -> None:
    body = {"touser": "E1001", "msgtype": "template_card", "template_card": card("same")}
    answers = await asyncio.gather(api.send(body), api.send(body))
    assert sorted(a["errcode"] for a in answers) == [0, 40058]
    assert len(api.sandbox.messages("E1001")) == 1


async def test_a_press_response_code_updates_its_card_once_within_24_hours(api: Api) -> None:
    await api.send({"touser": "E1001", "msgtype": "template_card", "template_card": card("t1")})
    await api.send({"touser": "E1001", "msgtype": "template_card", "template_card": card("t2")})
    code = api.sandbox.state.issue_code("E1001", "t1", "k0")
    update = {
        "userids": ["E1001"],
        "agentid": 1000002,
        "response_code": code,
        "button": {"replace_name": "已阅 ✓"},
    }
    done = await api.post("message/update_template_card", update)
    assert done["errcode"] == 0 and done["invaliduser"] == []
    answered = api.sandbox.card("E1001", "t1")
    assert answered["replaced"] == "已阅 ✓" and answered["buttons"] == [] and answered["updates"] == 1
    assert api.sandbox.card("E1001", "t2")["buttons"], "the other card is untouched"
    reused = await api.post("message/update_template_card", update)
    assert reused["errcode"] == 40058 and "used" in reused["errmsg"]
    with pytest.raises(ValueError):  # a phone cannot press a button the card no longer shows
        api.sandbox.state.issue_code("E1001", "t1", "k0")
    late = api.sandbox.state.issue_code("E1001", "t2", "k1")
    api.clock.advance(hours=24, seconds=1)
    await api.get("gettoken", corpid="wwsandbox", corpsecret="sandbox-secret")
    api.token = (await api.get("gettoken", corpid="wwsandbox", corpsecret="sandbox-secret"))["access_token"]
    expired = await api.post("message/update_template_card", {**update, "response_code": late})
    assert expired["errcode"] == 40058 and "expired" in expired["errmsg"]
    unknown = await api.post("message/update_template_card", {**update, "response_code": "made-up"})
    assert unknown["errcode"] == 40058
    assert api.sandbox.card("E1001", "t2")["replaced"] is None


async def test_an_update_with_a_whole_card_replaces_it(api: Api) -> None:
    await api.send({"touser": "E1001", "msgtype": "template_card", "template_card": card("t1")})
    code = api.sandbox.state.issue_code("E1001", "t1", "k1")
    new = {**card("t1", buttons=1), "main_title": {"title": "已确认"}}
    done = await api.post(
        "message/update_template_card",
        {"userids": ["E1001"], "agentid": 1000002, "response_code": code, "template_card": new},
    )
    assert done["errcode"] == 0
    shown = api.sandbox.card("E1001", "t1")
    assert shown["content"].startswith("已确认") and shown["buttons"] == [("已阅0", "k0")]


async def test_media_upload_and_get(api: Api) -> None:
    upload = await api.http.post(
        "media/upload",
        params={"access_token": api.token, "type": "image"},
        files={"media": ("chart.png", PNG, "image/png")},
    )
    answer = upload.json()
    assert answer["errcode"] == 0 and answer["type"] == "image" and answer["media_id"]
    sent = await api.send({"touser": "E1001", "msgtype": "image", "image": {"media_id": answer["media_id"]}})
    assert sent["errcode"] == 0
    got = await api.http.get("media/get", params={"access_token": api.token, "media_id": answer["media_id"]})
    assert got.content == PNG and got.headers["content-type"] == "image/png"
    not_png = await api.http.post(
        "media/upload",
        params={"access_token": api.token, "type": "image"},
        files={"media": ("a.png", b"hello world", "image/png")},
    )
    assert not_png.json()["errcode"] == 40005
    pdf = await api.http.post(
        "media/upload",
        params={"access_token": api.token, "type": "file"},
        files={"media": ("整改通知单.pdf", b"%PDF-1.7 ...", "application/pdf")},
    )
    assert pdf.json()["errcode"] == 0
    bad_type = await api.http.post(
        "media/upload", params={"access_token": api.token, "type": "movie"}, files={"media": ("a", PNG)}
    )
    assert bad_type.json()["errcode"] == 40004
    unknown = await api.http.get("media/get", params={"access_token": api.token, "media_id": "nope"})
    assert unknown.json()["errcode"] == 40007
    api.clock.advance(days=3, seconds=1)
    api.token = (await api.get("gettoken", corpid="wwsandbox", corpsecret="sandbox-secret"))["access_token"]
    old = await api.http.get("media/get", params={"access_token": api.token, "media_id": answer["media_id"]})
    assert old.json()["errcode"] == 40007
    stale = await api.send({"touser": "E1001", "msgtype": "image", "image": {"media_id": answer["media_id"]}})
    assert stale["errcode"] == 40007


async def test_excess_per_member_is_answered_ok_and_dropped(api: Api) -> None:
    assert Limits() == Limits(per_minute=30, per_hour=1000, enabled=True)
    for i in range(31):
        assert (await api.text("E1001", f"m{i}"))["errcode"] == 0
    assert len(api.sandbox.messages("E1001")) == 30
    assert [d["content"] for d in api.sandbox.dropped] == ["m30"]
    assert (await api.text("E1000", "other member"))["errcode"] == 0
    assert len(api.sandbox.messages("E1000")) == 1, "the limit is per member"
    api.clock.advance(seconds=61)
    await api.text("E1001", "next minute")
    assert api.sandbox.messages("E1001")[-1]["content"] == "next minute"


async def test_the_hourly_limit_counts_the_last_hour(api: Api) -> None:
    api.sandbox.limits.per_minute, api.sandbox.limits.per_hour = 3, 5
    for minute in range(3):
        for i in range(2):
            await api.text("E1001", f"{minute}-{i}")
        api.clock.advance(minutes=1)
    assert len(api.sandbox.messages("E1001")) == 5 and len(api.sandbox.dropped) == 1
    api.clock.advance(minutes=58)  # the first minute's two leave the window
    await api.text("E1001", "later")
    assert api.sandbox.messages("E1001")[-1]["content"] == "later"
    api.sandbox.limits.enabled = False
    for i in range(10):
        await api.text("E1001", f"off {i}")
    assert len(api.sandbox.dropped) == 1


async def test_faults_answer_their_errcode_and_do_nothing(api: Api) -> None:
    api.sandbox.fault("message/send", 45009, times=2)
    api.sandbox.fault("gettoken", -1)
    assert [(await api.text("E1001", "a"))["errcode"] for _ in range(3)] == [45009, 45009, 0]
    busy = await api.get("gettoken", corpid="wwsandbox", corpsecret="sandbox-secret")
    assert busy == {"errcode": -1, "errmsg": "system busy"}
    assert len(api.sandbox.messages("E1001")) == 1
    assert [c.errcode for c in api.sandbox.calls if c.path == "message/send"] == [45009, 45009, 0]
    assert (await api.http.get("nope/nothing")).status_code == 404


# -- the phone: encrypted callbacks as the bot's endpoint reads them ----------------------------------------
class Receiver(RequestHandler):
    def initialize(self, crypto: WeComCrypto, got: list[Any]) -> None:
        self.crypto, self.got = crypto, got

    def post(self) -> None:
        query = {k: self.get_query_argument(k) for k in ("msg_signature", "timestamp", "nonce")}
        inner = self.crypto.decrypt_message(**query, body=self.request.body)
        self.got.append(events.parse(inner))
        self.finish("")


@pytest.fixture
async def phone(api: Api) -> AsyncIterator[tuple[WeComUser, list[Any]]]:
    crypto = WeComCrypto(token="sandboxtoken", aes_key=AES_KEY, corp_id=api.sandbox.corp_id)
    got: list[Any] = []
    sockets = bind_sockets(0, "127.0.0.1")
    server = HTTPServer(Application([(r"/wecom/callback", Receiver, {"crypto": crypto, "got": got})]))
    server.add_sockets(sockets)
    url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}/wecom/callback"
    async with WeComUser(api.sandbox, url, crypto) as user:
        yield user, got
    server.stop()


async def test_the_phone_posts_what_the_event_parser_reads(
    api: Api, phone: tuple[WeComUser, list[Any]]
) -> None:
    user, got = phone
    assert await user.send_text("E1001", "打卡 <&> ]]> done") == 200
    assert await user.send_location("E1001", 27.8386, 99.7071) == 200
    assert await user.send_image("E1001", PNG, content_type="image/png") == 200
    text, place, image = got
    assert (
        isinstance(text, events.InboundText) and text.text == "打卡 <&> ]]> done" and text.userid == "E1001"
    )
    assert text.create_time == int(api.clock.now.timestamp())
    assert isinstance(place, events.InboundLocation) and place.latitude == pytest.approx(27.8386)
    assert isinstance(image, events.InboundImage)
    photo = await api.http.get("media/get", params={"access_token": api.token, "media_id": image.media_id})
    assert photo.content == PNG
    assert len({text.msg_id, place.msg_id, image.msg_id}) == 3


async def test_a_press_carries_a_response_code_that_updates_the_card(
    api: Api, phone: tuple[WeComUser, list[Any]]
) -> None:
    user, got = phone
    await api.send({"touser": "E1001", "msgtype": "template_card", "template_card": card("t9")})
    assert await user.press("E1001", task_id="t9", key="k1") == 200
    (press,) = got
    assert isinstance(press, events.InboundButton)
    assert (press.userid, press.task_id, press.event_key) == ("E1001", "t9", "k1")
    update = {"userids": ["E1001"], "agentid": 1000002, "response_code": press.response_code}
    done = await api.post("message/update_template_card", {**update, "button": {"replace_name": "已阅"}})
    assert done["errcode"] == 0 and api.sandbox.card("E1001", "t9")["replaced"] == "已阅"
    with pytest.raises(ValueError):
        await user.press("E1001", task_id="t9", key="k1")
    with pytest.raises(ValueError):
        await user.press("E1000", task_id="t9", key="k1")  # not that member's card
    assert await user.press("E1001", task_id="t9", key="forged", check=False) == 200
    assert len(got) == 2


async def test_a_tampered_envelope_is_refused_by_the_crypto(
    api: Api, phone: tuple[WeComUser, list[Any]]
) -> None:
    user, _ = phone
    query, body = user.envelope("<xml><MsgType>text</MsgType></xml>")
    assert await user.post_raw({**query, "msg_signature": "0" * 40}, body) == 500
