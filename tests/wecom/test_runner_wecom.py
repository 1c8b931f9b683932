"""`safetybot run` without a token starts the WeCom sandbox beside the Telegram one and hands the bridge
its settings; the page's WeCom phone then posts encrypted callbacks to the URL the bridge serves. With a
real WeCom app and no Telegram token (a WeCom-only site) nothing of the demo is loaded; with a Telegram
webhook too, both are served on SAFETYBOT_LISTEN."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from bot import runner
from bot.channels.wecom import events
from bot.channels.wecom.crypto import WeComCrypto
from bot.sandbox import Limits, SandboxClient, SandboxServer
from bot.settings import load_settings
from safety.callbacks import derive_secret
from safety.texts import t
from storage import org_queries as oq

AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Receiver(RequestHandler):
    def initialize(self, crypto: WeComCrypto, got: list[Any]) -> None:
        self.crypto, self.got = crypto, got

    def post(self) -> None:
        query = {k: self.get_query_argument(k) for k in ("msg_signature", "timestamp", "nonce")}
        self.got.append(events.parse(self.crypto.decrypt_message(**query, body=self.request.body)))
        self.finish("")


async def test_the_sandbox_run_starts_the_wecom_bridge_beside_telegram(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}
    got: list[Any] = []
    started = asyncio.Event()

    @asynccontextmanager
    async def start_wecom(run: runner.WeComRun) -> AsyncIterator[str]:
        seen["run"], seen["telegram_running_at_start"] = run, run.telegram.running
        assert run.settings.wecom_token and run.settings.wecom_aes_key
        crypto = WeComCrypto(
            token=run.settings.wecom_token.get_secret_value(),
            aes_key=run.settings.wecom_aes_key.get_secret_value(),
            corp_id=str(run.settings.wecom_corp_id),
        )
        host, _, port = run.settings.listen.rpartition(":")
        sockets = bind_sockets(int(port), host)
        server = HTTPServer(Application([(r"/wecom/callback", Receiver, {"crypto": crypto, "got": got})]))
        server.add_sockets(sockets)
        started.set()
        try:
            yield f"http://{host}:{sockets[0].getsockname()[1]}/wecom/callback"
        finally:
            seen["telegram_running_at_exit"] = run.telegram.running
            server.stop()

    monkeypatch.setattr(runner, "wecom_starter", lambda: start_wecom)
    port = _free_port()
    settings = load_settings(
        telegram_token=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        data_dir=tmp_path / "data",
        sandbox_port=port,
    )
    stop = asyncio.Event()
    serving = asyncio.create_task(runner.serve(settings, stop))
    try:
        await asyncio.wait_for(started.wait(), 60)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(100):
                members = (await http.get("/sandbox/api/channel/wecom/members")).json()
                if members["connected"]:
                    break
                await asyncio.sleep(0.05)
            assert members["connected"] and "E1001" in {m["userid"] for m in members["members"]}
            sent = await http.post(
                "/sandbox/api/channel/wecom/send", json={"userid": "E1001", "text": "打卡"}
            )
            assert sent.status_code == 200
        (text,) = got
        assert isinstance(text, events.InboundText) and (text.userid, text.text) == ("E1001", "打卡")
        run: runner.WeComRun = seen["run"]
        assert run.sandbox is not None and seen["telegram_running_at_start"]
        assert run.settings.wecom_enabled and run.settings.wecom_base_url == run.sandbox.base_url
        assert (run.settings.wecom_corp_id, run.settings.wecom_agent_id) == ("wwsandbox", 1000002)
        assert run.settings.listen == "127.0.0.1:0" and not settings.wecom_enabled
    finally:
        stop.set()
        await asyncio.wait_for(serving, 60)
    assert seen["telegram_running_at_exit"], "WeCom stops before Telegram"


async def test_a_wecom_only_site_gets_no_demo_data_and_its_own_signing_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}
    started = asyncio.Event()

    @asynccontextmanager
    async def start_wecom(run: runner.WeComRun) -> AsyncIterator[str]:
        seen["run"] = run
        started.set()
        yield "http://127.0.0.1:1/wecom/callback"

    monkeypatch.setattr(runner, "wecom_starter", lambda: start_wecom)
    port = _free_port()
    settings = load_settings(
        telegram_token=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'site.db'}",
        data_dir=tmp_path / "data",
        sandbox_port=port,
        wecom_corp_id="ww5823bf96d3bd56c7",
        wecom_agent_id=1000002,
        wecom_secret="the-app-secret",
        wecom_token="QDG6eK",
        wecom_aes_key=AES_KEY,
    )
    stop = asyncio.Event()
    serving = asyncio.create_task(runner.serve(settings, stop))
    try:
        await asyncio.wait_for(started.wait(), 60)
        run: runner.WeComRun = seen["run"]
        assert run.sandbox is None and run.settings is settings
        services = run.telegram.bot_data["services"]
        assert services.callback_secret == derive_secret("the-app-secret")
        async with services.session() as session:
            assert await oq.all_people(session) == [], "no demo people in a real corp's database"
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert (await http.get("/sandbox/api/channels")).json()["channels"] == ["telegram"]
    finally:
        stop.set()
        await asyncio.wait_for(serving, 60)


async def test_webhook_and_wecom_callback_share_the_listen_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    got: list[Any] = []
    crypto = WeComCrypto(token="QDG6eK", aes_key=AES_KEY, corp_id="ww5823bf96d3bd56c7")

    @asynccontextmanager
    async def start_wecom(run: runner.WeComRun) -> AsyncIterator[str]:
        host, _, port = run.settings.listen.rpartition(":")
        assert (host, port) == ("127.0.0.1", "0"), "the callback moves to loopback behind the shared port"
        sockets = bind_sockets(0, host)
        server = HTTPServer(Application([(r"/wecom/callback", Receiver, {"crypto": crypto, "got": got})]))
        server.add_sockets(sockets)
        try:
            yield f"http://{host}:{sockets[0].getsockname()[1]}/wecom/callback"
        finally:
            server.stop()

    monkeypatch.setattr(runner, "wecom_starter", lambda: start_wecom)
    telegram = SandboxServer(token="777:SHARED-port", port=0, limits=Limits(scale=100))
    await telegram.start()
    port = _free_port()
    settings = load_settings(
        telegram_token="777:SHARED-port",
        telegram_base_url=telegram.bot_api_base,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}",
        data_dir=tmp_path / "data",
        webhook_url=f"http://127.0.0.1:{port}/tg-hook",
        webhook_secret="right-secret_1",
        listen=f"127.0.0.1:{port}",
        wecom_corp_id="ww5823bf96d3bd56c7",
        wecom_agent_id=1000002,
        wecom_secret="the-app-secret",
        wecom_token="QDG6eK",
        wecom_aes_key=AES_KEY,
    )
    stop = asyncio.Event()
    serving = asyncio.create_task(runner.serve(settings, stop))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(400):  # the front proxy listens once WeCom has started
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/nothing")).status_code == 404:
                        break
                await asyncio.sleep(0.05)
            async with SandboxClient(telegram.url) as client:
                sent = await client.send_text(555_002, "/help")  # pushed to the public webhook URL
                reply = await client.wait_for(555_002, after_message_id=sent["message_id"], timeout=20)
                assert reply["text"] == t("zh-CN", "bind.prompt")
            forged = await http.post("/tg-hook", content=b"{}", headers={"Content-Type": "application/json"})
            assert forged.status_code == 403
            inner = "<xml><FromUserName>E1001</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>"
            inner += "<Content>打卡</Content><MsgId>42</MsgId></xml>"
            encrypted = crypto.encrypt(inner)
            query = {"timestamp": "1", "nonce": "2", "msg_signature": crypto.signature("1", "2", encrypted)}
            body = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
            assert (await http.post("/wecom/callback", params=query, content=body)).status_code == 200
        (text,) = got
        assert isinstance(text, events.InboundText) and text.text == "打卡"
    finally:
        stop.set()
        await asyncio.wait_for(serving, 60)
        await telegram.stop()
