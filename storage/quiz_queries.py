"""Queries for quiz attempts and their items, clearance history and violations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import col, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Clearance, QuizAttempt, QuizItem, Violation


async def open_attempt(
    session: AsyncSession, *, person_id: int, purpose: str | None = None
) -> QuizAttempt | None:
    """The person's open attempt of this purpose (None: the clearance quiz; "card:<id>": a card lesson)."""
    same_purpose = (
        col(QuizAttempt.purpose).is_(None) if purpose is None else col(QuizAttempt.purpose) == purpose
    )
    result = await session.exec(
        select(QuizAttempt)
        .where(QuizAttempt.person_id == person_id, col(QuizAttempt.status) == "open", same_purpose)
        .order_by(col(QuizAttempt.id).desc())
        .execution_options(populate_existing=True)
    )
    return result.first()


async def items_of(session: AsyncSession, *, attempt_id: int) -> list[QuizItem]:
    result = await session.exec(
        select(QuizItem)
        .where(QuizItem.attempt_id == attempt_id)
        .order_by(col(QuizItem.position))
        .execution_options(populate_existing=True)
    )
    return list(result)


async def item_at(session: AsyncSession, *, attempt_id: int, position: int) -> QuizItem | None:
    result = await session.exec(
        select(QuizItem)
        .where(QuizItem.attempt_id == attempt_id, QuizItem.position == position)
        .execution_options(populate_existing=True)
    )
    return result.first()


async def record_answer(
    session: AsyncSession, *, item_id: int, chosen: list[int], correct: bool, now: datetime
) -> bool:
    """Compare-and-set: True only for the first answer to this item."""
    result = await session.exec(
        update(QuizItem)
        .where(col(QuizItem.id) == item_id, col(QuizItem.answered_at).is_(None))
        .values(chosen=chosen, correct=correct, answered_at=now)
    )
    return result.rowcount == 1


async def advance(session: AsyncSession, *, attempt_id: int, position: int, gained: int) -> bool:
    """Move the attempt past `position` (compare-and-set on the position) and add to its score."""
    result = await session.exec(
        update(QuizAttempt)
        .where(
            col(QuizAttempt.id) == attempt_id,
            col(QuizAttempt.position) == position,
            col(QuizAttempt.status) == "open",
        )
        .values(position=position + 1, score=col(QuizAttempt.score) + gained)
    )
    return result.rowcount == 1


async def toggle_picked(session: AsyncSession, *, item_id: int, option: int) -> int | None:
    """Flip one option of an unanswered item in one statement (XOR as (a | b) - (a & b), which both
    backends have); returns the new mask, None when the item is answered. Two quick taps both land."""
    bit = 1 << option
    mask = col(QuizItem.picked_mask)
    result = await session.exec(
        update(QuizItem)
        .where(col(QuizItem.id) == item_id, col(QuizItem.answered_at).is_(None))
        .values(picked_mask=mask.op("|")(bit) - mask.op("&")(bit))
        .returning(mask)
        .execution_options(synchronize_session=False)
    )
    value = result.scalar_one_or_none()
    return int(value) if value is not None else None


async def expire_attempts(session: AsyncSession, *, now: datetime) -> int:
    result = await session.exec(
        update(QuizAttempt)
        .where(col(QuizAttempt.status) == "open", col(QuizAttempt.expires_at) <= now)
        .values(status="expired", finished_at=now)
    )
    return result.rowcount or 0


async def attempts_of(session: AsyncSession, *, person_id: int, limit: int) -> list[QuizAttempt]:
    """The person's ten-prohibitions attempts, newest first (a card lesson's quiz is not one)."""
    result = await session.exec(
        select(QuizAttempt)
        .where(QuizAttempt.person_id == person_id, col(QuizAttempt.purpose).is_(None))
        .order_by(col(QuizAttempt.id).desc())
        .limit(limit)
    )
    return list(result)


async def violations_since(session: AsyncSession, *, person_id: int, since: datetime) -> list[Violation]:
    result = await session.exec(
        select(Violation)
        .where(Violation.person_id == person_id, col(Violation.at) >= since)
        .order_by(col(Violation.at))
    )
    return list(result)


def add_clearance(session: AsyncSession, **fields: Any) -> None:
    session.add(Clearance(**fields))


async def pass_counts(session: AsyncSession, *, person_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Per person: (finished attempts, passed attempts) of the clearance quiz."""
    if not person_ids:
        return {}
    result = await session.exec(
        select(QuizAttempt.person_id, QuizAttempt.status, func.count())
        .where(
            col(QuizAttempt.person_id).in_(list(person_ids)),
            col(QuizAttempt.status).in_(["passed", "failed"]),
            col(QuizAttempt.purpose).is_(None),  # the clearance quiz, not card lessons
        )
        .group_by(col(QuizAttempt.person_id), col(QuizAttempt.status))
    )
    counts: dict[int, tuple[int, int]] = {}
    for person_id, status, n in result.all():
        total, passed = counts.get(person_id, (0, 0))
        counts[person_id] = (total + n, passed + (n if status == "passed" else 0))
    return counts


async def most_missed(
    session: AsyncSession, *, person_ids: Sequence[int], limit: int
) -> list[tuple[str, str, int]]:
    """(question id, stem, times answered wrong) in attempts of these people, most missed first."""
    if not person_ids:
        return []
    result = await session.exec(
        select(QuizItem.question_id, func.min(QuizItem.stem), func.count())
        .join(QuizAttempt, col(QuizAttempt.id) == col(QuizItem.attempt_id))
        .where(
            col(QuizAttempt.person_id).in_(list(person_ids)),
            col(QuizItem.correct).is_(False),
            col(QuizAttempt.purpose).is_(None),  # the clearance quiz, not card lessons
        )
        .group_by(col(QuizItem.question_id))
        .order_by(func.count().desc(), col(QuizItem.question_id))
        .limit(limit)
    )
    return [(qid, stem, n) for qid, stem, n in result.all()]
