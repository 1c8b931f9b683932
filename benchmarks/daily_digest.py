"""Benchmark 7, the daily digest for 100 teams (issue 12): the job's steps, then every digest delivered
through the real outbox dispatcher to the sandbox Bot API at Telegram's real limits.

Per run: a fresh database with a branch (2 managers) above 10 projects (a safety officer and a project
manager each) of 10 teams of 10 (benchmarks/_export_seed.py), 14 days of check-in history up to the digest
day (a round every workday, ~95 % on time, late, issue, missed, leave), reports of every kind and state
(open hazards of every age, overdue rectifications), quiz clearance, reminder cards not all acknowledged.
The leaders are bound to sandbox users. The digest day is a Monday (2026-11-30), so Monday's weekly summary
goes out at the same moment as on a real site.

This process is the bot process: the runtime is the bot's `Services` (clock set to 17:30:00 local, then
moving with real time), the dispatcher the real `jobs.dispatcher.Dispatcher` with the real Telegram channel,
started before the job (idle, as in production) and woken by it, its send budget Telegram's 30/s. The
sandbox (`python -m bot.sandbox`, own process) applies Telegram's limits unscaled: 30/s overall (burst 30),
1/s per private chat (burst 2). The job's steps are timed one by one, as the step runs them
(safety/daily_digest/send.py: `due` — who is due and their figures, reads; `render` — the charts, in a thread;
`send_due` — the outbox rows; then the same for the weekly summary), then the step itself (`run`) runs as
housekeeping calls it, to catch whatever else it does (normally nothing is left: the rows exist). Delivery
is timed from the job's start to the moment the sandbox has recorded, for every leader, the last photo.
`--runs` per database, interleaved: medians.

    python -m benchmarks daily_digest [--db sqlite,postgresql] [--runs 3] [--people 1000] [--keep DIR]
                                      [--note TEXT] [--record]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Awaitable
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from benchmarks._common import append_results, bind_all, child_env, database, machine_busy, sandbox_process
from benchmarks._digest_report import report
from benchmarks._export_seed import ZONE, seed
from benchmarks.rush import RunningClock
from bot.app import defaults_from
from bot.channels.telegram import TelegramChannel
from bot.services import Services
from bot.settings import Settings
from jobs.dispatcher import DispatchConfig, Dispatcher
from jobs.send_budget import SendBudget
from safety.callbacks import derive_secret
from storage import outbox_queries
from storage.db import Database

TOKEN = "900400:BENCH-daily-digest"
USER_BASE = 7_000_000  # person p is sandbox user (and private chat) USER_BASE + p
DAY = date(2026, 11, 30)  # a Monday: the weekly summary goes out with the digest
DIGEST_AT = "17:30"
SEND_RATE = 30.0  # Telegram's overall limit, unscaled
DELIVERY_LIMIT = 300.0  # seconds to wait for every outbox row to be sent
STEP_MODULES = ("safety.daily_digest.send", "safety.daily_digest.weekly_send")


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks daily_digest", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--runs", type=int, default=3, help="runs per database (interleaved): medians")
    parser.add_argument("--people", type=int, default=1000, help="team members (10 a team: 100 teams)")
    parser.add_argument("--keep", default="", help="a folder to copy the charts of each run into")
    parser.add_argument("--note", default="", help="a line for the recorded section (what was measured)")
    parser.add_argument("--record", action="store_true", help="append the figures to benchmarks/RESULTS.md")
    return parser.parse_args(argv)


def step_modules() -> list[tuple[str, ModuleType]]:
    """The digest step's parts that exist in the code under test (the daily digest; the weekly summary)."""
    found = []
    for name in STEP_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if all(hasattr(module, f) for f in ("due", "render", "send_due")):
            found.append((name.rsplit(".", 1)[1], module))
    return found


