"""Benchmark 2, morning rush: N members press 「全部正常」 within a minute; the bot's answers, timed.

The sandbox Bot API runs in its own process (`python -m bot.sandbox`); the load generator runs in its own
process (`python -m benchmarks._rush_load`); the bot (the real Application from `bot.app.build_application`,
polling) runs in this process. Per database: a fresh database, an org of N staff in a few teams imported
from a generated YAML, everyone bound (ChatIdentity rows inserted directly) and cleared, one duty pass at
07:00:05 local opens the rounds, the dispatcher sends the N round-open messages (the fan-out), and only
when the outbox is empty does the rush start: N presses of each member's own 「全部正常」 button spread
evenly over S seconds (open loop). A bare PTB echo bot (CallbackQueryHandler: answer the query, send one
message) is measured in the same run against the same sandbox process with the same generator, pressing
the same messages.

Latency of a press = from the generator's clock just before it sends `POST /sandbox/api/press` to the
moment the sandbox finished recording the bot's answer 「✅ 已确认…」 to that member ("reply"): ours edits
the checklist message into a receipt (`editMessageText`, the buttons go with it), the echo bot sends a
message (`sendMessage`); both after their `answerCallbackQuery`, so the reply is the second Bot API call
of the press for both. "ack" is the same up to the bot's `answerCallbackQuery`. Both ends are
CLOCK_MONOTONIC (time.monotonic) on this machine, taken in two different processes.

Sandbox limits: Telegram's per-chat limits as they are (1/s per private chat, burst 2); the overall 30/s
is scaled by F (default 10: 300/s), since N replies a minute plus our keyboard edits are 2·N/60 limited
calls a second, above 30/s; the bot's one send budget (replies and bulk together) is the same 30·F.

    python -m benchmarks rush [--members 2000] [--teams 4] [--spreads 60,30] [--scale 10]
                              [--db sqlite,postgresql] [--record]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlmodel import col, delete, func, select, update
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from benchmarks._common import (
    StatementCount,
    append_results,
    bind_all,
    child_env,
    database,
    machine,
    percentile,
    process_cpu_seconds,
    read_line,
    sandbox_process,
)
from bot.app import ANSWER_CONNECTIONS, CONCURRENT_UPDATES, build_application, defaults_from, opened
from bot.services import Services
from bot.settings import Settings
from jobs import duty
from safety.callbacks import derive_secret
from safety.imports.results import ImportReport
from safety.imports.service import import_org_file
from storage import org_queries
from storage.db import Database
from storage.migrate import upgrade
from storage.models import CheckIn, Obligation, OutboxMessage, Person, Round

TOKEN = "900200:BENCH-rush-token"
USER_BASE = 7_000_000
SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 27)
START = datetime.combine(DAY, dtime(7, 0, 5), SHANGHAI)  # 5 s after the rounds open, 07:30 due
ALL_FINE = "全部正常"
CONFIRMED = "✅ 已确认"  # checkin.recorded_on_time starts with it; the echo bot's reply too
ECHO_REPLY = "✅ 已确认（echo）"
POLL_TIMEOUT = 10  # as bot.runner polls
REPLY_WAIT = 60.0  # after the last press, how long the bots get to answer everything
Presses = list[tuple[int, int, str]]  # (user id = chat id, message id, callback data)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks rush", description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=2000, help="staff who press, one press each")
    parser.add_argument("--teams", type=int, default=4, help="teams the members are split into")
    parser.add_argument(
        "--spreads",
        default="60,30",
        help="comma-separated seconds over which the presses are spread, one rush each; the first is the "
        "headline, the others look for the knee (the rounds are opened afresh for each)",
    )
    parser.add_argument("--scale", type=float, default=10.0, help="F: the sandbox's overall limit 30·F/s")
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--record", action="store_true", help="append the figures to benchmarks/RESULTS.md")
    return parser.parse_args(argv)


# -- setup ---------------------------------------------------------------------------------------------------


def org_yaml(members: int, teams: int) -> str:
    """A project with a safety officer and a manager, `teams` teams with a leader each, `members` staff."""
    lines = [
        "timezone: Asia/Shanghai",
        "units:",
        "  - id: proj-bench",
        "    name: 压测项目部",
        "    children:",
    ]
    for t in range(teams):
        lines += [
            f"      - id: team-{t:02d}",
            f"        name: 压测{t + 1}班",
            '        checkin: {days: everyday, opens: "07:00", due: "07:30"}',
        ]
    lines.append("people:")
    lines.append("  - {employee_no: S0001, name: 钱安全, unit: proj-bench, roles: [safety_officer]}")
    lines.append("  - {employee_no: M0001, name: 郑经理, unit: proj-bench, roles: [manager]}")
    for t in range(teams):
        lines.append(
            f"  - {{employee_no: L{t:04d}, name: 班长{t:02d}, unit: team-{t:02d}, roles: [team_leader]}}"
        )
    for i in range(members):
        lines.append(
            f"  - {{employee_no: E{i:06d}, name: 员工{i:06d}, phone: '139{i:08d}', "
            f"unit: team-{i % teams:02d}, roles: [staff]}}"
        )
    return "\n".join(lines) + "\n"


def people_count(args: argparse.Namespace) -> int:
    return args.members + args.teams + 2


async def populate(url: str, folder: Path, args: argparse.Namespace) -> tuple[int, float]:
    """Import the org, bind and clear everyone; returns (people, seconds)."""
    started = time.monotonic()
    org = folder / "rush-org.yaml"
    org.write_text(org_yaml(args.members, args.teams), encoding="utf-8")
    await upgrade(url)
    db = Database(url)
    try:
        async with db.session() as session:
            report = await import_org_file(session, org)
            if not isinstance(report, ImportReport):
                raise RuntimeError(f"the generated org file was rejected: {report}")
            await session.exec(update(Person).values(cleared=True))
            people = await org_queries.all_people(session)
            ids = [p.id for p in people if p.id is not None]
            if max(ids) > people_count(args):
                raise RuntimeError("person ids are not 1..N: the sandbox has no users for some of them")
            await bind_all(session, person_ids=ids, user_base=USER_BASE)
    finally:
        await db.dispose()
    return len(ids), time.monotonic() - started


class RunningClock:
    """The bot's clock: START when created, then moving with real time (so retries and leases work)."""

    def __init__(self, start: datetime) -> None:
        self.start, self.origin = start, time.monotonic()

    def __call__(self) -> datetime:
        return (self.start + timedelta(seconds=time.monotonic() - self.origin)).astimezone(UTC)


