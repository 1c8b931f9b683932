"""The dispatcher's pacing: overall rate with a small catch-up burst, whole-bot pause, per-chat spacing,
and backoff with full jitter."""

from __future__ import annotations

import random
import time

from jobs.dispatch_pacing import Pacer, backoff_delay


async def test_turns_keep_the_rate_and_a_pause_holds_them() -> None:
    pacer = Pacer(200, burst=5)
    started = time.monotonic()
    for _ in range(45):
        await pacer.turn()
    elapsed = time.monotonic() - started
    assert (45 - 5) / 200 - 0.01 <= elapsed < 0.5, elapsed
    pacer.pause(0.3)
    paused_at = time.monotonic()
    await pacer.turn()
    assert time.monotonic() - paused_at >= 0.29
    assert pacer.pauses == 1


def test_chats_are_spaced_per_kind() -> None:
    now = [100.0]
    pacer = Pacer(30, private_interval=1.0, group_interval=3.0, monotonic=lambda: now[0])
    assert pacer.reserve_chat("42", False) == 0
    assert pacer.reserve_chat("42", False) == 1.0  # booked one second later
    assert pacer.reserve_chat("-7", True) == 0
    assert pacer.chat_ready_in("-7") == 3.0
    now[0] += 5
    assert pacer.chat_ready_in("42") == 0 and pacer.reserve_chat("42", False) == 0
    pacer.forget_idle_chats()
    assert pacer.chat_ready_in("-7") == 0


def test_backoff_grows_exponentially_with_full_jitter_up_to_the_cap() -> None:
    rng = random.Random(1)
    for attempts, ceiling in ((0, 1.0), (3, 8.0), (20, 300.0)):
        delays = [backoff_delay(attempts, base=1.0, cap=300.0, rng=rng) for _ in range(200)]
        assert 0 <= min(delays) < ceiling / 4 and ceiling * 0.75 < max(delays) <= ceiling
