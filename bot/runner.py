"""`safetybot run`: polling with a token, a webhook with SAFETYBOT_WEBHOOK_URL, else the local sandbox.

WeCom runs beside Telegram when its app is configured (SAFETYBOT_WECOM_*); without a Telegram token the
WeCom sandbox runs too (unless a real WeCom app is configured), and the sandbox page shows both channels.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass
from secrets import token_urlsafe
from typing import Any
from urllib.parse import urlparse

from pydantic import SecretStr
from telegram import Update
from telegram.ext import Application

from bot.app import build_application, opened, services_from
from bot.demo import prepare_sandbox
from bot.listen import SharedListener, free_loopback_port
from bot.sandbox import SandboxServer
from bot.sandbox.web import attach_channel_page
from bot.sandbox_wecom import WeComSandbox, WeComUser
from bot.sandbox_wecom.page import WeComPage
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

    webhook = settings.webhook_url is not None
    if not settings.wecom_enabled:
        await _run(app, settings, stop, webhook=webhook)
        return
    # Both on SAFETYBOT_LISTEN: PTB's webhook server moves to loopback, behind one proxy with the callback.
    webhook_port = free_loopback_port() if webhook else None
    wecom = wecom_part(settings, None, None, webhook_port=webhook_port)
    await _run(app, settings, stop, webhook=webhook, wecom=wecom, webhook_port=webhook_port)


async def _serve_sandbox(settings: Settings, stop: asyncio.Event) -> None:
    """No Telegram token: the Telegram sandbox, and the WeCom sandbox, both with the demo people. With a
    real WeCom app configured (a WeCom-only site), no demo data and no WeCom sandbox: the Telegram sandbox
    only hosts the Application the WeCom one shares its services with, signed with the WeCom secret."""
    server = SandboxServer(token=SANDBOX_TOKEN, host="127.0.0.1", port=settings.sandbox_port)
    real_wecom = settings.wecom_enabled
    wecom = None if real_wecom else WeComSandbox()
    page = WeComPage(wecom) if wecom is not None else None
    if page is not None:
        attach_channel_page(server, "wecom", page)
    await server.start()
    try:
        if wecom is not None:
            await wecom.start()
        services = None
        if real_wecom:
            assert settings.wecom_secret is not None
            services = services_from(settings, settings.wecom_secret.get_secret_value())
        app = build_application(
            settings, token=SANDBOX_TOKEN, base_url=server.bot_api_base, services=services
        )
        if real_wecom:
            logger.info("WeCom only (no Telegram token): no demo data; Telegram sandbox at %s", server.url)
        else:
            await prepare_sandbox(settings, server, wecom)
            print(f"safetybot sandbox: open {server.url}/ in a browser", flush=True)
        await _run(app, settings, stop, webhook=False, wecom=wecom_part(settings, wecom, page))
    finally:
        if wecom is not None:
            await wecom.stop()
        await server.stop()


# -- WeCom: the bridge (W4, bot.channels.wecom.bridge.start_wecom) plugs in here ---------------------------
@dataclass(frozen=True)
class WeComRun:
    """What the WeCom bridge gets to start: settings with the wecom_* fields filled and `listen` the
    HOST:PORT for the callback (port 0: any free port; the bridge yields the URL it serves), the Telegram
    Application already opened and started (its Services shared), and the WeCom sandbox or None."""

    settings: Settings
    telegram: Application[Any, Any, Any, Any, Any, Any]
    sandbox: WeComSandbox | None


WeComStarter = Callable[[WeComRun], AbstractAsyncContextManager[str]]  # yields the callback URL
WeComPart = Callable[[Application[Any, Any, Any, Any, Any, Any]], AbstractAsyncContextManager[None]]
BRIDGE_MODULE = "bot.channels.wecom.bridge"


def wecom_starter() -> WeComStarter | None:
    """The bridge's `start_wecom`, or None while it is not there."""
    try:
        from bot.channels.wecom.bridge import start_wecom  # type: ignore[attr-defined,unused-ignore]
    except ImportError as exc:
        if isinstance(exc, ModuleNotFoundError) and exc.name not in (BRIDGE_MODULE, None):
            raise  # the bridge is there but something it imports is missing: say so
        return None
    starter: WeComStarter = start_wecom
    return starter


