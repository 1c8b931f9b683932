"""SQLite's one writer: sessions for people go before background ones, each kind in arrival order, and a
waiter cancelled as it is handed the lock passes it on."""

from __future__ import annotations

import asyncio

from storage.db import WriterLock


async def test_urgent_writers_go_first_then_background_in_arrival_order() -> None:
    lock = WriterLock()
    order: list[str] = []
    await lock.acquire(urgent=False)  # a background transaction is running

    async def writer(name: str, urgent: bool) -> None:
        await lock.acquire(urgent=urgent)
        order.append(name)
        await asyncio.sleep(0)
        lock.release()

    tasks = [
        asyncio.create_task(writer(n, u))
        for n, u in (("bg1", False), ("press1", True), ("bg2", False), ("press2", True))
    ]
    await asyncio.sleep(0.01)
    lock.release()
    await asyncio.gather(*tasks)
    assert order == ["press1", "press2", "bg1", "bg2"]


async def test_a_waiter_cancelled_while_handed_the_lock_passes_it_on() -> None:
    lock = WriterLock()
    await lock.acquire(urgent=True)
    first = asyncio.create_task(lock.acquire(urgent=True))
    second = asyncio.create_task(lock.acquire(urgent=True))
    await asyncio.sleep(0.01)
    lock.release()  # handed to `first` ...
    first.cancel()  # ... which is cancelled before it runs
    await asyncio.sleep(0.01)
    assert first.cancelled() and second.done(), "the lock went on to the next waiter"
    lock.release()
    await asyncio.wait_for(lock.acquire(urgent=False), 1)  # and is free again afterwards
