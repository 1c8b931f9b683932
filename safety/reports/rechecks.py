"""回头看: a closed hazard is re-checked after some days (default 30): the verifier confirms it stayed fixed
or reopens it (严防隐患反弹)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults


async def send_due(session: AsyncSession, *, now: datetime, defaults: Defaults) -> int:
    """Ask for the re-checks that are due (outbox, idempotent); returns how many were asked."""
    return 0
