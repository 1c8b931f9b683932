"""The bot's writes while the export runs (benchmarks/export_month.py): on a real site the bot goes on
recording presses, leave and reports while an administrator exports the month, so a short write transaction
every INTERVAL s (one audit-log row, through the product's own `Database.session()`, as a press writes) runs
beside each headline export and is timed. An export that holds SQLite's write lock shows here as writes that
wait for it, or fail after the busy timeout ("database is locked")."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from storage.db import Database
from storage.models import AuditEntry

INTERVAL = 0.2  # seconds between two writes (a team's presses at the start of a shift come faster)


@dataclass
class Writes:
    latencies: list[float] = field(default_factory=list)  # seconds, every write tried
    errors: list[str] = field(default_factory=list)


async def _write(database: Database, found: Writes, stop: asyncio.Event) -> None:
    while not stop.is_set():
        started = time.monotonic()
        try:
            async with database.session() as session:
                session.add(AuditEntry(channel="telegram", action="bench.probe", subject="export_month"))
        except Exception as exc:  # a locked database, a refused connection: what the bot would meet
            found.errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
        found.latencies.append(time.monotonic() - started)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), INTERVAL)


@contextlib.asynccontextmanager
async def writing(url: str) -> AsyncIterator[Writes]:
    """Writes every INTERVAL s into `url` while the block runs; yields their figures (complete at exit)."""
    database = Database(url)
    found, stop = Writes(), asyncio.Event()
    task = asyncio.create_task(_write(database, found, stop))
    try:
        yield found
    finally:
        stop.set()
        await task
        await database.dispose()