def sandbox_wecom_settings(settings: Settings, sandbox: WeComSandbox) -> Settings:
    """The settings pointing at the WeCom sandbox: its app, a fresh callback Token and EncodingAESKey, and
    the callback on loopback at a free port."""
    aes_key = base64.b64encode(os.urandom(32)).decode("ascii").rstrip("=")  # 43 characters
    return settings.model_copy(
        update={
            "wecom_corp_id": sandbox.corp_id,
            "wecom_agent_id": sandbox.agent_id,
            "wecom_secret": SecretStr(sandbox.secret),
            "wecom_token": SecretStr(token_urlsafe(16)),
            "wecom_aes_key": SecretStr(aes_key),
            "wecom_base_url": sandbox.base_url,
            "listen": "127.0.0.1:0",
        }
    )


def wecom_part(
    settings: Settings,
    sandbox: WeComSandbox | None,
    page: WeComPage | None,
    *,
    webhook_port: int | None = None,
) -> WeComPart:
    """The WeCom channel beside a started Telegram Application; in the sandbox, the page's phone too. With
    `webhook_port` (Telegram's webhook moved to that loopback port) the callback is served on loopback and
    SAFETYBOT_LISTEN proxies both paths."""

    @asynccontextmanager
    async def running(telegram: Application[Any, Any, Any, Any, Any, Any]) -> AsyncIterator[None]:
        starter = wecom_starter()
        if starter is None:
            logger.warning("WeCom: %s.start_wecom is not there; WeCom stays off", BRIDGE_MODULE)
            yield
            return
        run_settings = sandbox_wecom_settings(settings, sandbox) if sandbox is not None else settings
        if webhook_port is not None:
            run_settings = run_settings.model_copy(update={"listen": "127.0.0.1:0"})
        async with starter(WeComRun(run_settings, telegram, sandbox)) as callback_url:
            logger.info("WeCom: callback served at %s", urlparse(callback_url).path)
            if webhook_port is not None:
                assert settings.webhook_url is not None
                path = urlparse(settings.webhook_url).path or "/"
                front = SharedListener(
                    settings.listen_host,
                    settings.listen_port,
                    {
                        path: f"http://127.0.0.1:{webhook_port}{path}",
                        settings.wecom_callback_path: callback_url,
                    },
                )
                await front.start()
                try:
                    yield
                finally:
                    await front.stop()
                return
            if sandbox is None or page is None:
                yield
                return
            from bot.channels.wecom.crypto import WeComCrypto

            assert run_settings.wecom_token and run_settings.wecom_aes_key
            crypto = WeComCrypto(
                token=run_settings.wecom_token.get_secret_value(),
                aes_key=run_settings.wecom_aes_key.get_secret_value(),
                corp_id=sandbox.corp_id,
            )
            async with WeComUser(sandbox, callback_url, crypto) as phone:
                page.connect(phone)
                try:
                    yield
                finally:
                    page.connect(None)

    return running


async def _run(
    app: Application[Any, Any, Any, Any, Any, Any],
    settings: Settings,
    stop: asyncio.Event,
    *,
    webhook: bool,
    wecom: WeComPart | None = None,
    webhook_port: int | None = None,
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
                listen="127.0.0.1" if webhook_port is not None else settings.listen_host,
                port=webhook_port if webhook_port is not None else settings.listen_port,
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
        async with AsyncExitStack() as beside:  # WeCom starts after Telegram and stops before it
            if wecom is not None:
                await beside.enter_async_context(wecom(app))
            await stop.wait()
            logger.info("stopping: finishing in-flight updates")
        await app.updater.stop()
        await app.stop()
    logger.info("stopped cleanly")
