"""The inspections a unit requires (daily or monthly): a missing one is an `inspection` obligation."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults


async def open_due(session: AsyncSession, *, now: datetime, defaults: Defaults) -> int:
    """Open the obligations of required inspections whose period has begun (idempotent); returns how many."""
    return 0
