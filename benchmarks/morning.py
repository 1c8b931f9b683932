"""Benchmark 4, the morning at Telegram's real limits: 500 staff, the round opens, everyone presses during the
fan-out; our bot and a bare PTB echo bot measured in the same run.

Processes: our bot's sandbox Bot API and the echo bot's own sandbox (`python -m bot.sandbox`, Telegram's
limits unscaled: 30/s overall, 1/s per private chat with a burst of 2, 20/min per group; each bot has its
own 30/s, as two bots on Telegram have); the echo bot (`python -m benchmarks._morning_echo`); the load
generator (`python -m benchmarks._morning_load`); our bot in this process (benchmarks/_morning_bot.py
builds it: the real Application, polling, the duty jobs on the JobQueue as in production, sending at
Telegram's 30/s). Per database: a fresh database with an org of N staff in a few teams plus leaders, all
bound and cleared; the bot's clock is set so the check-in window opens `--lead` seconds after the bot is
started; the bot opens the rounds on its own and fans out the N checklists; each member presses 「全部正常」 a
human reaction delay after the checklist reached their chat (uniform, seeded), while the fan-out is still
going, and presses the echo bot's button in the echo sandbox at the same moment (the echo bot handed its
buttons out before, unmeasured). Figures from the sandboxes' own request records (see _morning_figures).
`--runs` mornings per database, interleaved (sqlite, postgresql, sqlite, …), each with a fresh database and
a fresh bot, the same echo bot: the goals are judged on the medians of the runs.

    python -m benchmarks morning [--members 500] [--teams 4] [--db sqlite,postgresql] [--runs 3]
                                 [--delay 0.2,1.0] [--lead 2] [--seed 11] [--keep DIR] [--note TEXT]
                                 [--record]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import httpx

from benchmarks import _morning_figures as figures
from benchmarks._common import (
    append_results,
    child_env,
    database,
    machine_busy,
    process_cpu_seconds,
    read_line,
    sandbox_process,
)
from benchmarks._morning_bot import (
    ECHO_TOKEN,
    SETUP,
    TOKEN,
    USER_BASE,
    RunningClock,
    duty_interval,
    people_count,
    prepare_database,
    start_ours,
    stop_ours,
)
from benchmarks._morning_report import report, short
from benchmarks.rush import DAY, SHANGHAI

OPENS = datetime.combine(DAY, dtime(7, 0), SHANGHAI)  # the teams' check-in window opens at 07:00
REPLY_WAIT = 60.0  # after the last press, how long the bots get to answer everything
IDLE = 60.0  # no new checklist for this long (and none waiting to be pressed): the fan-out has stopped
LIMIT = 600.0  # the generator gives up after this long in any case


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks morning", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--members", type=int, default=500, help="cleared staff, one checklist and press each"
    )
    parser.add_argument("--teams", type=int, default=4, help="teams the members are split into")
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--runs", type=int, default=3, help="mornings per database (interleaved): medians")
    parser.add_argument("--delay", default="0.2,1.0", help="reaction delay: uniform between these seconds")
    parser.add_argument("--lead", type=float, default=2.0, help="seconds from starting the bot to `opens`")
    parser.add_argument("--seed", type=int, default=11, help="seed of the members' reaction delays")
    parser.add_argument("--keep", default="", help="a folder for the raw request records of each run")
    parser.add_argument("--note", default="", help="a line for the recorded section (what was measured)")
    parser.add_argument("--record", action="store_true", help="append the figures to benchmarks/RESULTS.md")
    return parser.parse_args(argv)


@dataclass
class Sandboxes:
    ours: str
    ours_pid: int
    ours_http: httpx.AsyncClient
    echo: str
    echo_pid: int
    echo_http: httpx.AsyncClient
    echo_bot_pid: int
    folder: Path
    env: dict[str, str]


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def _cpu_now(s: Sandboxes) -> dict[str, float]:
    return {
        "bot": _cpu(resource.getrusage(resource.RUSAGE_SELF)),
        "generator": _cpu(resource.getrusage(resource.RUSAGE_CHILDREN)),
        "echo_bot": process_cpu_seconds(s.echo_bot_pid),
        "ours_sandbox": process_cpu_seconds(s.ours_pid),
        "echo_sandbox": process_cpu_seconds(s.echo_pid),
    }


async def _calls(http: httpx.AsyncClient, since: float) -> list[dict[str, Any]]:
    return [r for r in (await http.get("requests")).json()["requests"] if r["at"] >= since]


async def _limited(http: httpx.AsyncClient) -> int:
    return int((await http.get("stats")).json()["rate_limited"])


async def morning(kind: str, url: str, s: Sandboxes, args: argparse.Namespace) -> dict[str, Any]:
    """One morning against `url`'s database: returns ours' and the echo bot's figures and the goals."""
    low, high = (float(x) for x in args.delay.split(","))
    plan, out = s.folder / f"{kind}-plan.json", s.folder / f"{kind}-out.json"
    plan.write_text(
        json.dumps(
            {
                "ours": s.ours,
                "echo": s.echo,
                "members": args.members,
                "seed": args.seed,
                "delay": [low, high],
                "reply_wait": REPLY_WAIT,
                "idle": IDLE,
                "limit": LIMIT,
            }
        )
    )
    generator = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks._morning_load",
        str(plan),
        str(out),
        env=s.env,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert generator.stdout is not None
        await read_line(generator.stdout, "loadgen ready", 60)
        limited = await _limited(s.ours_http), await _limited(s.echo_http)
        cpu, busy = _cpu_now(s), machine_busy()
        clock = RunningClock(OPENS - timedelta(seconds=args.lead))
        opens = clock.origin + args.lead  # time.monotonic() when the bot's clock passes `opens`
        started = time.monotonic()
        handle = await start_ours(url, s.ours, clock, s.folder / kind)
        up = time.monotonic()
        try:
            code = await asyncio.wait_for(generator.wait(), LIMIT + 60)
            cpu_after, busy_after, done = _cpu_now(s), machine_busy(), time.monotonic()
        finally:
            await stop_ours(handle)
        if code != 0:
            raise RuntimeError(f"the load generator exited {code}")
    finally:
        if generator.returncode is None:
            generator.kill()
            await generator.wait()
    result = json.loads(out.read_text())
    members = result["members"]
    ours_calls, echo_calls = await _calls(s.ours_http, started), await _calls(s.echo_http, started)
    if args.keep:  # the raw records, for a closer look
        raw = {"opens": opens, "members": members, "ours_calls": ours_calls, "echo_calls": echo_calls}
        (Path(args.keep) / f"morning-{kind}-{time.time_ns()}.json").write_text(json.dumps(raw))
    ours = figures.ours(ours_calls, members, opens=opens, http_429=await _limited(s.ours_http) - limited[0])
    echo = figures.echo(echo_calls, members, http_429=await _limited(s.echo_http) - limited[1])
    n = max(1, len(members))
    spent = {k: 1000 * (cpu_after[k] - cpu[k]) / n for k in cpu}
    ours |= {"cpu_ms_per_member": spent["bot"], "sandbox_cpu_ms_per_member": spent["ours_sandbox"]}
    ours |= {"sql_per_member": (handle.statements.total / n) if handle.statements else float("nan")}
    ours |= {"logged_errors": handle.errors.count, "first_error": handle.errors.first}
    echo |= {"cpu_ms_per_member": spent["echo_bot"], "sandbox_cpu_ms_per_member": spent["echo_sandbox"]}
    return {
        "db": kind,
        "end": result["end"],
        "echo_buttons": result["echo_buttons"],
        "startup_s": up - started,
        "opens_after_up_s": opens - up,
        "duty_interval_s": duty_interval(handle),
        "wall_s": done - started,
        "machine_busy": (busy_after[0] - busy[0]) / max(1e-9, busy_after[1] - busy[1]),
        "generator_cpu_ms_per_member": spent["generator"],
        "ours": ours,
        "echo": echo,
        "goals": figures.goals(ours, echo),
    }


