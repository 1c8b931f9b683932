"""Queries on the question bank: prohibitions and questions (keyword-only, the session passed explicitly).

The bank is small (tens of prohibitions, at most some thousands of questions), so whole-table reads are
fine; writes go through the ORM with bound parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Prohibition, Question


async def all_prohibitions(session: AsyncSession, *, active_only: bool = False) -> list[Prohibition]:
    """Prohibitions ordered by number."""
    query = select(Prohibition).order_by(col(Prohibition.number))
    if active_only:
        query = query.where(col(Prohibition.active).is_(True))
    return list((await session.exec(query)).all())


async def all_questions(session: AsyncSession) -> list[Question]:
    """Every question, active or not, ordered by id."""
    return list((await session.exec(select(Question).order_by(col(Question.id)))).all())


async def active_questions(session: AsyncSession) -> list[Question]:
    """The active questions of active prohibitions, ordered by prohibition number, then id."""
    query = (
        select(Question)
        .join(Prohibition, col(Prohibition.number) == col(Question.prohibition))
        .where(col(Question.active).is_(True), col(Prohibition.active).is_(True))
        .order_by(col(Question.prohibition), col(Question.id))
    )
    return list((await session.exec(query)).all())


async def active_question_counts(session: AsyncSession) -> dict[int, int]:
    """Prohibition number -> number of its active questions (prohibitions without any are absent)."""
    query = (
        select(Question.prohibition, func.count())
        .where(col(Question.active).is_(True))
        .group_by(col(Question.prohibition))
    )
    return {int(number): int(count) for number, count in (await session.exec(query)).all()}


async def has_active_questions(session: AsyncSession) -> bool:
    query = select(Question.id).where(col(Question.active).is_(True)).limit(1)
    return (await session.exec(query)).first() is not None


async def add_prohibitions(session: AsyncSession, *, rows: Sequence[Prohibition]) -> None:
    session.add_all(rows)
    await session.flush()


async def add_questions(session: AsyncSession, *, rows: Sequence[Question]) -> None:
    session.add_all(rows)
    await session.flush()
