"""The WeCom callback URL over loopback HTTP (a real tornado server) and its endpoint: the URL check, and
encrypted messages answered at once, processed after and once only, whatever WeCom (or anyone) replays."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import tornado.web
from sqlmodel import col, select
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from bot.channels.wecom.callback import CallbackEndpoint, tornado_handler
from bot.channels.wecom.crypto import WeComCrypto
from bot.channels.wecom.events import Inbound, InboundButton, InboundText
from storage.db import Database
from storage.models import WeComSeen
from tests.wecom.test_crypto import AES_KEY, CORP_ID, TOKEN, VERIFY, VERIFY_PLAIN

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
PATH = "/wecom/callback"
CRYPTO = WeComCrypto(token=TOKEN, aes_key=AES_KEY, corp_id=CORP_ID)


def text_xml(text: str = "打卡", *, msg_id: str = "7001", userid: str = "LiSi") -> str:
    return (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{userid}]]></FromUserName>"
        f"<CreateTime>{int(NOW.timestamp())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>"
    )


def button_xml(key: str = "ck:1:ok:sig", task_id: str = "card-1-0") -> str:
    return (
        f"<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>LiSi</FromUserName>"
        f"<CreateTime>{int(NOW.timestamp())}</CreateTime><MsgType>event</MsgType>"
        f"<Event>template_card_event</Event><EventKey>{key}</EventKey><TaskId>{task_id}</TaskId>"
        "<CardType>button_interaction</CardType><ResponseCode>rc-1</ResponseCode><AgentID>1000002</AgentID></xml>"
    )


def signed(inner: str, *, at: datetime = NOW, nonce: str = "1597212914") -> tuple[dict[str, str], bytes]:
    """The query and body WeCom would POST for the message `inner`."""
    encrypted = CRYPTO.encrypt(inner)
    timestamp = str(int(at.timestamp()))
    query = {
        "msg_signature": CRYPTO.signature(timestamp, nonce, encrypted),
        "timestamp": timestamp,
        "nonce": nonce,
    }
    body = (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt>"
        "<AgentID><![CDATA[1000002]]></AgentID></xml>"
    )
    return query, body.encode()


class Sink:
    """Records what the endpoint hands on; `gate` (when set) holds each call until it is opened."""

    def __init__(self, *, gate: asyncio.Event | None = None, fail: bool = False) -> None:
        self.received: list[Inbound] = []
        self.gate = gate
        self.fail = fail

    async def __call__(self, item: Inbound) -> None:
        if self.gate is not None:
            await self.gate.wait()
        self.received.append(item)
        if self.fail:
            raise RuntimeError("the bridge fell over")


class Served:
    def __init__(self, endpoint: CallbackEndpoint, url: str, http: httpx.AsyncClient) -> None:
        self.endpoint, self.url, self.http = endpoint, url, http

    async def post(self, query: dict[str, str], body: bytes) -> httpx.Response:
        return await self.http.post(self.url, params=query, content=body)


@pytest.fixture
async def serve() -> AsyncIterator[Any]:
    """Start a real callback server for an endpoint on loopback: `await serve(endpoint)` -> Served."""
    servers: list[HTTPServer] = []
    async with httpx.AsyncClient(timeout=5) as http:

        async def start(endpoint: CallbackEndpoint) -> Served:
            sockets = bind_sockets(0, "127.0.0.1")
            server = HTTPServer(tornado.web.Application([(PATH, tornado_handler(endpoint))]))
            server.add_sockets(sockets)
            servers.append(server)
            return Served(endpoint, f"http://127.0.0.1:{sockets[0].getsockname()[1]}{PATH}", http)

        yield start
    for server in servers:  # (each test drains its endpoint: the database is disposed after this)
        server.stop()
        await server.close_all_connections()


async def seen_keys(db: Database) -> list[str]:
    async with db.reading() as session:
        return list((await session.exec(select(WeComSeen.key).order_by(col(WeComSeen.key)))).all())


def endpoint(db: Database | None, sink: Sink, **kwargs: Any) -> CallbackEndpoint:
    return CallbackEndpoint(CRYPTO, db, sink, clock=lambda: NOW, **kwargs)  # type: ignore[arg-type]


# -- the URL check -------------------------------------------------------------------------------------------


async def test_url_check_answers_the_plain_echostr(serve: Any) -> None:
    """Tencent's VerifyURL case over HTTP: the echostr arrives URL-encoded and is answered in plain text."""
    sink = Sink()
    served = await serve(endpoint(None, sink))
    answer = await served.http.get(served.url, params=VERIFY)
    assert (answer.status_code, answer.text) == (200, VERIFY_PLAIN)
    assert answer.headers["Content-Type"].startswith("text/plain")
    raw = await served.http.get(
        f"{served.url}?msg_signature={VERIFY['msg_signature']}&timestamp={VERIFY['timestamp']}"
        f"&nonce={VERIFY['nonce']}&echostr={VERIFY['echostr']}"  # "+" not escaped: decoded as a space
    )
    assert (raw.status_code, raw.text) == (200, VERIFY_PLAIN)
    forged = await served.http.get(served.url, params={**VERIFY, "msg_signature": "f" * 40})
    assert (forged.status_code, forged.text) == (403, "")
    missing = await served.http.get(served.url, params={"echostr": VERIFY["echostr"]})
    assert missing.status_code == 400
    assert sink.received == []


