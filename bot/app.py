"""Building the PTB Application, and opening it with its long-lived services (closed at shutdown)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from telegram.ext import Application, ContextTypes

from bot.channels import TELEGRAM, BudgetLimiter, start_dispatchers, stop_dispatchers
from bot.channels.wecom.botapi import BASE_URL as WECOM_BOT_API
from bot.channels.wecom.botapi import FILE_BASE_URL as WECOM_FILES
from bot.channels.wecom.botapi import WeComBotApiRequest
from bot.channels.wecom.bridge import WeComBridge
from bot.channels.wecom.client import WeComClient
from bot.channels.wecom.directory import Directory
from bot.services import Services
from bot.settings import Settings
from bot.updates import PerPersonProcessor
from handlers import register
from handlers.context import BotContext
from handlers.menu import set_default_commands
from jobs import duty, heartbeat
from jobs.send_budget import ChatShape, SendBudget
from safety.callbacks import derive_secret
from safety.clearance import QuizRules
from safety.config import Defaults
from safety.reports.rectification_rights import ReportRules
from storage.db import Database

logger = logging.getLogger(__name__)


def quiet_http_logs() -> None:
    """httpx logs every request URL at INFO, and Bot API URLs contain the token."""
    for name in ("httpx", "httpcore", "telegram.ext.ExtBot", "tornado.access"):
        logging.getLogger(name).setLevel(logging.WARNING)


def defaults_from(settings: Settings) -> Defaults:
    return Defaults(language=settings.language, timezone=settings.timezone, channel=TELEGRAM)


def services_from(settings: Settings, token: str) -> Services:
    return Services(
        database_url=settings.database_url,
        callback_secret=derive_secret(token),
        defaults=defaults_from(settings),
        data_dir=settings.data_dir,
        send_rate=settings.send_rate,
        quiz_rules=quiz_rules_from(settings),
        report_rules=ReportRules(recheck_days=settings.recheck_days),
        digest_at=settings.digest_at,
    )


def quiz_rules_from(settings: Settings) -> QuizRules:
    return QuizRules(
        pass_mark=settings.quiz_pass_mark / 100,
        expires=timedelta(minutes=settings.quiz_minutes),
        clearance_days=settings.clearance_days,
        deadline=timedelta(days=settings.quiz_deadline_days),
        violation_window=timedelta(days=settings.violation_window_days),
        defaults=defaults_from(settings),
    )


@asynccontextmanager
async def opened(app: Application[Any, Any, Any, Any, Any, Any]) -> AsyncIterator[None]:
    """Initialize the Application and open the long-lived services (the database, the dispatchers);
    close them in reverse order."""
    services: Services = app.bot_data["services"]
    async with app:
        services.db = Database(services.database_url)
        try:
            await set_default_commands(app.bot)
            await start_dispatchers(app, services)
            logger.info("bot @%s ready", app.bot.username)
            yield
        finally:
            await stop_dispatchers(services)
            await services.db.dispose()
            services.db = None


CONCURRENT_UPDATES = 64  # updates handled at once (a press waits on the database and the Bot API)
# Connections for direct answers. httpcore looks at every pooled connection on each request (a readability
# check per idle socket), so a big pool costs CPU on every answer: 8 serve the morning rush (2 short calls
# a press) and a burst waits a few milliseconds for a free one. Outbox sends have their own pool.
ANSWER_CONNECTIONS = 8


def build_application(
    settings: Settings, *, token: str, base_url: str | None = None, services: Services | None = None
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The real Application against Telegram or any Bot API at `base_url` (the sandbox, a local server).

    One send budget for the account: the Application's answers take reply tokens from it (BudgetLimiter),
    the outbox dispatcher bulk tokens (bot.channels.start_dispatchers)."""
    base = (base_url or settings.telegram_base_url).rstrip("/")
    file_base = base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file"
    services = services or services_from(settings, token)
    services.budget = services.budget or SendBudget(services.send_rate)
    builder = (
        Application.builder()
        .token(token)
        .base_url(base)
        .base_file_url(file_base)
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(PerPersonProcessor(CONCURRENT_UPDATES))
        .rate_limiter(BudgetLimiter(services.budget))
        .connection_pool_size(ANSWER_CONNECTIONS)
        .pool_timeout(10)
    )
    app = builder.build()
    app.bot_data["services"] = services
    register(app)
    heartbeat.schedule(app, services.data_dir)
    duty.schedule(app, tick_seconds=services.tick_seconds, round_seconds=services.round_seconds)
    return app


WECOM = "wecom"
# The WeCom Application's answers to members: WeCom takes 30 messages a minute per member (and the outbox
# sends to them too), so a burst of 20 answers, then one every 2.5 s.
WECOM_ANSWERS = ChatShape(rate=0.4, capacity=20.0)


def wecom_answer_budget() -> SendBudget:
    return SendBudget(100.0, private=WECOM_ANSWERS, group=WECOM_ANSWERS)


def build_wecom_application(
    services: Services, client: WeComClient, *, budget: SendBudget | None = None
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The WeCom members' Application: the same handlers, the Bot API answered by WeCom (botapi.py), and
    bot_data["channel"] = "wecom". It shares the Telegram Application's Services (one database, one outbox,
    whose WeCom dispatcher is the WeComChannel in services.extra_channels); it has no updater (updates come
    from the callback: bot_data["wecom_bridge"] is the CallbackEndpoint's sink) and no jobs (the Telegram
    Application runs the duty ticks)."""
    directory = Directory(services)
    builder = (
        Application.builder()
        .token(WECOM)
        .base_url(WECOM_BOT_API)
        .base_file_url(WECOM_FILES)
        .request(WeComBotApiRequest(client, services, directory))
        .get_updates_request(WeComBotApiRequest(client, services, directory))
        .updater(None)
        .job_queue(None)
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(PerPersonProcessor(CONCURRENT_UPDATES))
        .rate_limiter(BudgetLimiter(budget or wecom_answer_budget()))
    )
    app = builder.build()
    app.bot_data["services"] = services
    app.bot_data["channel"] = WECOM
    app.bot_data["wecom_bridge"] = WeComBridge(app, services, client, directory)
    register(app)
    return app


@asynccontextmanager
async def running_wecom(app: Application[Any, Any, Any, Any, Any, Any]) -> AsyncIterator[WeComBridge]:
    """Run the WeCom Application (inside `opened` of the Telegram one: the database must be open) until the
    block ends; yields the bridge to hand to the CallbackEndpoint."""
    async with app:
        await app.start()
        try:
            yield app.bot_data["wecom_bridge"]
        finally:
            await app.stop()
