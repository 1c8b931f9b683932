"""`safetybot run` modes through the real runner: webhook with a secret, and polling, against the sandbox."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
from pydantic import SecretStr

from bot.runner import serve
from bot.sandbox import Limits, SandboxClient, SandboxServer
from bot.settings import Settings
from safety.texts import t
from storage.db import Database

TOKEN = "777:RUN-mode-token"
USER = 555_001


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_webhook_set(server: SandboxServer) -> None:
    for _ in range(200):
        if any(r.method == "setWebhook" and r.status == 200 for r in server.requests):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("the bot never called setWebhook")


def _update(update_id: int) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1,
            "chat": {"id": USER, "type": "private"},
            "from": {"id": USER, "is_bot": False, "first_name": "X"},
            "text": "/help",
        },
    }


async def test_webhook_needs_the_secret_header(db: Database) -> None:
    server = SandboxServer(token=TOKEN, host="127.0.0.1", port=0, limits=Limits(scale=100))
    await server.start()
    port = _free_port()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        telegram_token=SecretStr(TOKEN),
        telegram_base_url=server.bot_api_base,
        database_url=db.url,
        webhook_url=f"http://127.0.0.1:{port}/tg-hook",
        webhook_secret=SecretStr("right-secret_1"),
        listen=f"127.0.0.1:{port}",
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop))
    try:
        await _wait_webhook_set(server)
        async with SandboxClient(server.url) as client:
            sent = await client.send_text(USER, "/help")  # delivered by the sandbox with the right header
            reply = await client.wait_for(USER, after_message_id=sent["message_id"])
            assert reply["text"] == t("zh-CN", "bind.prompt")
        sends_before = sum(1 for r in server.requests if r.method == "sendMessage")
        async with httpx.AsyncClient() as http:
            url = f"http://127.0.0.1:{port}/tg-hook"
            body = json.dumps(_update(9001))
            headers = {"Content-Type": "application/json"}
            missing = await http.post(url, content=body, headers=headers)
            wrong = await http.post(
                url, content=body, headers={**headers, "X-Telegram-Bot-Api-Secret-Token": "wrong"}
            )
        assert (missing.status_code, wrong.status_code) == (403, 403)
        await asyncio.sleep(0.5)
        assert sum(1 for r in server.requests if r.method == "sendMessage") == sends_before
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await server.stop()
