"""What the dispatcher writes back after a send: successes in group commits, failures one by one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from jobs.dispatch_config import DispatchConfig
from jobs.dispatch_fallback import record_unreachable_on_channel
from jobs.dispatch_pacing import backoff_delay
from jobs.dispatch_rows import Job
from jobs.send_budget import SendBudget
from safety.delivery import RateLimited, Rejected, Transient, Unreachable
from storage import outbox_queries as oq
from storage.db import Database

logger = logging.getLogger("jobs.dispatcher")


@dataclass
class DispatchStats:
    claimed: int = 0
    sent: int = 0
    edited: int = 0
    retried: int = 0
    rate_limited: int = 0
    rejected: int = 0
    unreachable: int = 0
    failed: int = 0  # every row marked failed (rejected, unreachable, unbound, too many attempts...)
    superseded: int = 0
    released: int = 0
    first_send: float | None = None  # monotonic time of the first and last successful send
    last_send: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


LINGER = 0.02  # seconds a first mark waits for company: fewer, larger commits (SQLite has one writer)


class SentRecorder:
    """Records successful sends in group commits: each send waits until its row is committed (so a crash
    can duplicate only sends in flight), while under load one transaction records many rows."""

    def __init__(self, db: Database, clock: Callable[[], datetime], max_batch: int = 128) -> None:
        self.db, self.clock, self.max_batch = db, clock, max_batch
        self._queue: asyncio.Queue[tuple[oq.SentMark, asyncio.Future[None]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def record(self, mark: oq.SentMark) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="outbox-recorder")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put((mark, done))
        await done

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            await asyncio.sleep(LINGER)  # the sends in flight finish meanwhile: one commit for them all
            try:
                async with self.db.session(background=True) as session:
                    while not self._queue.empty() and len(batch) < self.max_batch:  # and those of the wait
                        batch.append(self._queue.get_nowait())
                    await oq.mark_sent_many(session, marks=[m for m, _ in batch], now=self.clock())
            except Exception as exc:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


async def record_failure(
    db: Database,
    job: Job,
    exc: Exception,
    *,
    config: DispatchConfig,
    stats: DispatchStats,
    budget: SendBudget,
    rng: random.Random,
    now: datetime,
) -> None:
    """429: pause the whole bot, the row goes back (no attempt counted). 403: failed, the channel cannot
    reach the person: re-sent on another channel they are bound on, else they are unreachable; their leader
    told (jobs.dispatch_fallback). 400: failed, not retried. Anything else: retried with backoff and
    jitter, failed after `max_attempts`."""
    async with db.session(background=True) as session:
        if isinstance(exc, RateLimited):
            budget.pause(exc.retry_after)
            stats.rate_limited += 1
            logger.warning("outbox: rate limited, pausing every send for %.1f s", exc.retry_after)
            await oq.mark_retry(
                session, row_id=job.row_id, next_attempt_at=now, error="rate limited", count_attempt=False
            )
        elif isinstance(exc, Unreachable):
            stats.unreachable += 1
            stats.failed += 1
            logger.info("outbox: row %s: recipient unreachable (person %s)", job.row_id, job.person_id)
            await record_unreachable_on_channel(
                session, job=job, error=str(exc), now=now, defaults=config.defaults
            )
        elif isinstance(exc, Rejected):
            stats.rejected += 1
            stats.failed += 1
            logger.warning("outbox: row %s (%s) rejected: %s", job.row_id, job.key, exc)
            await oq.mark_failed(session, row_id=job.row_id, error=f"rejected: {exc}")
        else:
            if not isinstance(exc, Transient):
                logger.error("outbox: row %s: unexpected %r", job.row_id, exc, exc_info=exc)
            reason = (
                exc.reason if isinstance(exc, Transient) and exc.reason else f"{type(exc).__name__}: {exc}"
            )
            if job.attempts + 1 >= config.max_attempts:
                stats.failed += 1
                logger.warning(
                    "outbox: row %s failed after %d attempts: %s", job.row_id, config.max_attempts, reason
                )
                await oq.mark_failed(session, row_id=job.row_id, error=reason)
            else:
                stats.retried += 1
                delay = backoff_delay(job.attempts, base=config.backoff_base, cap=config.backoff_cap, rng=rng)
                await oq.mark_retry(
                    session, row_id=job.row_id, next_attempt_at=now + timedelta(seconds=delay), error=reason
                )