# -- messages ------------------------------------------------------------------------------------------------


async def test_message_answered_at_once_and_processed_after(db: Database, serve: Any) -> None:
    gate = asyncio.Event()
    sink = Sink(gate=gate)
    served = await serve(endpoint(db, sink))
    answer = await asyncio.wait_for(served.post(*signed(text_xml("打卡"))), timeout=1)
    assert (answer.status_code, answer.text) == (200, "")
    assert sink.received == []  # the sink is still busy: the answer did not wait for it
    gate.set()
    await served.endpoint.drain()
    assert sink.received == [InboundText("LiSi", "打卡", "7001", int(NOW.timestamp()))]
    assert await seen_keys(db) == ["msg:7001"]


async def test_button_press_reaches_the_sink(db: Database, serve: Any) -> None:
    sink = Sink()
    served = await serve(endpoint(db, sink))
    assert (await served.post(*signed(button_xml()))).status_code == 200
    await served.endpoint.drain()
    assert sink.received == [InboundButton("LiSi", "ck:1:ok:sig", "card-1-0", "rc-1", int(NOW.timestamp()))]


async def test_bad_signature_refused_and_nothing_processed(db: Database, serve: Any) -> None:
    sink = Sink()
    served = await serve(endpoint(db, sink))
    query, body = signed(text_xml())
    forged = await served.post({**query, "msg_signature": "0" * 40}, body)
    other_nonce = await served.post({**query, "nonce": "1"}, body)
    theirs = WeComCrypto(token="not-our-token", aes_key=AES_KEY, corp_id=CORP_ID)
    encrypted = theirs.encrypt(text_xml(msg_id="7002"))
    signed_by_them = {
        **query,
        "msg_signature": theirs.signature(query["timestamp"], query["nonce"], encrypted),
    }
    by_them = await served.post(signed_by_them, f"<xml><Encrypt>{encrypted}</Encrypt></xml>".encode())
    no_query = await served.http.post(served.url, content=body)
    await served.endpoint.drain()
    assert [forged.status_code, other_nonce.status_code, by_them.status_code] == [403, 403, 403]
    assert no_query.status_code == 400
    assert sink.received == []
    assert await seen_keys(db) == []


async def test_replayed_callback_processed_once(db: Database, serve: Any) -> None:
    sink = Sink()
    served = await serve(endpoint(db, sink))
    request = signed(text_xml())
    first = await served.post(*request)
    await served.endpoint.drain()
    again = await served.post(*request)  # WeCom's retry, or a replay
    reencrypted = await served.post(*signed(text_xml(), nonce="99"))  # same MsgId, new envelope
    await served.endpoint.drain()
    assert [first.status_code, again.status_code, reencrypted.status_code] == [200, 200, 200]
    assert len(sink.received) == 1
    assert (await served.post(*signed(text_xml(msg_id="7002")))).status_code == 200
    await served.endpoint.drain()
    assert len(sink.received) == 2