class ErrorCount(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.first is None:
            self.first = record.getMessage()[:300]


# -- the sandbox's page API ----------------------------------------------------------------------------------


ANSWERS = ("sendMessage", "editMessageText")  # ours answers by editing the checklist into a receipt


async def sent_messages(http: httpx.AsyncClient) -> int:
    sent = (await http.get("stats")).json()["sent"]
    return sum(int(sent.get(method, 0)) for method in ANSWERS)


async def checklist_presses(http: httpx.AsyncClient) -> Presses:
    """(user, message id, callback data) of the newest 「全部正常」 button the bot sent to each chat."""
    found: dict[int, tuple[int, int, str]] = {}
    since = 0
    while True:
        events = (await http.get("events", params={"since": since, "timeout": 0})).json()["events"]
        if not events:
            break
        since = int(events[-1]["rev"])
        for event in events:
            message = event.get("message") if event["kind"] == "message" else None
            if not message or not message["from_bot"]:
                continue
            rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
            button = next((b for row in rows for b in row if ALL_FINE in b.get("text", "")), None)
            if button is not None:
                chat = int(event["chat_id"])
                found[chat] = (chat, int(message["message_id"]), str(button["callback_data"]))
    return [found[chat] for chat in sorted(found)]


# -- one rush ------------------------------------------------------------------------------------------------


@dataclass
class RushSetup:
    base: str
    sandbox_pid: int
    http: httpx.AsyncClient
    folder: Path
    env: dict[str, str]


async def rush(
    setup: RushSetup,
    presses: Presses,
    spread: float,
    label: str,
    statements: StatementCount | None = None,
) -> dict[str, Any]:
    """One rush through the generator process; latencies from the sandbox's own request records."""
    order = list(presses)
    random.Random(7).shuffle(order)  # not in chat order: teams and people interleave as in real life
    plan, out = setup.folder / f"{label}-plan.json", setup.folder / f"{label}-out.json"
    plan.write_text(json.dumps({"base": setup.base, "spread": spread, "presses": order}))
    http = setup.http
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    profile = _profiler() if os.environ.get("BENCH_PROFILE") else None
    generator = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks._rush_load",
        str(plan),
        str(out),
        env=setup.env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert generator.stdin is not None and generator.stdout is not None
        await read_line(generator.stdout, "loadgen ready", 30)
        sent_before = await sent_messages(http)
        limited_before = int((await http.get("stats")).json()["rate_limited"])
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        self_before = resource.getrusage(resource.RUSAGE_SELF)
        sandbox_before = process_cpu_seconds(setup.sandbox_pid)
        if profile is not None:
            profile.start()
        if statements is not None:
            statements.reset()
        go = time.monotonic()
        generator.stdin.write(b"go\n")
        await generator.stdin.drain()
        code = await asyncio.wait_for(generator.wait(), spread + 150)
        if code != 0:
            raise RuntimeError(f"the load generator exited {code}")
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        deadline = time.monotonic() + REPLY_WAIT
        while time.monotonic() < deadline and await sent_messages(http) < sent_before + len(order):  # noqa: ASYNC110
            await asyncio.sleep(0.25)
        done = time.monotonic()
        shapes = dict(statements.shapes) if statements is not None else {}
        await asyncio.sleep(0.5)  # late extras (a second reply, an error answer) would show up now
        self_after = resource.getrusage(resource.RUSAGE_SELF)
        sandbox_after = process_cpu_seconds(setup.sandbox_pid)
    finally:
        if profile is not None:  # BENCH_PROFILE=DIR: the bot process's profile of each rush
            profile.stop()
            folder = Path(os.environ["BENCH_PROFILE"])
            assert profile.last_session is not None
            profile.last_session.save(str(folder / f"{label}.pyisession"))
            (folder / f"{label}.txt").write_text(profile.output_text(unicode=True, color=False))
        logging.getLogger().removeHandler(errors)
        if generator.returncode is None:
            generator.kill()
            await generator.wait()
    stats = (await http.get("stats")).json()
    calls = [r for r in (await http.get("requests")).json()["requests"] if r["at"] >= go]
    results = json.loads(out.read_text())
    replies: dict[int, float] = {}
    wrong_replies = 0
    acks: dict[str, float] = {}
    for call in calls:
        end = call["at"] + call["duration"]
        if call["method"] in ANSWERS and call["status"] == 200:
            text = str(call["params"].get("text", ""))
            if text.startswith(CONFIRMED):
                replies.setdefault(int(call["params"]["chat_id"]), end)
            else:
                wrong_replies += 1
        elif call["method"] == "answerCallbackQuery" and call["status"] == 200:
            acks.setdefault(str(call["params"].get("callback_query_id")), end)
    reply_ms, ack_ms = [], []
    for r in results:
        if r.get("status") != 200:
            continue
        if r["user_id"] in replies:
            reply_ms.append(1000 * (replies[r["user_id"]] - r["sent"]))
        if r["query_id"] in acks:
            ack_ms.append(1000 * (acks[r["query_id"]] - r["sent"]))
    pressed = [r for r in results if r.get("status") == 200]
    first_press = min((r["sent"] for r in results if r), default=go)
    last_reply = max(replies.values(), default=first_press)
    n = len(order)
    bot_failures = sum(1 for c in calls if c["method"] != "getUpdates" and c["status"] != 200)
    return {
        "label": label,
        "spread_s": spread,
        "presses": n,
        "offered_per_s": n / spread if spread > 0 else float("inf"),
        "handled_per_s": len(replies) / (last_reply - first_press) if last_reply > first_press else 0.0,
        "replies": len(replies),
        "reply_p50_ms": percentile(reply_ms, 50),
        "reply_p99_ms": percentile(reply_ms, 99),
        "reply_max_ms": max(reply_ms, default=float("nan")),
        "ack_p50_ms": percentile(ack_ms, 50),
        "ack_p99_ms": percentile(ack_ms, 99),
        "press_failures": n - len(pressed),
        "missing_replies": len(pressed) - len(reply_ms),
        "wrong_replies": wrong_replies,
        "bot_call_failures": bot_failures,
        "http_429": int(stats["rate_limited"]) - limited_before,
        "logged_errors": errors.count,
        "first_error": errors.first,
        "generator_lag_max_ms": max((1000 * (r["sent"] - r["scheduled"]) for r in pressed), default=0.0),
        "wall_s": done - go,
        "bot_cpu_ms_per_press": 1000 * _cpu(self_after, self_before) / n,
        "sandbox_cpu_ms_per_press": 1000 * (sandbox_after - sandbox_before) / n,
        "generator_cpu_ms_per_press": 1000 * _cpu(children_after, children_before) / n,
        "sql_per_press": sum(shapes.values()) / n,
        "sql_shapes": sorted(shapes.items(), key=lambda kv: -kv[1]),
    }


def _profiler() -> Any:
    """A sampling profiler for BENCH_PROFILE (pyinstrument, a dev dependency): every frame where it runs."""
    from pyinstrument import Profiler

    return Profiler(interval=0.0005, async_mode="disabled")


def _cpu(after: resource.struct_rusage, before: resource.struct_rusage) -> float:
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


# -- the two bots --------------------------------------------------------------------------------------------


async def _outbox_waiting(db: Database) -> int:
    async with db.session() as session:
        return (
            await session.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(col(OutboxMessage.status).in_(["pending", "sending"]))
            )
        ).one()


