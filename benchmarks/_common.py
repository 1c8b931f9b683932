"""Shared pieces of the rush and escalation benchmarks: the machine line, throw-away databases, percentiles,
the sandbox process and appending a section to RESULTS.md (same format as benchmarks/fanout.py)."""

from __future__ import annotations

import asyncio
import functools
import math
import os
import platform
import re
import sqlite3
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import ChatIdentity

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("RESULTS.md")
PG_DSN = os.environ.get("SAFETYBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
HEADER = """# Benchmark results

Recorded runs of `python -m benchmarks …`, newest last. Each section names the command, the machine and the
date; figures from different machines are not comparable.
"""


def pg_url(name: str) -> str:
    return f"{PG_DSN.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+asyncpg://', 1)}/{name}"


@asynccontextmanager
async def database(kind: str, folder: Path) -> AsyncIterator[str]:
    """A fresh, empty database URL: a SQLite file in `folder`, or a PostgreSQL database `sb_bench_<random>`
    that is dropped (WITH FORCE) afterwards."""
    if kind == "sqlite":
        path = folder / f"bench-{uuid.uuid4().hex[:6]}.db"
        yield f"sqlite+aiosqlite:///{path}"
        return
    admin = await asyncpg.connect(PG_DSN, timeout=5)
    name = f"sb_bench_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url(name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of unsorted values; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "?",
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return (
        f"{os.cpu_count()} CPUs (nproc), {cpu}, {mem_kb / 1024 / 1024:.1f} GiB RAM; Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, PostgreSQL at {PG_DSN.split('@')[-1]}"
    )


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a running process (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def read_line(stream: asyncio.StreamReader, prefix: str, seconds: float) -> str:
    async with asyncio.timeout(seconds):
        while True:
            line = (await stream.readline()).decode()
            if not line:
                raise RuntimeError("the child process ended before it printed its ready line")
            if line.startswith(prefix):
                return line[len(prefix) :].strip()


@asynccontextmanager
async def sandbox_process(token: str, users: str, env: dict[str, str]) -> AsyncIterator[tuple[str, int]]:
    """`python -m bot.sandbox` in its own process; yields (base URL, pid); terminated afterwards."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.sandbox",
        "--port",
        "0",
        "--token",
        token,
        "--scale",
        "1",
        "--users",
        users,
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        base = await read_line(process.stdout, "sandbox ready ", 60)
        yield base, process.pid
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


def child_env(token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFETYBOT_")}
    return env | {"SAFETYBOT_TELEGRAM_TOKEN": token, "PYTHONPATH": str(ROOT)}


def append_results(text: str) -> None:
    """Append one section to RESULTS.md (read at the last moment, appended, never rewritten)."""
    if not RESULTS.exists():
        RESULTS.write_text(HEADER + "\n" + text)
        return
    existing = RESULTS.read_text()
    separator = "" if existing.endswith("\n\n") else ("\n" if existing.endswith("\n") else "\n\n")
    with RESULTS.open("a") as out:
        out.write(separator + text)


_CAST = r"(?:::(?:TIMESTAMP WITH(?:OUT)? TIME ZONE|[A-Za-z_]+(?:\(\d+\))?(?:\[\])?))?"
_PARAM = rf"(?:\$\d+{_CAST}|\?|%\([^)]*\)s|__\[POSTCOMPILE_[^\]]*\])"
_LITERAL_LISTS = re.compile(rf"\(\s*{_PARAM}(?:\s*,\s*{_PARAM})*\s*\)")
_PLACEHOLDER_RUNS = re.compile(rf"{_PARAM}(?:\s*,\s*{_PARAM})+")
_SPACES = re.compile(r"\s+")
_ROW_RUNS = re.compile(r"\(…\)(?:\s*,\s*\(…\))+")
_SELECT_LIST = re.compile(r"^SELECT (?!count\()(.{40,}?) FROM ")
_INSERT_COLUMNS = re.compile(r"^INSERT INTO (\S+) \([^)]*\)")
_SAVEPOINT = re.compile(r"\bsa_savepoint_\d+")
_NUMBERED_ROWS = re.compile(r"\(…, \d+\)(?:, \(…, \d+\))+")


@functools.lru_cache(maxsize=4096)  # the same statements come again and again: keep counting cheap
def statement_shape(statement: str, width: int = 220) -> str:
    """One line per kind of statement: whitespace folded, lists of bound parameters, SELECT lists and
    INSERT column lists collapsed to …"""
    text = _SPACES.sub(" ", statement).strip()
    text = _LITERAL_LISTS.sub("(…)", text)
    text = _PLACEHOLDER_RUNS.sub("…", text)
    text = _ROW_RUNS.sub("(…), …", text)
    text = _SELECT_LIST.sub("SELECT … FROM ", text, count=1)
    text = _INSERT_COLUMNS.sub(r"INSERT INTO \1 (…)", text, count=1)
    text = _SAVEPOINT.sub("sa_savepoint_N", text)
    text = _NUMBERED_ROWS.sub("(…, 0), …", text)  # insertmanyvalues: VALUES (…, 0), (…, 1), …
    return text if len(text) <= width else text[: width - 1] + "…"


class StatementCount:
    """Counts and times the SQL statements an engine sends, by shape (`before_cursor_execute` and
    `after_cursor_execute` listeners); keeps the first statement and parameters of each shape."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.shapes: Counter[str] = Counter()
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.samples: dict[str, tuple[str, Any]] = {}
        self.engine = engine
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(
        self, _conn: Any, _cursor: Any, statement: str, parameters: Any, context: Any, _many: Any
    ) -> None:
        shape = statement_shape(statement)
        self.shapes[shape] += 1
        self.samples.setdefault(shape, (statement, parameters))
        if context is not None:
            context._bench_started = (shape, time.perf_counter())

    def _after(
        self, _conn: Any, _cursor: Any, _statement: str, _parameters: Any, context: Any, _many: Any
    ) -> None:
        started = getattr(context, "_bench_started", None)
        if started is not None:
            self.seconds[started[0]] += time.perf_counter() - started[1]

    def reset(self) -> None:
        self.shapes.clear()
        self.seconds.clear()

    @property
    def total(self) -> int:
        return sum(self.shapes.values())

    def close(self) -> None:
        event.remove(self.engine.sync_engine, "before_cursor_execute", self._before)
        event.remove(self.engine.sync_engine, "after_cursor_execute", self._after)


async def bind_all(session: Any, *, person_ids: Sequence[int], user_base: int) -> None:
    """Bind every person to sandbox user `user_base + id` directly (binding is not what is measured)."""
    now = datetime.now(UTC)
    rows = [
        {
            "person_id": p,
            "channel": "telegram",
            "external_id": str(user_base + p),
            "chat_id": str(user_base + p),
            "bound_at": now,
        }
        for p in person_ids
    ]
    for start in range(0, len(rows), 1000):
        await session.exec(insert(ChatIdentity), params=rows[start : start + 1000])


def machine_busy() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine so far (Linux /proc/stat; idle and iowait are not busy):
    the share of two readings' difference is how busy every CPU was in between, other tenants included."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal (guest is inside user)
    return total - fields[3] - fields[4], total
