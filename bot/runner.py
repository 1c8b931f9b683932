"""`safetybot run`: polling with a token, a webhook with SAFETYBOT_WEBHOOK_URL, else the local sandbox."""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import suppress
from secrets import token_urlsafe
from typing import Any
from urllib.parse import urlparse

from telegram import Update
from telegram.ext import Application

from bot.app import build_application, opened
from bot.demo import prepare_sandbox
from bot.sandbox import SandboxServer
from bot.settings import Settings
from storage.migrate import upgrade

logger = logging.getLogger(__name__)
SANDBOX_TOKEN = "123456:SANDBOX-local-token"
POLL_TIMEOUT = 10


def _install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or `stop`); in-flight updates are finished before the process ends."""
    stop = stop or asyncio.Event()
    _install_stop_signals(stop)
    await upgrade(settings.database_url)
    if settings.telegram_token is None:
        await _serve_sandbox(settings, stop)
        return
    token = settings.telegram_token.get_secret_value()
    app = build_application(settings, token=token)
    await _run(app, settings, stop, webhook=settings.webhook_url is not None)


async def _serve_sandbox(settings: Settings, stop: asyncio.Event) -> None:
    server = SandboxServer(token=SANDBOX_TOKEN, host="127.0.0.1", port=settings.sandbox_port)
    await server.start()
    try:
        app = build_application(settings, token=SANDBOX_TOKEN, base_url=server.bot_api_base)
        await prepare_sandbox(settings, server)
        print(f"safetybot sandbox: open {server.url}/ in a browser", flush=True)
        await _run(app, settings, stop, webhook=False)
    finally:
        await server.stop()


async def _run(
    app: Application[Any, Any, Any, Any, Any, Any], settings: Settings, stop: asyncio.Event, *, webhook: bool
) -> None:
    async with opened(app):
        assert app.updater is not None
        if webhook:
            assert settings.webhook_url is not None
            # Without a configured secret, a fresh random one per start: every request must still carry it.
            secret = (
                settings.webhook_secret.get_secret_value() if settings.webhook_secret else token_urlsafe(32)
            )
            await app.updater.start_webhook(
                listen=settings.listen_host,
                port=settings.listen_port,
                url_path=urlparse(settings.webhook_url).path.lstrip("/"),
                webhook_url=settings.webhook_url,
                secret_token=secret,
                allowed_updates=Update.ALL_TYPES,
                drop_pending_updates=False,
            )
            logger.info("webhook listening on %s", settings.listen)
        else:
            await app.updater.start_polling(
                timeout=POLL_TIMEOUT, poll_interval=0.0, allowed_updates=Update.ALL_TYPES
            )
            logger.info("polling for updates")
        await app.start()
        await stop.wait()
        logger.info("stopping: finishing in-flight updates")
        await app.updater.stop()
        await app.stop()
    logger.info("stopped cleanly")