async def clear_rounds(db: Database) -> None:
    """Undo a rush for the next one: today's rounds, their obligations, check-ins and round-open messages
    go, so the next duty pass opens the rounds again and sends fresh checklists (with their buttons: the
    old ones were removed by the answers)."""
    async with db.session() as session:
        await session.exec(delete(CheckIn))
        await session.exec(delete(Obligation).where(col(Obligation.kind) == "checkin"))
        await session.exec(delete(OutboxMessage).where(col(OutboxMessage.kind) == "round_open"))
        await session.exec(delete(Round))


async def open_rounds(
    services: Services, http: httpx.AsyncClient, members: int
) -> tuple[int, float, Presses]:
    """One duty pass, then wait until the dispatcher has sent every round-open message; returns (rounds
    opened, seconds, each member's newest 「全部正常」 button)."""
    started = time.monotonic()
    rounds, _ = await duty.run_once(services)
    async with asyncio.timeout(300):
        while await _outbox_waiting(services.database):  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    seconds = time.monotonic() - started
    presses = await checklist_presses(http)
    if len(presses) != members:
        raise RuntimeError(f"{len(presses)} members got a checklist, expected {members}")
    await asyncio.sleep(2.0)  # the per-chat buckets refill (each round-open message took a token)
    return rounds, seconds, presses


