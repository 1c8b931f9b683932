"""Dispatchers as separate OS processes (`python -m bot.channels.worker`): two side by side on PostgreSQL
send every row once; a worker killed mid-fan-out and started again reaches everyone, and duplicates no more
messages than it had in flight."""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from bot.sandbox import Faults, Limits, SandboxServer
from jobs.dispatcher import DispatchConfig
from storage.db import Database
from storage.models import OutboxMessage
from tests.delivery.helpers import TOKEN, chat_of, envelope, make_team, per_chat, put, rows, worker_command

# A crash duplicates at most the sends in flight: the worker's concurrency.
IN_FLIGHT_BOUND = DispatchConfig.concurrency
assert IN_FLIGHT_BOUND == 8


async def _start(
    database_url: str, server: SandboxServer, log: Path, *extra: str
) -> asyncio.subprocess.Process:
    argv, env = worker_command(database_url, server, *extra)
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(*argv, env=env, stdout=out, stderr=out)


async def _finish(proc: asyncio.subprocess.Process, log: Path, seconds: float = 60) -> None:
    try:
        code = await asyncio.wait_for(proc.wait(), seconds)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError("worker did not finish:\n" + _tail(log)) from None
    assert code == 0, _tail(log)


def _text(log: Path) -> str:
    return log.read_text()


def _tail(log: Path) -> str:
    return _text(log)[-3000:]


async def _sent_count(db: Database) -> int:
    async with db.session() as session:
        query = select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.status) == "sent")
        return int((await session.exec(query)).one())


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_worker_processes_send_2000_rows_exactly_once(
    db: Database, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.limits = Limits(scale=20)  # 600/s overall, 20/s per chat
    team = await make_team(db, 1999, server=sandbox)
    people = [team.leader, *team.members]
    await put(db, [envelope(p, f"open:{p}", f"班前安全确认 open:{p}") for p in people])
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    stats = [tmp_path / "w1.json", tmp_path / "w2.json"]
    procs = [
        await _start(
            db.url,
            sandbox,
            log,
            "--until-idle",
            "--rate",
            "300",
            "--worker-id",
            f"w{i + 1}",
            "--stats-out",
            str(out),
        )
        for i, (log, out) in enumerate(zip(logs, stats, strict=True))
    ]
    for proc, log in zip(procs, logs, strict=True):
        await _finish(proc, log)
    received = per_chat(sandbox)
    assert Counter(received[chat_of(p)] for p in people) == {1: 2000}, "every person exactly once"
    texts = Counter(
        r.params["text"] for r in sandbox.requests if r.method == "sendMessage" and r.status == 200
    )
    assert len(texts) == 2000 and set(texts.values()) == {1}
    stored = await rows(db)
    assert {r.status for r in stored.values()} == {"sent"}
    by_worker = Counter(r.claimed_by for r in stored.values())
    assert set(by_worker) == {"w1", "w2"} and min(by_worker.values()) > 100, by_worker
    figures = [json.loads(path.read_text()) for path in stats]
    assert sum(f["sent"] for f in figures) == 2000
    assert sandbox.stats.rate_limited == 0
    assert all(TOKEN not in _text(log) for log in logs), "the token never appears in the logs"


async def test_a_killed_worker_is_restarted_and_duplicates_at_most_its_sends_in_flight(
    db: Database, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.limits = Limits(scale=5)
    # Slow answers keep sends in flight; a send whose caller died is still carried out (like Telegram).
    sandbox.faults = Faults(latency=0.05)
    team = await make_team(db, 499, server=sandbox)
    people = [team.leader, *team.members]
    await put(db, [envelope(p, f"open:{p}") for p in people])
    log = tmp_path / "worker.log"
    common = ("--rate", "150", "--lease", "2", "--concurrency", str(IN_FLIGHT_BOUND))
    first = await _start(db.url, sandbox, log, *common)
    for _ in range(3000):
        if sandbox.stats.sent["sendMessage"] >= 150:
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the first worker did not get going:\n" + _tail(log))
    first.send_signal(signal.SIGKILL)
    await first.wait()
    await asyncio.sleep(0.3)  # let the sends the dead worker started land
    delivered_before = sum(per_chat(sandbox)[chat_of(p)] for p in people)
    assert 150 <= delivered_before < 450, "killed in the middle of the fan-out"
    assert await _sent_count(db) < delivered_before + IN_FLIGHT_BOUND
    second = await _start(db.url, sandbox, log, *common, "--until-idle")
    await _finish(second, log)
    received = per_chat(sandbox)
    assert all(received[chat_of(p)] >= 1 for p in people), "everyone got the message"
    duplicates = sum(received[chat_of(p)] - 1 for p in people)
    assert duplicates <= IN_FLIGHT_BOUND, f"{duplicates} duplicates"
    assert {r.status for r in (await rows(db)).values()} == {"sent"}
