"""Webhook mode: updates POSTed with the secret header instead of queued for getUpdates."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Update
from telegram.ext import CommandHandler, ContextTypes
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from bot.sandbox import SandboxClient, SandboxServer
from tests.sandbox.conftest import ZHANG, BotCall, build_app


class Receiver:
    """A tiny webhook endpoint that records what it gets and answers `status`."""

    def __init__(self) -> None:
        self.received: list[tuple[str | None, dict[str, Any]]] = []
        self.status = 200
        self.arrived = asyncio.Event()
        receiver = self

        class Hook(RequestHandler):
            def post(self) -> None:
                receiver.received.append(
                    (
                        self.request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                        json.loads(self.request.body),
                    )
                )
                receiver.arrived.set()
                self.set_status(receiver.status)
                self.finish()

        sockets = bind_sockets(0, "127.0.0.1")
        self.url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}/hook"
        self.server = HTTPServer(Application([(r"/hook", Hook)]))
        self.server.add_sockets(sockets)

    async def next(self) -> tuple[str | None, dict[str, Any]]:
        await asyncio.wait_for(self.arrived.wait(), 5)
        self.arrived.clear()
        return self.received[-1]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.server.stop()
    await hook.server.close_all_connections()


async def test_updates_are_posted_with_the_secret_header(
    sandbox: SandboxServer, bot_call: BotCall, client: SandboxClient, receiver: Receiver
) -> None:
    assert (await bot_call("setWebhook", url=receiver.url, secret_token="s3cret_-X"))[0] == 200
    _, info = await bot_call("getWebhookInfo")
    assert info["result"]["url"] == receiver.url and info["result"]["pending_update_count"] == 0

    await client.send_text(ZHANG.id, "/start CODE")
    secret, update = await receiver.next()
    assert secret == "s3cret_-X"
    assert update["message"]["text"] == "/start CODE" and isinstance(update["update_id"], int)

    status, body = await bot_call("getUpdates")
    assert status == 409 and body["description"].startswith(
        "Conflict: can't use getUpdates method while webhook"
    )

    receiver.status = 500  # failures are retried, in order, and reported by getWebhookInfo
    await client.send_text(ZHANG.id, "second")
    await receiver.next()
    _, info = await bot_call("getWebhookInfo")
    assert info["result"]["pending_update_count"] == 1
    assert info["result"]["last_error_message"] == "Wrong response from the webhook: 500"
    receiver.status = 200
    _, retried = await receiver.next()
    assert retried["message"]["text"] == "second"

    assert (await bot_call("deleteWebhook"))[0] == 200
    await client.send_text(ZHANG.id, "polled")
    _, body = await bot_call("getUpdates")
    assert [u["message"]["text"] for u in body["result"]] == ["polled"]
    status, body = await bot_call("setWebhook", url=receiver.url, secret_token="bad secret!")
    assert (status, body["description"]) == (400, "Bad Request: secret token contains unallowed characters")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_ptb_webhook_mode(sandbox: SandboxServer, client: SandboxClient) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(f"webhook hello {context.args}")

    app = build_app(sandbox)
    app.add_handler(CommandHandler("start", start))
    port = free_port()
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="tg",
        webhook_url=f"http://127.0.0.1:{port}/tg",
        secret_token="abc",
    )
    await app.start()
    try:
        assert sandbox.state.webhook.url == f"http://127.0.0.1:{port}/tg"
        await client.send_text(ZHANG.id, "/start X1")
        reply = await client.wait_for(ZHANG.id)
        assert reply["text"] == "webhook hello ['X1']"
        assert sandbox.webhooks.delivered == 1
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
