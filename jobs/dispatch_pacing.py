"""The outbox dispatcher's retry backoff (the send budget, jobs.send_budget, paces the sends)."""

from __future__ import annotations

import random


def backoff_delay(attempts: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**attempts)]."""
    return rng.uniform(0.0, min(cap, base * (2 ** min(attempts, 30))))
