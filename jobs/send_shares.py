"""Several processes, one account: the channel's send rate is split evenly among the processes that send
on it, through the database.

The rule: every sending process writes a heartbeat row every `BEAT` seconds; a row unseen for `LIVE`
seconds is gone; each process's budget is the channel's rate divided by the live rows. A process that
finds others when it starts holds its sends for one beat and a margin, so that they have seen it before it
sends (N processes never send N times the limit, at the cost of a few seconds' start); a process that stops
deletes its row at once, a crashed one's share comes back after `LIVE` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from jobs.send_budget import SendBudget
from storage import share_queries as sq
from storage.db import Database

logger = logging.getLogger(__name__)
BEAT = 2.0
LIVE = 6.0


class SendShares:
    def __init__(
        self, db: Database, *, channel: str, worker: str, budget: SendBudget, clock: Callable[[], datetime]
    ) -> None:
        self.db, self.channel, self.worker, self.budget, self.clock = db, channel, worker, budget, clock
        self.processes = 1
        self._task: asyncio.Task[None] | None = None

    async def beat(self) -> int:
        now = self.clock()
        async with self.db.session(background=True) as session:
            live = await sq.beat(
                session,
                worker=self.worker,
                channel=self.channel,
                now=now,
                live_since=now - timedelta(seconds=LIVE),
            )
        if live != self.processes:
            logger.info(
                "%s: %d processes send on %s; this one's rate %.1f/s",
                self.worker,
                live,
                self.channel,
                self.budget.total_rate / live,
            )
        self.processes = live
        self.budget.set_share(live)
        return live

    async def join(self) -> None:
        """Register, and when others send already, wait until they have counted this process too."""
        if await self.beat() > 1:
            await asyncio.sleep(BEAT + 0.5)
            await self.beat()
        self._task = asyncio.create_task(self._run(), name=f"send-shares-{self.channel}")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(BEAT)
            try:
                await self.beat()
            except Exception:  # the database went away: keep the last share, try again next beat
                logger.exception("send shares: heartbeat failed")

    async def leave(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            async with self.db.session(background=True) as session:
                await sq.leave(session, worker=self.worker)