async def run_ours(
    kind: str, setup: RushSetup, args: argparse.Namespace, spreads: list[float]
) -> tuple[dict[str, Any], list[dict[str, Any]], Presses]:
    async with database(kind, setup.folder) as url:
        people, setup_s = await populate(url, setup.folder, args)
        settings = Settings(database_url=url, telegram_token=None, _env_file=None)  # type: ignore[call-arg]
        services = Services(
            database_url=url,
            callback_secret=derive_secret(TOKEN),
            defaults=defaults_from(settings),
            clock=RunningClock(START),
            data_dir=setup.folder / f"data-{kind}",
            send_rate=30 * args.scale,
        )  # duty jobs as in production (nothing is due before 07:30)
        app = build_application(settings, token=TOKEN, base_url=f"{setup.base}/bot", services=services)
        async with opened(app):
            statements = StatementCount(services.database.engine)
            assert app.updater is not None
            await app.updater.start_polling(
                timeout=POLL_TIMEOUT, poll_interval=0.0, allowed_updates=Update.ALL_TYPES
            )
            await app.start()
            try:
                results = []
                for i, spread in enumerate(spreads):
                    if i:
                        await clear_rounds(services.database)
                    opened_rounds, seconds, presses = await open_rounds(services, setup.http, args.members)
                    if not i:
                        rounds, fanout_s = opened_rounds, seconds
                    print(f"  rush ours/{kind}: {len(presses)} presses over {spread:g} s …", flush=True)
                    results.append(await rush(setup, presses, spread, f"ours-{kind}-{spread:g}", statements))
                    print("   ", _short(results[-1]), flush=True)
            finally:
                await app.updater.stop()
                await app.stop()
    info = {"db": kind, "people": people, "setup_s": setup_s, "rounds": rounds, "fanout_s": fanout_s}
    return info, results, presses


