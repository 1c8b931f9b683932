"""Pacing for the outbox dispatcher: the overall rate, a whole-bot pause after a 429, spacing per chat,
and the retry backoff. Plain asyncio and monotonic time; no database, no transport."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable


class Pacer:
    """Hands out send turns at `rate` per second, evenly spaced; turns that came late (a busy loop, sleep
    overshoot) are made up by up to `burst` turns at once, so in any window of T seconds at most
    rate·T + burst turns are given. Holds every turn while the bot is paused, and spaces the sends to one
    chat by `private_interval` (a person) or `group_interval` (a group) seconds."""

    def __init__(
        self,
        rate: float,
        *,
        burst: int = 1,
        private_interval: float = 1.0,
        group_interval: float = 3.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self.burst = max(1, burst)
        self.private_interval = private_interval
        self.group_interval = group_interval
        self.monotonic = monotonic
        self._next = 0.0  # the earliest time of the next turn
        self._pause_until = 0.0
        self._lock = asyncio.Lock()
        self._chats: dict[str, float] = {}  # chat -> earliest time of its next send
        self.pauses = 0

    # -- overall rate and pause ----------------------------------------------------------------------------
    def pause(self, seconds: float) -> None:
        """The channel said wait: no turn is given out for `seconds` from now (for the whole bot)."""
        until = self.monotonic() + max(0.0, seconds)
        if until > self._pause_until:
            self._pause_until = until
            self.pauses += 1

    def paused_for(self) -> float:
        return max(0.0, self._pause_until - self.monotonic())

    async def turn(self) -> None:
        """Wait for the next send turn (FIFO among waiters)."""
        async with self._lock:
            while True:
                now = self.monotonic()
                start = max(self._next, self._pause_until, now - (self.burst - 1) * self.interval)
                if start <= now:
                    self._next = start + self.interval
                    return
                await asyncio.sleep(start - now)

    # -- per chat ------------------------------------------------------------------------------------------
    def chat_interval(self, is_group: bool) -> float:
        return self.group_interval if is_group else self.private_interval

    def chat_ready_in(self, chat_id: str) -> float:
        return max(0.0, self._chats.get(chat_id, 0.0) - self.monotonic())

    def reserve_chat(self, chat_id: str, is_group: bool) -> float:
        """Book the chat's next free send time; returns the seconds until it (0: now)."""
        now = self.monotonic()
        at = max(now, self._chats.get(chat_id, 0.0))
        self._chats[chat_id] = at + self.chat_interval(is_group)
        return at - now

    def chat_sending(self, chat_id: str, is_group: bool) -> None:
        """A send to the chat starts now: the next one waits a full interval from here."""
        now = self.monotonic()
        self._chats[chat_id] = max(self._chats.get(chat_id, 0.0), now + self.chat_interval(is_group))

    def forget_idle_chats(self) -> None:
        now = self.monotonic()
        self._chats = {chat: at for chat, at in self._chats.items() if at > now}


def backoff_delay(attempts: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**attempts)]."""
    return rng.uniform(0.0, min(cap, base * (2 ** min(attempts, 30))))
