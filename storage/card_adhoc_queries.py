"""Queries of ad-hoc cards (`/card new`) and card lessons: the day's card ids, inserting a card under a free
id, a lesson recipient's quiz result (compare-and-set), and the open obligation of a recipient."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Card, CardRecipient, Obligation


async def adhoc_count(session: AsyncSession, *, prefix: str) -> int:
    """How many cards have an id starting with `prefix` ("adhoc-20261127-")."""
    result = await session.exec(select(func.count()).select_from(Card).where(col(Card.id).startswith(prefix)))
    return int(result.one())


async def insert_card(session: AsyncSession, *, card: Card) -> Card | None:
    """Insert in a savepoint; None when the id is taken (another composer took it first)."""
    try:
        async with session.begin_nested():
            session.add(card)
            await session.flush()
    except IntegrityError:
        return None
    return card


async def record_pass(session: AsyncSession, *, recipient_id: int, attempt_id: int, now: datetime) -> bool:
    """The lesson's quiz passed: once (compare-and-set on passed_at being empty); the version grows."""
    result = await session.exec(
        update(CardRecipient)
        .where(col(CardRecipient.id) == recipient_id, col(CardRecipient.passed_at).is_(None))
        .values(passed_at=now, quiz_attempt_id=attempt_id, version=col(CardRecipient.version) + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


async def record_attempt(session: AsyncSession, *, recipient_id: int, attempt_id: int) -> None:
    """The latest (failed) attempt of a lesson that is not passed yet."""
    await session.exec(
        update(CardRecipient)
        .where(col(CardRecipient.id) == recipient_id, col(CardRecipient.passed_at).is_(None))
        .values(quiz_attempt_id=attempt_id)
        .execution_options(synchronize_session=False)
    )


async def open_obligation(
    session: AsyncSession, *, kind: str, ref: str, subject_id: int
) -> Obligation | None:
    result = await session.exec(
        select(Obligation)
        .where(
            Obligation.kind == kind,
            Obligation.ref == ref,
            Obligation.subject_id == subject_id,
            Obligation.state == "open",
        )
        .execution_options(populate_existing=True)
    )
    return result.first()
