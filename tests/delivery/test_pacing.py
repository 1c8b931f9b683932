"""The send budget (replies first, bulk fills the rest, never above the rate), the whole-account pause,
per-chat buckets, the split among processes, and the retry backoff with full jitter."""

from __future__ import annotations

import asyncio
import random

from jobs.dispatch_pacing import backoff_delay
from jobs.send_budget import SendBudget


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bulk_keeps_the_reserve_for_replies_and_replies_go_at_once() -> None:
    clock = Clock()
    budget = SendBudget(30, reserve=4, bulk_burst=3, monotonic=clock)
    sent = 0
    while budget.wait_for(f"c{sent}", bulk=True) == 0:  # a full bucket: the bulk burst, no more
        budget.take(f"c{sent}", bulk=True)
        sent += 1
    assert sent == 3
    for i in range(4):  # the reserve is the replies': four go at once while bulk waits
        assert budget.wait_for(f"r{i}", bulk=False) == 0
        budget.take(f"r{i}", bulk=False)
    assert budget.wait_for("r9", bulk=False) > 0
    wait = budget.wait_for("c9", bulk=True)
    assert abs(wait - 5 / 30) < 1e-9, "bulk waits until the reserve is back, then one more token"


def test_over_any_second_replies_and_bulk_together_stay_at_the_rate() -> None:
    clock = Clock()
    budget = SendBudget(30, monotonic=clock)
    rng = random.Random(3)
    times: list[float] = []
    for step in range(3000):  # 30 s in 10 ms steps: bulk always wants to send, replies now and then
        clock.now = 100.0 + step * 0.01
        if rng.random() < 0.15 and budget.wait_for(f"r{step}", bulk=False) == 0:
            budget.take(f"r{step}", bulk=False)
            times.append(clock.now)
        if budget.wait_for(f"b{step}", bulk=True) == 0:
            budget.take(f"b{step}", bulk=True)
            times.append(clock.now)
    for start in [100.0 + s / 2 for s in range(58)]:
        in_window = sum(1 for t in times if start <= t < start + 1.0)
        assert in_window <= 30 + budget.capacity, (start, in_window)
    assert len(times) >= 0.97 * 30 * 30, "together they fill the rate"
    assert budget.replies > 350 and budget.bulk > 400, "replies take what they need, bulk the rest"


async def test_a_waiting_reply_goes_before_bulk_and_a_pause_holds_both() -> None:
    budget = SendBudget(200, reserve=0, bulk_burst=1)
    budget.take(None, bulk=True)  # the bucket is empty now
    order: list[str] = []

    async def bulk() -> None:
        await budget.bulk_turn()
        budget.take("b", bulk=True)
        order.append("bulk")

    async def reply() -> None:
        await budget.reply("r")
        order.append("reply")

    await asyncio.gather(reply(), bulk())
    assert order == ["reply", "bulk"]
    budget.pause(0.2)
    started = asyncio.get_running_loop().time()
    await budget.reply("r2")
    assert asyncio.get_running_loop().time() - started >= 0.19 and budget.pauses == 1


def test_a_person_gets_bulk_a_second_apart_and_the_reply_to_their_press_at_once() -> None:
    clock = Clock()
    budget = SendBudget(30, monotonic=clock)
    assert budget.chat_wait("42") == 0
    budget.take("42", bulk=True)  # the checklist
    clock.now += 0.4  # they read it and press
    assert budget.wait_for("42", bulk=False) == 0, "the receipt goes at once"
    budget.take("42", bulk=False)
    assert budget.chat_wait("42") > 0.9, "their next bulk message waits for their chat"
    assert budget.chat_wait("-7", is_group=True) == 0
    budget.take("-7", is_group=True, bulk=True)
    assert budget.chat_wait("-7", is_group=True) > 2.9, "a group: 20 a minute"
    clock.now += 10
    budget.forget_idle_chats()
    assert budget.chat_wait("42") == 0 and budget.chat_wait("-7", is_group=True) == 0


def test_shares_split_the_rate_among_processes() -> None:
    budget = SendBudget(30)
    budget.set_share(3)
    assert budget.rate == 10 and budget.total_rate == 30
    budget.set_share(1)
    assert budget.rate == 30


def test_backoff_grows_exponentially_with_full_jitter_up_to_the_cap() -> None:
    rng = random.Random(1)
    for attempts, ceiling in ((0, 1.0), (3, 8.0), (20, 300.0)):
        delays = [backoff_delay(attempts, base=1.0, cap=300.0, rng=rng) for _ in range(200)]
        assert 0 <= min(delays) < ceiling / 4 and ceiling * 0.75 < max(delays) <= ceiling
