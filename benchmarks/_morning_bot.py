"""The morning benchmark's one point of contact with the bot engine: how our bot is built, started, stopped.

Everything that depends on the engine's API (Settings, Services, build_application, the send rate, the
database set-up) is here and only here, so an engine change is adapted in this file. Nothing is tuned for
the benchmark: the send rate is Telegram's 30/s, the duty jobs run as in production, polling uses the
timeout bot.runner uses.

The "before" runs in RESULTS.md (commit c625f1a) built the bot with `Services` from handlers.context and
`app.bot_data["dispatch_config"] = DispatchConfig(send_rate=30)` (headroom 0.8, answers unpaced through
AIORateLimiter); this file now follows the engine with one send budget (`Services(send_rate=30)`).

    people, seconds = await prepare_database(url, folder, members=500, teams=4)
    handle = await start_ours(url, base, clock, folder)    # polling the sandbox at `base`, jobs running
    ...
    await stop_ours(handle)
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from telegram import Update

from benchmarks import rush
from benchmarks._common import StatementCount
from bot.app import ANSWER_CONNECTIONS, CONCURRENT_UPDATES, build_application, defaults_from, opened
from bot.services import Services
from bot.settings import Settings
from safety.callbacks import derive_secret

TOKEN = "900300:BENCH-morning-ours"
ECHO_TOKEN = "900301:BENCH-morning-echo"
USER_BASE = rush.USER_BASE  # person id p is sandbox user (and private chat) USER_BASE + p
SEND_RATE = 30.0  # Telegram's overall limit, unscaled
POLL_TIMEOUT = rush.POLL_TIMEOUT
# The echo bot uses our Application's transport settings: the same number of updates at once, the same pool.
ECHO_CONCURRENT_UPDATES = CONCURRENT_UPDATES
ECHO_CONNECTIONS = ANSWER_CONNECTIONS
RunningClock = rush.RunningClock  # the bot's clock: a set moment when created, then moving with real time
SETUP = "Services(send_rate=30): one send budget for answers and bulk, as production configures it"


def people_count(members: int, teams: int) -> int:
    """Staff, one leader a team, a safety officer and a manager (person ids 1..this)."""
    return members + teams + 2


async def prepare_database(url: str, folder: Path, *, members: int, teams: int) -> tuple[int, float]:
    """Migrate a fresh database, import the generated org, bind and clear everyone; (people, seconds)."""
    args = argparse.Namespace(members=members, teams=teams)
    return await rush.populate(url, folder, args)


@dataclass
class OursHandle:
    app: Any
    services: Services
    errors: rush.ErrorCount = field(default_factory=rush.ErrorCount)
    statements: StatementCount | None = None
    opened: Any = None  # bot.app.opened(app), entered


def duty_interval(handle: OursHandle) -> float | None:
    """How often the bot looks for check-in windows that opened (production's interval; in the report)."""
    value = getattr(handle.services, "round_seconds", None) or getattr(handle.services, "tick_seconds", None)
    return float(value) if isinstance(value, int | float) else None


async def start_ours(url: str, base: str, clock: Callable[[], datetime], folder: Path) -> OursHandle:
    """Our bot as production runs it: the real Application, polling `base`'s Bot API, the JobQueue's jobs
    (duty ticks) running, its send budget Telegram's 30/s. Returns once it is polling."""
    settings = Settings(database_url=url, telegram_token=None, _env_file=None)  # type: ignore[call-arg]
    services = Services(
        database_url=url,
        callback_secret=derive_secret(TOKEN),
        defaults=defaults_from(settings),
        clock=clock,
        data_dir=folder / "data",
        send_rate=SEND_RATE,
    )
    app = build_application(settings, token=TOKEN, base_url=f"{base}/bot", services=services)
    handle = OursHandle(app=app, services=services, opened=opened(app))
    logging.getLogger().addHandler(handle.errors)
    await handle.opened.__aenter__()
    try:
        handle.statements = StatementCount(services.database.engine)
        assert app.updater is not None
        await app.updater.start_polling(
            timeout=POLL_TIMEOUT, poll_interval=0.0, allowed_updates=Update.ALL_TYPES
        )
        await app.start()
    except BaseException:
        await stop_ours(handle)
        raise
    return handle


async def stop_ours(handle: OursHandle) -> None:
    app = handle.app
    try:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        if handle.statements is not None:
            handle.statements.close()
    finally:
        await handle.opened.__aexit__(None, None, None)
        logging.getLogger().removeHandler(handle.errors)