class Timer:
    """Seconds per named part of the job."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    async def __call__(self, name: str, work: Awaitable[Any]) -> Any:
        started = time.monotonic()
        try:
            return await work
        finally:
            self.seconds[name] = time.monotonic() - started


async def job(services: Services) -> tuple[dict[str, float], dict[str, int]]:
    """The digest step, part by part as `run` does it, then `run` itself; (seconds per part, rows)."""
    timer = Timer()
    rows: dict[str, int] = {}
    started = time.monotonic()
    daily = importlib.import_module(STEP_MODULES[0])
    defaults = services.defaults
    for name, module in step_modules():
        now = services.now()
        async with services.reading() as session:
            due = module.due(session, now=now, defaults=defaults, digest_at=services.digest_at)
            items = await timer(f"{name}: due", due)
        rows[f"{name}: charts"] = len({getattr(i, "chart_path", None) for i in items} - {None})
        await timer(f"{name}: render", asyncio.to_thread(module.render, items, services.data_dir))
        async with services.session(background=True) as session:
            writing = module.send_due(session, items, now=now, defaults=defaults)
            rows[f"{name}: rows"] = await timer(f"{name}: send_due", writing)
        services.wake_dispatchers()
    rows["run: rows"] = await timer("run", daily.run(services))
    services.wake_dispatchers()
    timer.seconds["job"] = time.monotonic() - started
    return timer.seconds, rows


async def pending(db: Database) -> int:
    async with db.reading() as session:
        counts = await outbox_queries.status_counts(session)
    return sum(n for status, n in counts.items() if status in ("pending", "sending"))


async def one_run(
    kind: str, number: int, args: argparse.Namespace, base: str, http: httpx.AsyncClient, folder: Path
) -> dict[str, Any]:
    async with database(kind, folder) as url:
        started = time.monotonic()
        first = DAY - timedelta(days=13)
        org = await seed(url, people=args.people, first=first, last=DAY)
        db = Database(url)
        try:
            async with db.session() as session:
                await bind_all(session, person_ids=org.leaders, user_base=USER_BASE)
            setup_s = time.monotonic() - started
            data_dir = folder / f"data-{kind}-{number}"
            settings = Settings(database_url=url, telegram_token=None, _env_file=None)  # type: ignore[call-arg]
            clock = RunningClock(datetime.combine(DAY, dtime(17, 30), ZONE))
            services = Services(
                database_url=url,
                callback_secret=derive_secret(TOKEN),
                defaults=defaults_from(settings),
                data_dir=data_dir,
                clock=clock,
                send_rate=SEND_RATE,
                digest_at=DIGEST_AT,
            )
            services.db = db
            config = DispatchConfig(send_rate=SEND_RATE, defaults=services.defaults)
            channel = TelegramChannel.create(
                token=TOKEN,
                base_url=f"{base}/bot",
                secret=derive_secret(TOKEN),
                connections=config.concurrency + 2,
                data_dir=data_dir,
            )
            dispatcher = Dispatcher(db, channel, config, budget=SendBudget(SEND_RATE), clock=clock)
            services.dispatchers = [dispatcher]
            await channel.start()
            await dispatcher.start()
            await http.post("reset")
            try:
                busy = machine_busy()
                t0 = time.monotonic()
                seconds, rows = await job(services)
                deadline = time.monotonic() + DELIVERY_LIMIT
                while await pending(db) and time.monotonic() < deadline:  # noqa: ASYNC110 (the outbox)
                    await asyncio.sleep(0.05)
                delivered = time.monotonic()
                busy_after = machine_busy()
            finally:
                await dispatcher.stop()
                await channel.stop()
            async with db.reading() as session:
                statuses = await outbox_queries.status_counts(session)
        finally:
            await db.dispose()
    calls = (await http.get("requests")).json()["requests"]
    stats = (await http.get("stats")).json()
    charts = sorted(p.stat().st_size for p in data_dir.rglob("*.png"))
    if args.keep:  # the charts as the leaders got them, for a look
        shutil.copytree(data_dir, Path(args.keep) / data_dir.name, dirs_exist_ok=True)
    return {
        "db": kind,
        "run": number,
        "setup_s": setup_s,
        "seeded": org.counts,
        "leaders": {USER_BASE + p for p in org.leaders},
        "t0": t0,
        "seconds": seconds,
        "rows": rows,
        "statuses": statuses,
        "waited_s": delivered - t0,
        "calls": calls,
        "http_429": int(stats.get("rate_limited", 0)),
        "chart_bytes": charts,
        "machine_busy": (busy_after[0] - busy[0]) / max(1e-9, busy_after[1] - busy[1]),
    }


async def run_all(args: argparse.Namespace, folder: Path) -> list[dict[str, Any]]:
    leaders_max = 2 + 2 * -(-args.people // 100)  # branch managers, then per project: officer, manager
    env = child_env(TOKEN)
    runs: list[dict[str, Any]] = []
    async with (
        sandbox_process(TOKEN, f"{USER_BASE + 1}:{leaders_max}", env) as (base, _pid),
        httpx.AsyncClient(base_url=f"{base}/sandbox/api/", timeout=60) as http,
    ):
        kinds = [k.strip() for k in args.db.split(",") if k.strip()]
        for number in range(1, args.runs + 1):
            for kind in kinds:
                print(f"daily_digest {number} on {kind}: {args.people} people …", flush=True)
                run = await one_run(kind, number, args, base, http, folder)
                runs.append(run)
                shown = {k: round(v, 3) for k, v in run["seconds"].items()}
                print(f"    steps {json.dumps(shown, ensure_ascii=False)}, waited {run['waited_s']:.2f} s")
    return runs


def main(argv: list[str]) -> None:
    args = _parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sb-digest-") as folder:
        runs = asyncio.run(run_all(args, Path(folder)))
    info = {"total_s": time.monotonic() - started, "date": datetime.now(UTC), "day": DAY}
    info |= {"digest_at": DIGEST_AT, "send_rate": SEND_RATE}
    text = report(args, argv, runs, info)
    print(text)
    if args.record:
        append_results(text)
        print("appended to benchmarks/RESULTS.md")