async def test_two_posts_at_once_processed_once(db: Database, serve: Any) -> None:
    sink = Sink()
    served = await serve(endpoint(db, sink))
    request = signed(button_xml())
    answers = await asyncio.gather(served.post(*request), served.post(*request))
    await served.endpoint.drain()
    assert [answer.status_code for answer in answers] == [200, 200]
    assert len(sink.received) == 1


async def test_two_processes_process_a_callback_once(db: Database) -> None:
    """Two bot processes (two engines on one database) receive the same callback at the same moment."""
    other = Database(db.url)
    try:
        sink_a, sink_b = Sink(), Sink()
        a, b = endpoint(db, sink_a), endpoint(other, sink_b)
        request = signed(text_xml(msg_id="8001"))
        answers = await asyncio.gather(a.post(*request), b.post(*request))
        await asyncio.gather(a.drain(), b.drain())
        assert answers == [(200, ""), (200, "")]
        assert len(sink_a.received) + len(sink_b.received) == 1
    finally:
        await other.dispose()


async def test_oversized_body_refused(db: Database, serve: Any) -> None:
    sink = Sink()
    served = await serve(endpoint(db, sink))
    query, body = signed(text_xml())
    padded = body.replace(b"</xml>", b" " * 70_000 + b"</xml>")
    answer = await served.post(query, padded)

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while it streams in
        for start in range(0, len(padded), 8192):
            yield padded[start : start + 8192]

    chunked = await served.http.post(served.url, params=query, content=chunks())
    direct = await served.endpoint.post(query, padded)
    await served.endpoint.drain()
    assert [answer.status_code, chunked.status_code, direct[0]] == [413, 413, 413]
    assert sink.received == []
    assert (await served.post(query, body)).status_code == 200  # the same message, small, is fine
    await served.endpoint.drain()
    assert len(sink.received) == 1


async def test_callback_signed_long_ago_refused(db: Database) -> None:
    sink = Sink()
    callback = endpoint(db, sink)
    assert await callback.post(*signed(text_xml(), at=NOW - timedelta(days=3))) == (403, "")
    assert await callback.post(*signed(text_xml(msg_id="7002"), at=NOW - timedelta(days=1))) == (200, "")
    await callback.drain()
    assert [item.msg_id for item in sink.received if isinstance(item, InboundText)] == ["7002"]


async def test_ignored_event_answered_and_not_recorded(db: Database) -> None:
    sink = Sink()
    callback = endpoint(db, sink)
    enter = text_xml().replace(
        "<MsgType><![CDATA[text]]></MsgType>", "<MsgType>event</MsgType><Event>enter_agent</Event>"
    )
    assert await callback.post(*signed(enter)) == (200, "")
    await callback.drain()
    assert sink.received == []
    assert await seen_keys(db) == []


async def test_failing_sink_is_logged_and_the_next_message_still_processed(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    sink = Sink(fail=True)
    callback = endpoint(db, sink)
    with caplog.at_level(logging.ERROR, logger="bot.channels.wecom.callback"):
        assert await callback.post(*signed(text_xml(msg_id="1"))) == (200, "")
        await callback.drain()
    assert any("wecom callback from LiSi failed" in record.getMessage() for record in caplog.records)
    assert any(record.exc_info and "fell over" in str(record.exc_info[1]) for record in caplog.records)
    assert await callback.post(*signed(text_xml(msg_id="2"))) == (200, "")
    await callback.drain()
    assert len(sink.received) == 2


async def test_old_seen_keys_are_pruned(db: Database) -> None:
    async with db.session() as session:
        session.add(WeComSeen(key="msg:old", at=NOW - timedelta(days=4)))
        session.add(WeComSeen(key="msg:recent", at=NOW - timedelta(days=1)))
    sink = Sink()
    callback = endpoint(db, sink)
    await callback.post(*signed(text_xml(msg_id="9")))
    await callback.drain()
    assert await seen_keys(db) == ["msg:9", "msg:recent"]
