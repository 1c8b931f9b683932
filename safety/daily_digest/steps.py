"""The three steps both leader messages (the daily digest, the Monday summary) go through each minute.

Read who is due and their figures in a short transaction; draw the charts in a thread (never inside a
transaction, never on the event loop); write the outbox rows in another transaction. A drawing failure (no
font, a full disk) is logged and sends nothing: housekeeping goes on and the next minute tries again.
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
    try:
        await asyncio.to_thread(render, items, Path(getattr(runtime, "data_dir", "data")))
    except Exception:
        logger.exception("%s: drawing the charts of %s messages failed", what, len(items))
        return 0
    async with runtime.session(background=True) as session:
        written: int = await send_due(session, items, now=now, defaults=defaults)
        return written
