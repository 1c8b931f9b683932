"""Several processes on one account split its rate through the database: a newcomer waits until the others
count it, a stopped one gives its share back at once, a crashed one after its heartbeat goes stale."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from jobs import send_shares
from jobs.send_budget import SendBudget
from jobs.send_shares import SendShares
from storage.db import Database


async def test_processes_share_the_rate_and_give_it_back(db: Database) -> None:
    now = [datetime(2026, 12, 2, tzinfo=UTC)]
    budgets = [SendBudget(30) for _ in range(3)]
    shares = [
        SendShares(db, channel="telegram", worker=f"w{i}", budget=b, clock=lambda: now[0])
        for i, b in enumerate(budgets)
    ]
    await shares[0].join()
    assert budgets[0].rate == 30, "alone: the whole limit"
    started = time.monotonic()
    await shares[1].join()
    assert time.monotonic() - started >= send_shares.BEAT, "a newcomer waits until the others have seen it"
    await shares[0].beat()
    assert budgets[0].rate == budgets[1].rate == 15
    other = SendShares(db, channel="wecom", worker="x", budget=SendBudget(10), clock=lambda: now[0])
    await other.beat()
    assert other.budget.rate == 10 and budgets[0].rate == 15, "each channel is counted apart"
    await shares[2].beat()  # it crashes right after: no leave()
    await shares[0].beat()
    assert budgets[0].rate == 10
    await shares[1].leave()
    await shares[0].beat()
    assert budgets[0].rate == 15, "a stopped process gives its share back at once"
    now[0] += timedelta(seconds=send_shares.LIVE + 1)
    await shares[0].beat()
    assert budgets[0].rate == 30, "a crashed one's after its heartbeat went stale"
    for share in (shares[0], other):
        await share.leave()
