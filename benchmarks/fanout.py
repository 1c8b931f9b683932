"""Benchmark 1, fan-out: N round-open messages to N distinct bound people through the outbox dispatcher.

The sandbox Bot API runs in its own process (`python -m bot.sandbox`) with Telegram's limits scaled by F
(overall 30·F/s, per chat F/s); the dispatcher runs in its own process (`python -m bot.channels.worker
--until-idle`) with send_rate = 30·F (its whole send budget: no replies share it here). Reported: achieved
rate against the rate the dispatcher paced for and against the sandbox's limit, 429 answers, duplicates,
CPU per message.

    python -m benchmarks fanout [--n 10000] [--scale 10] [--db sqlite,postgresql] [--record]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks import _common
from benchmarks._common import database
from jobs.dispatcher import DispatchConfig
from safety.outbox import Envelope, enqueue
from safety.views import Action, Text, View
from storage import org_queries
from storage import outbox_queries as oq
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Unit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("RESULTS.md")
TOKEN = "900100:BENCH-fanout-token"
USER_BASE = 7_000_000
PG_DSN = os.environ.get("SAFETYBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
HEADER = """# Benchmark results

Recorded runs of `python -m benchmarks …`, newest last. Each section names the command, the machine and the
date; figures from different machines are not comparable.
"""


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks fanout", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="people, one message each")
    parser.add_argument("--scale", type=float, default=10.0, help="F: the sandbox's limits times F")
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--concurrency", type=int, default=DispatchConfig.concurrency)
    parser.add_argument("--record", action="store_true", help=f"append the figures to {RESULTS.name}")
    return parser.parse_args(argv)


# -- setup ---------------------------------------------------------------------------------------------------


async def populate(url: str, n: int) -> tuple[int, int, float]:
    """N bound staff in one team and one round-open outbox row each; returns (first id, last id, seconds)."""
    started = time.monotonic()
    await upgrade(url)
    db = Database(url)
    try:
        async with db.session() as session:
            await org_queries.insert_units(session, units=[Unit(id="bench", name="压测班组")])
            people = [(f"B{i:06d}", f"员工{i}", None, "bench") for i in range(n)]
            ids = sorted((await org_queries.insert_people(session, people=people)).values())
            await _common.bind_all(session, person_ids=ids, user_base=USER_BASE)
            now = datetime.now(UTC)
            buttons = (
                (
                    Action(Text("checkin.all_fine"), "ck", "1"),
                    Action(Text("checkin.something_wrong"), "ckx", "1"),
                ),
            )
            envelopes = [
                Envelope(
                    key=f"round:1:person:{p}",
                    kind="round_open",
                    person_id=p,
                    view=View((f"压测班组 07:00 班前安全确认 round:1:person:{p}",), buttons),
                )
                for p in ids
            ]
            await enqueue(session, envelopes, now=now, default_channel="telegram")
    finally:
        await db.dispose()
    return ids[0], ids[-1], time.monotonic() - started


# -- one run -------------------------------------------------------------------------------------------------


async def run_one(kind: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    async with database(kind, folder) as url:
        first, last, setup_seconds = await populate(url, args.n)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAFETYBOT_")}
        env |= {"SAFETYBOT_TELEGRAM_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
        sandbox = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.sandbox",
            "--port",
            "0",
            "--token",
            TOKEN,
            "--scale",
            str(args.scale),
            "--users",
            f"{USER_BASE + first}:{last - first + 1}",
            env=env,
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            assert sandbox.stdout is not None
            base = await _common.read_line(sandbox.stdout, "sandbox ready ", 60)
            stats_file, log_file = folder / f"{kind}-worker.json", folder / f"{kind}-worker.log"
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            with log_file.open("wb") as log:
                profile = os.environ.get("BENCH_PROFILE")  # a file: run the worker under cProfile
                python = [sys.executable, *(["-m", "cProfile", "-o", profile] if profile else [])]
                worker = await asyncio.create_subprocess_exec(
                    *python,
                    "-m",
                    "bot.channels.worker",
                    "--database-url",
                    url,
                    "--base-url",
                    f"{base}/bot",
                    "--rate",
                    str(30 * args.scale),
                    "--concurrency",
                    str(args.concurrency),
                    "--until-idle",
                    "--stats-out",
                    str(stats_file),
                    env=env,
                    stdout=log,
                    stderr=log,
                )
                code = await asyncio.wait_for(worker.wait(), 600)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if code != 0:
                raise RuntimeError(f"worker exited {code}:\n{log_file.read_text()[-3000:]}")
            async with httpx.AsyncClient(base_url=f"{base}/sandbox/api/", timeout=60) as http:
                stats = (await http.get("stats")).json()
                calls = (await http.get("requests", params={"method": "sendMessage"})).json()["requests"]
        finally:
            sandbox.terminate()
            await sandbox.wait()
        sandbox_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        db = Database(url)
        try:
            async with db.session() as session:
                statuses = await oq.status_counts(session)
        finally:
            await db.dispose()
    worker_figures = json.loads(stats_file.read_text())
    ok = [c for c in calls if c["status"] == 200]
    per_chat = Counter(c["params"]["chat_id"] for c in ok)
    times = sorted(c["at"] for c in ok)
    achieved = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    gaps = sorted(b - a for a, b in itertools.pairwise(times)) or [0.0]
    limit = 30 * args.scale
    process_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    sandbox_cpu = (sandbox_usage.ru_utime + sandbox_usage.ru_stime) - (after.ru_utime + after.ru_stime)
    return {
        "db": kind,
        "n": args.n,
        "setup_s": setup_seconds,
        "delivered_people": len(per_chat),
        "sends_200": len(ok),
        "duplicates": sum(count - 1 for count in per_chat.values()),
        "http_429": stats["rate_limited"],
        "statuses": statuses,
        "limit": limit,
        "paced_for": limit,
        "achieved": achieved,
        "wall_s": worker_figures["wall_seconds"],
        "max_gap_ms": 1000 * gaps[-1],
        "p99_gap_ms": 1000 * gaps[int(0.99 * (len(gaps) - 1))],
        "cpu_ms_per_msg": 1000 * worker_figures["cpu_seconds"] / max(1, worker_figures["sent"]),
        "process_cpu_ms_per_msg": 1000 * process_cpu / max(1, worker_figures["sent"]),
        "sandbox_cpu_ms_per_msg": 1000 * sandbox_cpu / max(1, len(ok)),
    }


# -- report --------------------------------------------------------------------------------------------------


def machine() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{_common.machine()}; load average {load} at the end"


def report(args: argparse.Namespace, argv: list[str], results: list[dict[str, Any]]) -> str:
    command = " ".join([".venv/bin/python -m benchmarks fanout", *argv])
    lines = [
        f"## Fan-out: {args.n:,} round-open messages, limits ×{args.scale:g} "
        f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"- command: `{command}`",
        f"- machine: {machine()}",
        f"- sandbox (own process): overall {30 * args.scale:g}/s, per chat {args.scale:g}/s "
        f"(Telegram's limits ×{args.scale:g}); dispatcher (own process): send budget {30 * args.scale:g}/s "
        f"(no replies in this run), {args.concurrency} in flight",
        "",
        "| db | delivered | achieved msg/s | ÷ paced-for rate | ÷ sandbox limit | 429s | duplicates | "
        "dispatcher CPU ms/msg (dispatching / whole process) | sandbox CPU ms/msg | wall s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r['db']} | {r['delivered_people']:,}/{r['n']:,} | {r['achieved']:.1f} | "
            f"{r['achieved'] / r['paced_for']:.3f} | {r['achieved'] / r['limit']:.3f} | {r['http_429']} | "
            f"{r['duplicates']} | {r['cpu_ms_per_msg']:.2f} / {r['process_cpu_ms_per_msg']:.2f} | "
            f"{r['sandbox_cpu_ms_per_msg']:.2f} | {r['wall_s']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    args = _parse(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="sb-bench-") as folder:
        for kind in [k.strip() for k in args.db.split(",") if k.strip()]:
            print(f"fanout on {kind}: {args.n} messages …", flush=True)
            result = asyncio.run(run_one(kind, args, Path(folder)))
            print(json.dumps(result, indent=2), flush=True)
            results.append(result)
    text = report(args, argv, results)
    print(text)
    if args.record:
        existing = RESULTS.read_text() if RESULTS.exists() else HEADER
        RESULTS.write_text(existing.rstrip("\n") + "\n\n" + text)
        print(f"appended to {RESULTS}")
