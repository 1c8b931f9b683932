"""The outbox dispatcher: one long-lived asyncio task per process and channel that claims due outbox rows of
its channel and sends them through the `Channel`, taking every send from the channel's send budget (shared
with the direct replies, which go first), until it is stopped (in-flight sends are drained).

    dispatcher = Dispatcher(db, channel, DispatchConfig(send_rate=30), budget=budget, clock=services.clock)
    await dispatcher.start()      # with the Application
    ...
    await dispatcher.stop()       # at shutdown: no new claims, in-flight sends finish, buffered rows go back

Exactly once per row across processes comes from the claim (storage.outbox_queries); after a crash, rows
that were claimed are sent again once their lease expires, so a crash can duplicate at most the sends that
were in flight: `DispatchConfig.concurrency` (8) messages per crashed process.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import heapq
import itertools
import logging
import os
import random
import secrets
import socket
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from jobs.dispatch_config import DispatchConfig
from jobs.dispatch_outcomes import DispatchStats, SentRecorder, record_failure
from jobs.dispatch_rows import Job, prepare, recheck_edits
from jobs.send_budget import SendBudget
from jobs.send_shares import SendShares
from safety.delivery import Channel, Sent
from storage import outbox_queries as oq
from storage.db import Database

logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


def default_worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class Dispatcher:
    def __init__(
        self,
        db: Database,
        channel: Channel,
        config: DispatchConfig | None = None,
        *,
        budget: SendBudget | None = None,
        clock: Callable[[], datetime] = utc_now,
        worker_id: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.db, self.channel = db, channel
        self.config = config = config or DispatchConfig()
        self.clock = clock
        self.worker_id = worker_id or default_worker_id()
        self.rng = rng or random.Random()
        self.stats = DispatchStats()
        self.budget = budget or SendBudget(config.send_rate)
        self.shares = SendShares(
            db, channel=channel.name, worker=self.worker_id, budget=self.budget, clock=clock
        )
        self._ready: deque[Job] = deque()
        self._delayed: list[tuple[float, int, Job]] = []  # (chat turn, seq, job), claimed and booked
        self._chat_slots: dict[str, float] = {}  # chat -> the latest turn a held job of it has
        self._waiting: list[Job] = []  # edits whose message is not sent yet
        self._inflight: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(config.concurrency)
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._recorder = SentRecorder(db, clock)
        self._record_failure = functools.partial(
            record_failure, db, config=config, stats=self.stats, budget=self.budget, rng=self.rng
        )
        self._claim_after = 0.0
        self._recover_after = 0.0
        self._recheck_after = 0.0

    # -- lifecycle -----------------------------------------------------------------------------------------
    async def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("the dispatcher is already running")
        self._stopping.clear()
        await self.shares.join()
        self._task = asyncio.create_task(self._main(until_idle=False), name="outbox-dispatcher")
        logger.info(
            "outbox dispatcher %s started on %s: %.1f msg/s with the replies, %d in flight",
            self.worker_id,
            self.channel.name,
            self.budget.rate,
            self.config.concurrency,
        )

    async def stop(self) -> None:
        """Stop claiming, let in-flight sends finish (up to drain_timeout), hand buffered rows back."""
        task, self._task = self._task, None
        if task is None:
            return
        self.request_stop()
        done, _ = await asyncio.wait({task}, timeout=1.0)
        if not done:  # waiting for a turn (a long pause): interrupt; the cleanup still runs
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await self.shares.leave()
        logger.info("outbox dispatcher %s stopped: %s", self.worker_id, self.summary())

    async def run_until_idle(self, *, horizon: timedelta = timedelta(minutes=10)) -> DispatchStats:
        """Dispatch until no row is left to do (claimed anywhere, or pending and due within `horizon`)."""
        self._stopping.clear()
        await self.shares.join()
        try:
            await self._main(until_idle=True, horizon=horizon)
        finally:
            await self.shares.leave()
        return self.stats

    def request_stop(self) -> None:
        """Ask the loop to finish (a signal handler may call this); `stop()` also waits for it."""
        self._stopping.set()
        self._wake.set()

    def wake(self) -> None:
        """Look for new rows now instead of at the next poll."""
        self._claim_after = 0.0
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    # -- the loop ------------------------------------------------------------------------------------------
    async def _main(self, *, until_idle: bool, horizon: timedelta = timedelta(0)) -> None:
        current: Job | None = None
        last_log, logged = time.monotonic(), self.summary()
        try:
            while not self._stopping.is_set():
                if time.monotonic() - last_log >= self.config.log_every:
                    last_log = time.monotonic()
                    self.budget.forget_idle_chats()
                    self._chat_slots = {c: at for c, at in self._chat_slots.items() if at > last_log}
                    if (summary := self.summary()) != logged:
                        logger.info("outbox: %s", summary)
                        logged = summary
                try:
                    await self._refill()
                    if not self._ready:
                        if until_idle and await self._finished(horizon):
                            break
                        await self._idle()
                        continue
                    current = self._ready.popleft()
                    if not await self._chat_turn(current):
                        current = None
                        continue
                except Exception:  # the database went away: claimed rows come back after their lease
                    logger.exception("outbox: dispatching failed; going on shortly")
                    current = None
                    await asyncio.sleep(self.config.poll_interval)
                    continue
                await self._slots.acquire()
                await self.budget.bulk_turn()
                if not self._take_turn(current):  # a reply to the same chat came first
                    self._slots.release()
                    current = None
                    continue
                task = asyncio.create_task(self._deliver(current), name=f"outbox-send-{current.row_id}")
                current = None
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
        finally:
            await self._shutdown(current)

    async def _refill(self) -> None:
        now = time.monotonic()
        due = []
        while self._delayed and self._delayed[0][0] <= now:
            due.append(heapq.heappop(self._delayed)[2])
        self._ready.extendleft(reversed(due))  # first in line, in their order (a chat's messages too)
        if self._waiting and now >= self._recheck_after:
            self._recheck_after = now + self.config.edit_recheck
            await self._recheck_waiting()
        want = self.config.prefetch - len(self._ready)
        if want < self.config.prefetch // 2 or now < self._claim_after or self.budget.paused_for() > 0:
            return
        recover = now >= self._recover_after
        if recover:
            self._recover_after = now + min(self.config.recover_every, self.config.lease.total_seconds() / 4)
        self._claim_after = now + self.config.poll_interval  # also after a failed claim
        if await self._claim(want, recover=recover) >= want:
            self._claim_after = 0.0  # more may be due: claim again as soon as there is room

    async def _claim(self, limit: int, *, recover: bool) -> int:
        now, lease = self.clock(), self.config.lease
        async with self.db.reading() as session:
            if not await oq.any_due(
                session, channel=self.channel.name, now=now, lease=lease, expired_too=recover
            ):
                return 0
        async with self.db.session(background=True) as session:
            rows = []
            channel = self.channel.name
            if recover:
                rows = await oq.claim_due(
                    session,
                    channel=channel,
                    now=now,
                    worker=self.worker_id,
                    limit=limit,
                    lease=lease,
                    expired_only=True,
                )
                if rows:
                    logger.info("outbox: took over %d rows whose claim expired", len(rows))
            rows += await oq.claim_due(
                session, channel=channel, now=now, worker=self.worker_id, limit=limit - len(rows), lease=lease
            )
            prepared = await prepare(
                session, rows, channel=channel, now=now, default_language=self.config.default_language
            )
        self.stats.claimed += len(rows)
        self.stats.failed += prepared.failed
        self.stats.superseded += prepared.superseded
        self._ready.extend(prepared.ready)
        self._waiting.extend(prepared.waiting)
        return len(rows)

    async def _idle(self) -> None:
        waits = [self.config.poll_interval, max(0.0, self._claim_after - time.monotonic())]
        if self._delayed:
            waits.append(self._delayed[0][0] - time.monotonic())
        if self._waiting:
            waits.append(self.config.edit_recheck)
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=max(0.01, min(waits)))

    async def _finished(self, horizon: timedelta) -> bool:
        if self._inflight or self._delayed or self._waiting:
            return False
        async with self.db.session(background=True) as session:
            left = await oq.count_left(session, channel=self.channel.name, now=self.clock(), horizon=horizon)
        return left == 0

    async def _chat_turn(self, job: Job) -> bool:
        """Whether the job's chat takes a bulk send now; else the job waits for its chat's turn (in memory,
        or, further away than max_hold, in the database)."""
        assert job.recipient is not None
        wait = self.budget.chat_wait(job.recipient.chat_id, is_group=job.recipient.is_group)
        if wait <= 0:
            return True
        if wait > self.config.max_hold:
            await self._write_back([job], due_in=wait)
            return False
        self._delay(job, wait)
        return False

    def _delay(self, job: Job, wait: float) -> None:
        """Hold the job until its chat's turn, behind any job of the same chat held already (its order)."""
        assert job.recipient is not None
        chat = job.recipient.chat_id
        job.slot_at = max(time.monotonic() + wait, self._chat_slots.get(chat, 0.0) + 1e-6)
        self._chat_slots[chat] = job.slot_at
        heapq.heappush(self._delayed, (job.slot_at, next(self._seq), job))

    def _take_turn(self, job: Job) -> bool:
        """Take the send from the budget, unless the chat is busy again (then the job waits for it)."""
        assert job.recipient is not None
        chat, group = job.recipient.chat_id, job.recipient.is_group
        wait = self.budget.chat_wait(chat, is_group=group)
        if wait > 0:
            self._delay(job, wait)
            return False
        self.budget.take(chat, is_group=group, bulk=True)
        return True

    async def _recheck_waiting(self) -> None:
        jobs, self._waiting = self._waiting, []
        async with self.db.session(background=True) as session:
            ready, waiting, failed = await recheck_edits(session, jobs)
        self.stats.failed += failed
        self._ready.extendleft(reversed(ready))
        for job in waiting:
            job.waited += self.config.edit_recheck
        self._waiting = [j for j in waiting if j.waited < self.config.edit_hold]
        stale = [j for j in waiting if j.waited >= self.config.edit_hold]
        if stale:
            await self._write_back(stale, due_in=self.config.edit_defer.total_seconds())

    async def _write_back(self, jobs: list[Job], *, due_in: float) -> None:
        """Give claimed rows back to the database, due again in `due_in` seconds (no attempt counted)."""
        at = self.clock() + timedelta(seconds=due_in)
        async with self.db.session(background=True) as session:
            for job in jobs:
                await oq.mark_retry(
                    session, row_id=job.row_id, next_attempt_at=at, error=None, count_attempt=False
                )
        self.stats.released += len(jobs)

    # -- one send ------------------------------------------------------------------------------------------
    async def _deliver(self, job: Job) -> None:
        try:
            if self.clock() - job.claimed_at > self.config.lease / 2 and not await self._renew(job):
                return
            assert job.recipient is not None
            if (paused := self.budget.paused_for()) > 0:  # a 429 came back since this send took its turn
                await asyncio.sleep(paused)
            try:
                if job.edit_message_id is not None and self.channel.can_edit:
                    await self.channel.edit(job.recipient, job.edit_message_id, job.view)
                    sent = Sent(job.recipient.chat_id, job.edit_message_id)
                else:  # a new message, or the newest version of one on a channel that cannot edit
                    sent = await self.channel.send(job.recipient, job.view)
            except Exception as exc:
                await self._record_failure(job, exc, now=self.clock())
                return
            self._sent_ok(job)
            await self._recorder.record(oq.SentMark(job.row_id, sent.chat_id, sent.message_id))
        except Exception:
            logger.exception("outbox: recording row %s failed (it is sent again after its lease)", job.row_id)
        finally:
            self._slots.release()

    def _sent_ok(self, job: Job) -> None:
        stats = self.stats
        stats.last_send = time.monotonic()
        stats.first_send = stats.first_send or stats.last_send
        if job.is_edit:
            stats.edited += 1
        else:
            stats.sent += 1

    async def _renew(self, job: Job) -> bool:
        async with self.db.session(background=True) as session:
            ok = await oq.renew_claim(session, row_id=job.row_id, worker=self.worker_id, now=self.clock())
        if ok:
            job.claimed_at = self.clock()
        return ok

    # -- shutdown ------------------------------------------------------------------------------------------
    async def _shutdown(self, current: Job | None) -> None:
        unsent = [j for j in [current, *self._ready, *(d[2] for d in self._delayed), *self._waiting] if j]
        self._ready.clear()
        self._delayed.clear()
        self._waiting.clear()
        try:
            if unsent:
                async with self.db.session(background=True) as session:
                    ids = [j.row_id for j in unsent]
                    self.stats.released += await oq.release(
                        session, row_ids=ids, worker=self.worker_id, now=self.clock()
                    )
            if self._inflight:
                await asyncio.wait(set(self._inflight), timeout=self.config.drain_timeout)
        finally:
            for task in list(self._inflight):
                task.cancel()
            await self._recorder.close()

    def summary(self) -> str:
        s = self.stats
        return (
            f"{s.sent} sent, {s.edited} edited, {s.retried} retried, {s.rate_limited} rate-limited "
            f"({self.budget.pauses} pauses), {s.failed} failed, {s.superseded} superseded"
        )


__all__ = ["DispatchConfig", "DispatchStats", "Dispatcher"]
