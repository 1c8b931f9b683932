"""Readable report numbers: `YH-20261127-0003`, per kind prefix and local day in the unit's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.reports.rules import PREFIX, Kind
from storage import report_queries as rq


async def next_number(session: AsyncSession, *, kind: str, now: datetime, zone: ZoneInfo) -> str:
    prefix = PREFIX[Kind(kind)]
    day = now.astimezone(zone).date()
    n = await rq.take_number(session, prefix=prefix, day=day)
    return f"{prefix}-{day:%Y%m%d}-{n:04d}"
