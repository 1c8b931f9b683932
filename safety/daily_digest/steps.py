"""The three steps both leader messages (the daily digest, the Monday summary) go through each minute.

Read who is due and their figures in a short transaction; then, chart by chart, draw it in a thread (never
inside a transaction, never on the event loop) and write the outbox rows of the leaders who share it in a
transaction of their own, so the first leaders' messages go out while the other charts are drawn. A drawing
failure (no font, a full disk) is logged and sends nothing for that chart: housekeeping goes on and the next
minute tries those leaders again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from safety.config import Defaults
from safety.daily_digest.leaders import DIGEST_AT

logger = logging.getLogger(__name__)
Item = TypeVar("Item")


async def read_draw_write(
    runtime: Any,
    *,
    what: str,
    due: Callable[..., Awaitable[list[Item]]],
    render: Callable[[Sequence[Item], Path], None],
    send_due: Callable[..., Awaitable[int]],
) -> int:
    """Run the three steps for one kind of leader message; returns the outbox rows written."""
    now: datetime = runtime.now()
    defaults: Defaults = runtime.defaults
    digest_at: str = getattr(runtime, "digest_at", DIGEST_AT)
    async with runtime.reading() as session:
        items = await due(session, now=now, defaults=defaults, digest_at=digest_at)
    if not items:
        return 0
    data_dir = Path(getattr(runtime, "data_dir", "data"))
    written = 0
    for group in _by_chart(items):  # leaders sharing a chart go out as soon as it is drawn
        try:
            await asyncio.to_thread(render, group, data_dir)
        except Exception:
            logger.exception("%s: drawing the chart of %s messages failed", what, len(group))
            continue
        async with runtime.session(background=True) as session:
            written += await send_due(session, group, now=now, defaults=defaults)
    return written


def _by_chart(items: Sequence[Item]) -> list[list[Item]]:
    """The items in groups that share one chart file (`chart_path`; None: no chart), in their order."""
    groups: dict[object, list[Item]] = {}
    for item in items:
        groups.setdefault(getattr(item, "chart_path", None), []).append(item)
    return list(groups.values())
