"""Queries for the send shares: which processes send on a channel now (one row each, a heartbeat)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, delete, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import SendShare


async def beat(
    session: AsyncSession, *, worker: str, channel: str, now: datetime, live_since: datetime
) -> int:
    """Record that `worker` sends on `channel` now; returns how many processes send on it (itself too)."""
    result = await session.exec(
        update(SendShare).where(col(SendShare.worker) == worker).values(channel=channel, seen_at=now)
    )
    if result.rowcount == 0:
        session.add(SendShare(worker=worker, channel=channel, seen_at=now))
        await session.flush()
    await session.exec(
        delete(SendShare).where(col(SendShare.seen_at) < live_since, col(SendShare.worker) != worker)
    )
    live = await session.exec(
        select(func.count()).select_from(SendShare).where(col(SendShare.channel) == channel)
    )
    return int(live.one())


async def leave(session: AsyncSession, *, worker: str) -> None:
    await session.exec(delete(SendShare).where(col(SendShare.worker) == worker))