async def run_all(args: argparse.Namespace, folder: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    people = people_count(args.members, args.teams)
    users = f"{USER_BASE + 1}:{people}"
    env = child_env(TOKEN)
    runs: list[dict[str, Any]] = []
    async with AsyncExitStack() as stack:
        ours_base, ours_pid = await stack.enter_async_context(sandbox_process(TOKEN, users, env))
        echo_base, echo_pid = await stack.enter_async_context(sandbox_process(ECHO_TOKEN, users, env))
        clients = [
            httpx.AsyncClient(base_url=f"{b}/sandbox/api/", timeout=60) for b in (ours_base, echo_base)
        ]
        for client in clients:
            await stack.enter_async_context(client)
        limits = (await clients[0].get("config")).json()["limits"]
        echo_bot = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks._morning_echo",
            echo_base,
            ECHO_TOKEN,
            str(USER_BASE + 1),
            str(people),
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        s = Sandboxes(
            ours_base, ours_pid, clients[0], echo_base, echo_pid, clients[1], echo_bot.pid, folder, env
        )
        assert echo_bot.stdout is not None
        echo_ready = asyncio.create_task(read_line(echo_bot.stdout, "echo ready", 300))
        try:
            kinds = [k.strip() for k in args.db.split(",") if k.strip()]
            for i, (number, kind) in enumerate((n, k) for n in range(1, args.runs + 1) for k in kinds):
                if i:
                    await s.ours_http.post("reset")
                async with database(kind, folder) as url:
                    people_made, setup_s = await prepare_database(
                        url, folder, members=args.members, teams=args.teams
                    )
                    await echo_ready  # the echo bot's buttons are out (while the first database was made)
                    print(f"morning {number} on {kind}: {args.members} members …", flush=True)
                    run = await morning(kind, url, s, args)
                    run |= {"run": number, "people": people_made, "setup_s": setup_s}
                    runs.append(run)
                    print("   ", short(run), flush=True)
        finally:
            echo_ready.cancel()
            if echo_bot.returncode is None:
                assert echo_bot.stdin is not None
                echo_bot.stdin.write(b"stop\n")
                await echo_bot.stdin.drain()
                try:
                    await asyncio.wait_for(echo_bot.wait(), 20)
                except TimeoutError:
                    echo_bot.kill()
                    await echo_bot.wait()
    return runs, {"limits": limits, "people": people, "bot": SETUP}


def main(argv: list[str]) -> None:
    args = _parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sb-morning-") as folder:
        runs, info = asyncio.run(run_all(args, Path(folder)))
    info["total_s"] = time.monotonic() - started
    info["date"] = datetime.now(UTC)
    print(json.dumps(runs, indent=2, default=str), flush=True)
    text = report(args, argv, runs, info)
    print(text)
    if args.record:
        append_results(text)
        print("appended to benchmarks/RESULTS.md")
