"""Processing updates: one person's updates one at a time, in the order they arrived; different people
concurrently (PTB's `BaseUpdateProcessor`).

A person's two quick taps are then applied one after the other (both land), and their thirty simultaneous
`/start` tries are counted one by one. Updates wait for their person's turn before they take one of the
`concurrency` running slots, so one person's burst cannot hold up everyone else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

QUEUED = 4096  # updates accepted at once (waiting for their person or a slot); PTB's own bound


class PerPersonProcessor(BaseUpdateProcessor):
    def __init__(self, concurrency: int = 64) -> None:
        super().__init__(QUEUED)
        self.concurrency = concurrency
        self._running = asyncio.BoundedSemaphore(concurrency)
        self._people: dict[int, tuple[asyncio.Lock, list[int]]] = {}  # person -> (turn, waiting count)

    @staticmethod
    def _key(update: object) -> int | None:
        if isinstance(update, Update) and update.effective_user is not None:
            return update.effective_user.id
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self._key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        turn, waiting = self._people.setdefault(key, (asyncio.Lock(), [0]))
        waiting[0] += 1
        try:
            async with turn, self._running:  # asyncio.Lock wakes its waiters in arrival order
                await coroutine
        finally:
            waiting[0] -= 1
            if not waiting[0]:
                del self._people[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