async def echo_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    await query.answer()
    await context.bot.send_message(update.effective_chat.id, ECHO_REPLY)


async def run_echo(setup: RushSetup, presses: Presses, spreads: list[float]) -> list[dict[str, Any]]:
    """The bare PTB bot with our Application's transport settings (CONCURRENT_UPDATES, ANSWER_CONNECTIONS),
    no database, no rate limiter."""
    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(f"{setup.base}/bot")
        .base_file_url(f"{setup.base}/file/bot")
        .concurrent_updates(CONCURRENT_UPDATES)
        .connection_pool_size(ANSWER_CONNECTIONS)
        .pool_timeout(10)
        .build()
    )
    app.add_handler(CallbackQueryHandler(echo_pressed))
    results = []
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(
            timeout=POLL_TIMEOUT, poll_interval=0.0, allowed_updates=Update.ALL_TYPES
        )
        await app.start()
        try:
            for spread in spreads:
                await asyncio.sleep(2.0)
                print(f"  rush echo: {len(presses)} presses over {spread:g} s …", flush=True)
                results.append(await rush(setup, presses, spread, f"echo-{spread:g}"))
                print("   ", _short(results[-1]), flush=True)
        finally:
            await app.updater.stop()
            await app.stop()
    return results


def _short(r: dict[str, Any]) -> str:
    return (
        f"handled {r['handled_per_s']:.1f}/s, reply p50 {r['reply_p50_ms']:.0f} ms "
        f"p99 {r['reply_p99_ms']:.0f} ms "
        f"max {r['reply_max_ms']:.0f} ms, replies {r['replies']}/{r['presses']}, 429s {r['http_429']}, "
        f"errors {r['logged_errors']}"
    )


