"""`python -m bot.channels.worker`: an outbox dispatcher process on its own, without the chat Application.

    SAFETYBOT_TELEGRAM_TOKEN=… python -m bot.channels.worker --database-url URL [--base-url URL] \
        [--rate 30] [--concurrency 8] [--lease 60] [--until-idle] [--stats-out FILE]

Runs until SIGTERM/SIGINT (in-flight sends are drained), or with --until-idle until no outbox row is left.
Options default to the SAFETYBOT_* settings. Several workers (and the bot) may run side by side on
PostgreSQL: `--rate` is the account's whole limit, split evenly among the live sending processes through
the database (jobs.send_shares). The database must be migrated.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path

from bot.app import defaults_from, quiet_http_logs
from bot.channels.telegram import TelegramChannel
from bot.settings import SettingsError, load_settings
from jobs.dispatcher import DispatchConfig, Dispatcher
from safety.callbacks import derive_secret
from storage.db import Database

logger = logging.getLogger("bot.channels.worker")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.channels.worker", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--database-url")
    parser.add_argument("--base-url", help="Bot API base without the token, e.g. http://127.0.0.1:8080/bot")
    parser.add_argument("--token", help="default: SAFETYBOT_TELEGRAM_TOKEN (prefer it: argv is visible)")
    parser.add_argument("--rate", type=float, help="the account's limit (SAFETYBOT_SEND_RATE), shared, msg/s")
    parser.add_argument("--concurrency", type=int, default=DispatchConfig.concurrency)
    parser.add_argument("--lease", type=float, default=DispatchConfig.lease.total_seconds(), help="seconds")
    parser.add_argument("--worker-id")
    parser.add_argument("--until-idle", action="store_true", help="exit when no outbox row is left")
    parser.add_argument("--stats-out", type=Path, help="write the run's figures as JSON here")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    token = args.token or (settings.telegram_token.get_secret_value() if settings.telegram_token else None)
    if not token:
        print("a token is needed: SAFETYBOT_TELEGRAM_TOKEN or --token", file=sys.stderr)
        return 2
    config = DispatchConfig(
        send_rate=args.rate or settings.send_rate,
        concurrency=args.concurrency,
        lease=timedelta(seconds=args.lease),
        defaults=defaults_from(settings),
    )
    channel = TelegramChannel.create(
        token=token,
        base_url=args.base_url or settings.telegram_base_url,
        secret=derive_secret(token),
        connections=config.concurrency + 2,
        data_dir=settings.data_dir,
    )
    db = Database(args.database_url or settings.database_url)
    dispatcher = Dispatcher(db, channel, config, worker_id=args.worker_id)
    stop = asyncio.Event()

    def on_signal() -> None:
        stop.set()
        dispatcher.request_stop()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal)
    await channel.start()
    cpu0, wall0 = time.process_time(), time.monotonic()
    try:
        if args.until_idle:
            await dispatcher.run_until_idle()
        else:
            await dispatcher.start()
            await stop.wait()
    finally:
        await dispatcher.stop()
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        await channel.stop()
        await db.dispose()
    logger.info("worker %s done in %.1f s: %s", dispatcher.worker_id, wall, dispatcher.summary())
    if args.stats_out:
        figures = {"worker": dispatcher.worker_id, "pid": os.getpid(), "cpu_seconds": cpu}
        figures |= {"wall_seconds": wall, **dispatcher.stats.as_dict()}
        args.stats_out.write_text(json.dumps(figures, indent=2))
    return 0


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_http_logs()
    try:
        sys.exit(asyncio.run(run(args)))
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
