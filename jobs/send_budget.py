"""One send budget per channel account: every call that counts against the channel's limits — direct
replies to a person and bulk sends alike — takes a token here. Plain asyncio and monotonic time.

The overall limit is a token bucket refilled at `rate`. Replies take a token whenever there is one; bulk
takes one only while `reserve` tokens stay in the bucket for replies, so a reply (almost) never waits, bulk
fills whatever replies leave, and together they stay at the rate: in any window of T seconds at most
rate·T + capacity calls go out, capacity being small next to Telegram's own burst. Each chat has a bucket
too (a person: 1/s with a burst of 2; a group: 20/min): bulk sends to a chat only when its bucket is full,
spacing a person's messages by a second and leaving room for the reply to their press; a reply needs one
token and a small margin for the journey's jitter. A 429 pauses everything, replies included.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

REPLY_POLL = 0.01  # a waiting reply looks again this often (it waits only when its chat or the pause says so)


@dataclass
class _Bucket:
    level: float
    at: float


@dataclass(frozen=True)
class ChatShape:
    rate: float  # tokens per second
    capacity: float


PRIVATE = ChatShape(rate=1.0, capacity=2.0)
GROUP = ChatShape(rate=20 / 60, capacity=3.0)


class SendBudget:
    def __init__(
        self,
        rate: float,
        *,
        reserve: float = 4.0,
        bulk_burst: float = 3.0,
        private: ChatShape = PRIVATE,
        group: ChatShape = GROUP,
        margin: float = 0.15,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.total_rate = rate  # the channel's limit; this process's share is `rate`
        self.rate = rate
        self.reserve = reserve
        self.capacity = reserve + max(1.0, bulk_burst)
        self.private, self.group, self.margin = private, group, margin
        self.monotonic = monotonic
        start = monotonic()
        self._overall = _Bucket(self.capacity, start)
        self._chats: dict[str, _Bucket] = {}
        self._pause_until = 0.0
        self._replies_waiting = 0
        self.pauses = 0
        self.replies = 0
        self.bulk = 0

    # -- shares and pauses ---------------------------------------------------------------------------------
    def set_share(self, processes: int) -> None:
        """This process gets 1/processes of the channel's rate (see jobs.send_shares)."""
        self._refill(self._overall, self.rate, self.capacity, self.monotonic())
        self.rate = self.total_rate / max(1, processes)

    def pause(self, seconds: float) -> None:
        """The channel said wait: nothing goes out for `seconds` from now, replies included."""
        until = self.monotonic() + max(0.0, seconds)
        if until > self._pause_until:
            self._pause_until = until
            self.pauses += 1

    def paused_for(self) -> float:
        return max(0.0, self._pause_until - self.monotonic())

    # -- buckets -------------------------------------------------------------------------------------------
    @staticmethod
    def _refill(bucket: _Bucket, rate: float, capacity: float, now: float) -> _Bucket:
        bucket.level = min(capacity, bucket.level + (now - bucket.at) * rate)
        bucket.at = now
        return bucket

    def _shape(self, is_group: bool) -> ChatShape:
        return self.group if is_group else self.private

    def _chat(self, chat: str, is_group: bool, now: float) -> _Bucket:
        shape = self._shape(is_group)
        bucket = self._chats.get(chat)
        if bucket is None:
            bucket = self._chats[chat] = _Bucket(shape.capacity, now)
        return self._refill(bucket, shape.rate, shape.capacity, now)

    def _chat_wait(self, chat: str | None, is_group: bool, bulk: bool, now: float) -> float:
        if chat is None:
            return 0.0
        shape = self._shape(is_group)
        need = shape.capacity if bulk else 1.0 + self.margin
        return max(0.0, (need - self._chat(chat, is_group, now).level) / shape.rate)

    def _overall_wait(self, bulk: bool, now: float) -> float:
        level = self._refill(self._overall, self.rate, self.capacity, now).level
        need = 1.0 + (self.reserve if bulk else 0.0)
        wait = max(0.0, (need - level) / self.rate, self._pause_until - now)
        if bulk and self._replies_waiting and wait <= 0:
            wait = 1.0 / self.rate  # replies first
        return wait

    def wait_for(self, chat: str | None, *, is_group: bool = False, bulk: bool) -> float:
        """Seconds until a send to `chat` may go (0: now), without taking anything."""
        now = self.monotonic()
        return max(self._overall_wait(bulk, now), self._chat_wait(chat, is_group, bulk, now))

    def chat_wait(self, chat: str, *, is_group: bool = False, bulk: bool = True) -> float:
        return self._chat_wait(chat, is_group, bulk, self.monotonic())

    def take(self, chat: str | None, *, is_group: bool = False, bulk: bool) -> None:
        now = self.monotonic()
        self._refill(self._overall, self.rate, self.capacity, now).level -= 1.0
        if chat is not None:
            self._chat(chat, is_group, now).level -= 1.0
        if bulk:
            self.bulk += 1
        else:
            self.replies += 1

    # -- waiting -------------------------------------------------------------------------------------------
    async def reply(self, chat: str | None, *, is_group: bool = False) -> None:
        """Wait for a reply's turn and take it (served before any bulk send)."""
        self._replies_waiting += 1
        try:
            while (wait := self.wait_for(chat, is_group=is_group, bulk=False)) > 0:  # noqa: ASYNC110 - time, not an event
                await asyncio.sleep(min(wait, REPLY_POLL) if wait < 1 else wait)
            self.take(chat, is_group=is_group, bulk=False)
        finally:
            self._replies_waiting -= 1

    async def bulk_turn(self) -> None:
        """Wait until the overall budget allows a bulk send (the chat is checked by the caller)."""
        while (wait := self.wait_for(None, bulk=True)) > 0:  # noqa: ASYNC110 - tokens come with time
            await asyncio.sleep(wait)

    def forget_idle_chats(self) -> None:
        """Drop the buckets of chats that are full again (memory stays bounded)."""
        now = self.monotonic()
        for chat, bucket in list(self._chats.items()):
            shape = self.group if chat.startswith("-") else self.private
            if bucket.level + (now - bucket.at) * shape.rate >= shape.capacity:
                del self._chats[chat]
