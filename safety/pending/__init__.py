"""/pending: everything that waits on me now, each item with the buttons to act on it, oldest first, paged.

Three sources (read fresh at every command and every press):
- my own open duties of every kind, with the buttons the kind's reminder carries (全部正常, 已阅, 到岗, …):
  safety/pending/duties.py `mine`;
- others' open duties that a step digest named to me at their current level, grouped per kind, reference
  and unit as the digest groups them, with the digest's actions (提醒 / 请假 / 已处理) per person:
  safety/pending/duties.py `theirs`;
- my rectification tasks (整改完成) and the reports waiting for me to assign (指派) or verify (通过 /
  驳回): safety/pending/reports.py.

An item's buttons are the very actions of the original messages, so the presses are handled (and
authorised again, against the presser and the state at the press) by the handlers that own them; the list
only says what to offer. Pages hold at most PAGE_SIZE items and MAX_ROWS rows of buttons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.access import Actor
from safety.config import Defaults
from safety.pending.duties import mine, theirs
from safety.pending.items import Item
from safety.pending.reports import report_items

PAGE_SIZE = 8  # items per page (as /pending had)
MAX_ROWS = 12  # rows of buttons per page: Telegram allows 100 buttons; a phone shows about a dozen rows

__all__ = ["MAX_ROWS", "PAGE_SIZE", "Item", "PendingPage", "collect", "page_of"]


@dataclass(frozen=True)
class PendingPage:
    items: list[Item]
    total: int  # items on every page
    page: int  # 0-based, clamped
    pages: int


async def collect(session: AsyncSession, actor: Actor, *, now: datetime, defaults: Defaults) -> list[Item]:
    """Every item that waits on me, oldest first."""
    found, skip = await report_items(session, actor, now=now, defaults=defaults)
    found += await mine(session, actor, now=now, defaults=defaults, skip_refs=skip)
    found += await theirs(session, actor, defaults=defaults)
    return sorted(found, key=lambda i: (i.since, i.key))


def pages(items: Sequence[Item]) -> list[list[Item]]:
    """The items packed onto pages in order: a page ends at PAGE_SIZE items or when the next item's rows
    would pass MAX_ROWS (an item alone on its page keeps all its rows)."""
    packed: list[list[Item]] = [[]]
    rows = 0
    for item in items:
        current = packed[-1]
        if current and (len(current) >= PAGE_SIZE or rows + len(item.rows) > MAX_ROWS):
            packed.append([])
            current, rows = packed[-1], 0
        current.append(item)
        rows += len(item.rows)
    return packed


def page_of(items: Sequence[Item], page: int) -> PendingPage:
    """One page of the items; an old page number of a list that has shrunk (or a forged one) draws the
    nearest page there is."""
    packed = pages(items)
    page = min(max(page, 0), len(packed) - 1)
    return PendingPage(packed[page], len(items), page, len(packed))
