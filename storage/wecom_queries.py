"""Queries of the WeCom channel: the callbacks already processed (WeCom retries one it thinks unanswered, and
a captured one could be replayed), then the template cards sent and the response codes their presses bring.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_many
from storage.models import WeComCard, WeComSeen

# -- callbacks seen -----------------------------------------------------------------------------------------


async def first_time(session: AsyncSession, *, key: str, now: datetime) -> bool:
    """Record the callback `key` as seen; True only for the first: an insert that ignores a conflict on the
    primary key, so of two processes (or two tasks) receiving the same callback exactly one gets True."""
    inserted = await insert_many(
        session, WeComSeen, [{"key": key, "at": now}], conflict=["key"], returning="key"
    )
    return bool(inserted)


async def prune_seen(session: AsyncSession, *, before: datetime) -> int:
    """Forget the callbacks seen before `before` (the endpoint refuses callbacks that old); how many."""
    result = await session.exec(delete(WeComSeen).where(col(WeComSeen.at) < before))
    return int(result.rowcount or 0)


# -- template cards sent ------------------------------------------------------------------------------------
RESPONSE_LIFETIME = timedelta(hours=24)  # a press's response_code updates its card once, within this


def send_of(task_id: str) -> str:
    """The task prefix shared by the cards of one send (`<prefix>-0`, `<prefix>-1`, …)."""
    return task_id.rsplit("-", 1)[0]


async def add_card(
    session: AsyncSession,
    *,
    userid: str,
    task_id: str | None,
    msg_id: str | None,
    now: datetime,
    response_code: str | None = None,
) -> int:
    """Record a message sent (a template card, or a text when the send had no card); its id. A card's send
    answer carries a `response_code` of its own: the card can be updated once without a press."""
    card = WeComCard(
        userid=userid,
        task_id=task_id,
        msg_id=msg_id,
        created_at=now,
        response_code=response_code,
        response_at=now if response_code else None,
    )
    session.add(card)
    await session.flush()
    assert card.id is not None
    return card.id


async def get_card(session: AsyncSession, card_id: int) -> WeComCard | None:
    return await session.get(WeComCard, card_id)


async def card_by_task(session: AsyncSession, task_id: str) -> WeComCard | None:
    result = await session.exec(select(WeComCard).where(col(WeComCard.task_id) == task_id))
    return result.first()


async def record_response(session: AsyncSession, *, task_id: str, response_code: str, now: datetime) -> bool:
    """A press on the card `task_id` brought `response_code`: keep it for the card's next update (a newer
    press replaces an older code). False: no such card (not ours, or forged)."""
    result = await session.exec(
        update(WeComCard)
        .where(col(WeComCard.task_id) == task_id)
        .values(response_code=response_code, response_at=now, response_used=False)
    )
    return bool(result.rowcount)


async def take_response(session: AsyncSession, *, card_id: int, now: datetime) -> tuple[str, str] | None:
    """A usable response code of the send `card_id` belongs to (its cards share a task prefix), taken: the
    (task_id, response_code) of the newest unused one under 24 hours old, marked used by one compare-and-set
    UPDATE, so of two edits at once only one updates the card. None: the edit needs a fresh card."""
    card = await session.get(WeComCard, card_id)
    if card is None or card.task_id is None:
        return None
    prefix = send_of(card.task_id)
    result = await session.exec(
        select(WeComCard)
        .where(
            col(WeComCard.userid) == card.userid,
            col(WeComCard.task_id).startswith(f"{prefix}-", autoescape=True),
            col(WeComCard.response_code).is_not(None),
            col(WeComCard.response_used).is_(False),
            col(WeComCard.response_at) > now - RESPONSE_LIFETIME,
        )
        .order_by(col(WeComCard.response_at).desc())
    )
    for candidate in result.all():
        assert candidate.task_id is not None and candidate.response_code is not None
        taken = await session.exec(
            update(WeComCard)
            .where(
                col(WeComCard.id) == candidate.id,
                col(WeComCard.response_code) == candidate.response_code,
                col(WeComCard.response_used).is_(False),
            )
            .values(response_used=True)
        )
        if taken.rowcount:
            return candidate.task_id, candidate.response_code
    return None


async def repoint(
    session: AsyncSession,
    *,
    card_id: int,
    task_id: str | None,
    msg_id: str | None,
    now: datetime,
    response_code: str | None = None,
) -> None:
    """The message `card_id` (the id the outbox knows) is now shown by a fresh send: point it there."""
    await session.exec(
        update(WeComCard)
        .where(col(WeComCard.id) == card_id)
        .values(
            task_id=task_id,
            msg_id=msg_id,
            response_code=response_code,
            response_at=now if response_code else None,
            response_used=False,
        )
    )


async def set_text(session: AsyncSession, *, card_id: int, text: str) -> None:
    """What the message `card_id` shows now (a press on it gives the handlers this text)."""
    await session.exec(update(WeComCard).where(col(WeComCard.id) == card_id).values(text=text))
