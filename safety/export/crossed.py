"""The rows of the monthly export that no index leads to from a unit, read once for the whole export and kept
until their unit's turn (safety.export.rows reads everything else a batch of units at a time): check-ins
expected or answered at another unit's rounds (people who moved since) and the duties leaders handled for
others (the closer of an obligation has no index). Few: nothing like one row per person and day."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.export.period import Month
from safety.export.sheet import ExportScope
from safety.kinds import CHECKIN
from storage import export_queries as eq


@dataclass
class Crossed:
    """The rows no index leads to from a unit, read once for the export and handed to each person's unit:
    check-ins expected or answered at another unit's rounds (people who moved) and the duties leaders
    handled for others. Few: nothing like one row per person and day."""

    expected: dict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(list))
    answers: dict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(list))
    handled: dict[str, list[tuple[int, datetime]]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    async def read(cls, session: AsyncSession, scope: ExportScope) -> Crossed:
        found, ids, month = cls(), scope.unit_ids, scope.month
        start, end = window(month)
        async for *row, unit_id in eq.crossed_checkins(session, ids, month.first, month.last, kind=CHECKIN):
            found.expected[unit_id].append(tuple(row))
        async for *row, unit_id in eq.crossed_answers(session, ids, month.first, month.last):
            found.answers[unit_id].append(tuple(row))
        async for unit_id, pid, at in eq.handled_obligations(session, ids, start, end):
            found.handled[unit_id].append((pid, at))
        return found


def window(month: Month) -> tuple[datetime, datetime]:
    """A UTC window wider than the month in any zone; local dates outside the month are dropped."""
    start = datetime.combine(month.first, datetime.min.time(), UTC) - timedelta(days=1)
    return start, datetime.combine(month.last, datetime.min.time(), UTC) + timedelta(days=2)