async def run_all(args: argparse.Namespace, folder: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    spreads = [float(s) for s in args.spreads.split(",") if s.strip()]
    env = child_env(TOKEN)
    users = f"{USER_BASE + 1}:{people_count(args)}"
    runs: list[dict[str, Any]] = []
    infos: dict[str, Any] = {}
    async with (
        sandbox_process(TOKEN, users, env) as (base, pid),
        httpx.AsyncClient(base_url=f"{base}/sandbox/api/", timeout=60) as http,
    ):
        overall = 30 * args.scale
        await http.post("config", json={"limits": {"overall_per_second": overall, "overall_burst": overall}})
        setup = RushSetup(base=base, sandbox_pid=pid, http=http, folder=folder, env=env)
        kinds = [k.strip() for k in args.db.split(",") if k.strip()]
        for i, kind in enumerate(kinds):
            if i:
                await http.post("reset")
            print(f"rush on {kind}: {args.members} members …", flush=True)
            info, results, presses = await run_ours(kind, setup, args, spreads)
            infos[kind] = info
            runs += [{"bot": "ours", "db": kind, **r} for r in results]
            if i == 0:  # the echo bot presses the same messages, same sandbox, same generator
                runs += [{"bot": "echo", "db": "-", **r} for r in await run_echo(setup, presses, spreads)]
    return runs, infos


# -- report --------------------------------------------------------------------------------------------------


def _span(values: list[float]) -> str:
    low, high = f"{min(values):.0f}", f"{max(values):.0f}"
    return low if low == high else f"{low}–{high}"


def keeps_up(r: dict[str, Any]) -> bool:
    """Handled what was offered (within 3 %) with a p99 under a second and no errors."""
    errors = r["press_failures"] + r["missing_replies"] + r["wrong_replies"] + r["logged_errors"]
    return r["handled_per_s"] >= 0.97 * r["offered_per_s"] and r["reply_p99_ms"] < 1000 and not errors


def reading(runs: list[dict[str, Any]], firsts: dict[str, dict[str, Any]], echo: dict[float, Any]) -> str:
    """The one-paragraph reading, from the figures."""
    parts = []
    for kind, r in firsts.items():
        base = echo.get(r["spread_s"])
        if base is None:
            continue
        ratio = r["reply_p99_ms"] / base["reply_p99_ms"]
        parts.append(
            f"on {kind} our p99 was {r['reply_p99_ms']:.0f} ms against the echo bot's "
            f"{base['reply_p99_ms']:.0f} ms, {ratio:.1f}× ({'within' if ratio <= 2 else 'over'} the 2× goal)"
        )
    head = firsts and next(iter(firsts.values()))
    text = f"**Reading.** At {head['offered_per_s']:.0f} presses/s " if head else "**Reading.** "
    text += "; ".join(parts) + "." if parts else ""
    capacity = []
    for r in runs:
        if r["bot"] == "ours" and r is not firsts.get(r["db"]):
            state = "keeps up" if keeps_up(r) else "falls behind"
            capacity.append(
                f"at {r['offered_per_s']:.0f}/s ours on {r['db']} {state} "
                f"(handled {r['handled_per_s']:.0f}/s, p99 {r['reply_p99_ms']:.0f} ms, bot CPU "
                f"{r['bot_cpu_ms_per_press'] * r['offered_per_s'] / 1000:.2f} s per second)"
            )
    if capacity:
        echo_fast = [e for e in echo.values() if e["spread_s"] != (head or {}).get("spread_s")]
        tail = "".join(
            f", the echo bot handled {e['handled_per_s']:.0f}/s with p99 {e['reply_p99_ms']:.0f} ms"
            for e in echo_fast
        )
        text += " Faster: " + "; ".join(capacity) + tail + "."
    ours_cpu = [r["bot_cpu_ms_per_press"] for r in firsts.values()]
    echo_cpu = [e["bot_cpu_ms_per_press"] for e in echo.values()]
    if ours_cpu and echo_cpu:
        statements = " / ".join(f"{r['sql_per_press']:.0f}" for r in firsts.values())
        gaps = [
            r["ack_p50_ms"] - echo[r["spread_s"]]["ack_p50_ms"]
            for r in firsts.values()
            if r["spread_s"] in echo
        ]
        text += (
            f" Per press our bot spends {_span(ours_cpu)} ms of CPU against the echo "
            f"bot's {_span(echo_cpu)} ms and sends {statements} SQL statements "
            f"({' / '.join(firsts)})"
        )
        if gaps:
            text += (
                f"; its ack (answerCallbackQuery) already trails the echo bot's by {_span(gaps)} ms at the "
                "median, before the reply is sent"
            )
        text += f". The machine's {os.cpu_count()} CPUs serve the bot, sandbox, generator and database."
    return text


def report(
    args: argparse.Namespace, argv: list[str], runs: list[dict[str, Any]], infos: dict[str, Any]
) -> str:
    command = " ".join([".venv/bin/python -m benchmarks rush", *argv])
    echo = {r["spread_s"]: r for r in runs if r["bot"] == "echo"}
    setup_line = "; ".join(
        f"{kind}: import+bind {i['setup_s']:.1f} s, fan-out of {args.members:,} round-open messages "
        f"{i['fanout_s']:.1f} s ({i['rounds']} rounds)"
        for kind, i in infos.items()
    )
    lines = [
        f"## Morning rush: {args.members:,} presses of 「全部正常」, overall limit ×{args.scale:g} "
        f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"- command: `{command}`",
        f"- machine: {machine()}",
        f"- set-up: {args.members:,} staff in {args.teams} teams (+ leaders), all bound and cleared; one "
        f"duty pass at 07:00:05 opens the rounds; the rush starts after the fan-out has finished "
        f"({setup_line})",
        f"- sandbox (own process): overall {30 * args.scale:g}/s (Telegram's 30/s ×{args.scale:g}), per chat "
        "Telegram's own 1/s (burst 2); load generator (own process): open loop, presses spread evenly over "
        "the given seconds; the bot in the benchmark's process, polling (timeout 10 s)",
        "- latency = generator's monotonic clock just before `POST /sandbox/api/press` → the sandbox has "
        "recorded the bot's answer 「✅ 已确认…」 to that member (reply) or its `answerCallbackQuery` "
        "(ack); ours answers the query, then edits the checklist into the receipt (`editMessageText`, "
        "2 calls); the echo bot answers the query, then sends a message (2 calls)",
        "",
        "| bot | db | spread s | offered/s | handled/s | reply p50 ms | reply p99 ms | reply max ms | "
        "ack p50 ms | ack p99 ms | p99 ÷ echo p99 | replies | errors | 429s | bot CPU ms/press |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in runs:
        base = echo.get(r["spread_s"])
        ratio = f"{r['reply_p99_ms'] / base['reply_p99_ms']:.2f}" if base and r["bot"] == "ours" else "-"
        errors = (
            r["press_failures"]
            + r["missing_replies"]
            + r["wrong_replies"]
            + r["bot_call_failures"]
            + r["logged_errors"]
        )
        lines.append(
            f"| {r['bot']} | {r['db']} | {r['spread_s']:g} | {r['offered_per_s']:.1f} | "
            f"{r['handled_per_s']:.1f} | "
            f"{r['reply_p50_ms']:.0f} | {r['reply_p99_ms']:.0f} | {r['reply_max_ms']:.0f} | "
            f"{r['ack_p50_ms']:.0f} | {r['ack_p99_ms']:.0f} | {ratio} | {r['replies']:,}/{r['presses']:,} | "
            f"{errors} | {r['http_429']} | {r['bot_cpu_ms_per_press']:.2f} |"
        )
    lines += [
        "",
        "errors = failed presses + missing or wrong replies + failed Bot API calls + errors logged by the "
        "bot; CPU is the bot process's (user+system, PostgreSQL's own processes not included).",
    ]
    firsts: dict[str, dict[str, Any]] = {}
    for r in runs:
        if r["bot"] == "ours":
            firsts.setdefault(r["db"], r)
    lines += ["", reading(runs, firsts, echo)]
    for kind, r in firsts.items():
        lines += [
            "",
            f"SQL statements the bot sent during the {r['spread_s']:g} s rush on {kind}: "
            f"{r['sql_per_press']:.1f} per press (counted with a `before_cursor_execute` listener; BEGIN "
            "and COMMIT not included), the main ones per press:",
            "",
        ]
        lines += [
            f"- {count / r['presses']:.2f} × `{shape}`"
            for shape, count in r["sql_shapes"]
            if count / r["presses"] >= 0.5
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    args = _parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory(prefix="sb-rush-") as folder:
        runs, infos = asyncio.run(run_all(args, Path(folder)))
    print(json.dumps(runs, indent=2, default=str), flush=True)
    text = report(args, argv, runs, infos)
    print(text)
    if args.record:
        append_results(text)
        print("appended to benchmarks/RESULTS.md")
