"""Telegram's flood limits and injected faults for the sandbox Bot API (plain Python, no HTTP).

Rate limits are token buckets: a bucket refills at `rate` tokens per second up to `burst` tokens, and a
counted call takes one token from the overall bucket and one from its chat's bucket. A call that finds an
empty bucket is answered 429 with `retry_after` = whole seconds until a token is back (at least 1).
"""

from __future__ import annotations

import math
import random
import typing
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

from pydantic import TypeAdapter, ValidationError

# Methods that put a message into a chat or change one: these count against the limits, and faults
# (errors, timeouts) apply to them by default.
SENDING_METHODS: frozenset[str] = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
    }
)
# Methods answered 403 when the chat's user is in `Faults.blocked_users`.
BLOCKABLE_METHODS: frozenset[str] = SENDING_METHODS | {"sendChatAction"}


@dataclass
class Limits:
    """Telegram's limits. `scale` multiplies every rate and burst (scale=100 makes them practically off)."""

    overall_per_second: float = 30.0
    private_per_second: float = 1.0
    group_per_minute: float = 20.0
    scale: float = 1.0
    enabled: bool = True
    # Bucket sizes: how many calls may go out at once before the rate applies.
    overall_burst: float = 30.0
    private_burst: float = 2.0
    group_burst: float = 20.0
    methods: frozenset[str] = SENDING_METHODS


@dataclass
class Faults:
    """Injected faults: `error_rate`/`timeout_rate` apply to `methods` (None: all); latency to every call."""

    error_rate: float = 0.0
    error_status: int = 500
    error_description: str | None = None
    latency: float = 0.0
    latency_jitter: float = 0.0
    timeout_rate: float = 0.0
    timeout_hold: float = 30.0
    # True: a timed-out call is carried out before the 502 (the message arrives, the answer is lost).
    timeout_delivers: bool = False
    blocked_users: set[int] = field(default_factory=set)
    methods: frozenset[str] | None = SENDING_METHODS
    seed: int | None = None
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.seed is not None:
            self.rng.seed(self.seed)

    def applies_to(self, method: str) -> bool:
        return self.methods is None or method in self.methods

    def latency_now(self) -> float:
        if self.latency <= 0 and self.latency_jitter <= 0:
            return 0.0
        return max(0.0, self.latency + self.rng.uniform(-self.latency_jitter, self.latency_jitter))

    def roll_timeout(self, method: str) -> bool:
        return self.timeout_rate > 0 and self.applies_to(method) and self.rng.random() < self.timeout_rate

    def roll_error(self, method: str) -> bool:
        return self.error_rate > 0 and self.applies_to(method) and self.rng.random() < self.error_rate


HTTP_REASONS = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def apply_config(target: Limits | Faults, changes: dict[str, Any]) -> None:
    """Validate `changes` against the field types and apply them; ValueError names the bad field."""
    hints = typing.get_type_hints(type(target))
    names = {f.name for f in fields(target)} - {"rng"}
    parsed: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in names:
            raise ValueError(f"unknown {type(target).__name__} field {name!r}")
        try:
            parsed[name] = TypeAdapter(hints[name]).validate_python(value)
        except ValidationError as exc:
            raise ValueError(f"{type(target).__name__}.{name}: {exc.errors()[0]['msg']}") from exc
    for name, value in parsed.items():
        setattr(target, name, value)
    if isinstance(target, Faults) and "seed" in parsed and target.seed is not None:
        target.rng.seed(target.seed)


def config_dict(target: Limits | Faults) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(target):
        if f.name == "rng":
            continue
        value = getattr(target, f.name)
        out[f.name] = sorted(value) if isinstance(value, set | frozenset) else value
    return out


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class Stats:
    """What the sandbox answered: successful sends per method, 429s, injected faults."""

    sent: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    rate_limited_by_method: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    timeouts: int = 0
    blocked: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": dict(self.sent),
            "rate_limited": self.rate_limited,
            "rate_limited_by_method": dict(self.rate_limited_by_method),
            "errors": self.errors,
            "timeouts": self.timeouts,
            "blocked": self.blocked,
        }


class RateLimiter:
    """Token buckets for the overall limit and for each chat (private: per second, group: per minute)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._buckets: dict[tuple[str, int], _Bucket] = {}
        self._shape_seen: tuple[float, ...] = ()

    def reset(self) -> None:
        self._buckets.clear()

    def _shape(self, kind: str) -> tuple[float, float]:
        lim, s = self.limits, max(self.limits.scale, 1e-9)
        if kind == "overall":
            return lim.overall_per_second * s, max(1.0, lim.overall_burst * s)
        if kind == "private":
            return lim.private_per_second * s, max(1.0, lim.private_burst * s)
        return lim.group_per_minute * s / 60.0, max(1.0, lim.group_burst * s)

    def _level(self, key: tuple[str, int], now: float) -> _Bucket:
        rate, burst = self._shape(key[0])
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(burst, now)
        else:
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
        return bucket

    def acquire(self, chat_id: int, is_group: bool, now: float) -> int:
        """Take a token for one counted call; 0 when allowed, else the seconds to wait (>= 1)."""
        if not self.limits.enabled:
            return 0
        lim = self.limits
        shape: tuple[float, ...] = (lim.overall_per_second, lim.private_per_second, lim.group_per_minute)
        shape += (lim.scale, lim.overall_burst, lim.private_burst, lim.group_burst)
        if shape != self._shape_seen:  # limits changed at run time: start with full buckets
            self._buckets.clear()
            self._shape_seen = shape
        keys = [("overall", 0), ("group" if is_group else "private", chat_id)]
        buckets = [self._level(k, now) for k in keys]
        wait = 0.0
        for key, bucket in zip(keys, buckets, strict=True):
            if bucket.tokens < 1.0:
                rate = self._shape(key[0])[0]
                wait = max(wait, (1.0 - bucket.tokens) / rate if rate > 0 else 3600.0)
        if wait > 0:
            return max(1, math.ceil(wait - 1e-6))
        for bucket in buckets:
            bucket.tokens -= 1.0
        return 0
