"""Quiz attempts: draw one question per prohibition, shuffle options per attempt, score each answer once.

Every answer is a compare-and-set on the item (unanswered) and on the attempt (still at that position),
so a stale, duplicate or raced press never scores twice. An attempt keeps snapshots of what it asked.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel.ext.asyncio.session import AsyncSession

from safety import bank, clearance
from safety.cards import lessons
from safety.clearance import QuizRules
from storage import quiz_queries as qq
from storage.models import Person, QuizAttempt, QuizItem

LETTERS = "ABCDEF"


class Step(StrEnum):
    ASK = "ask"  # the next (or current) question
    FINISHED = "finished"
    NO_BANK = "no_bank"
    STALE = "stale"  # an old question's button, or an attempt that is over
    DUPLICATE = "duplicate"
    EXPIRED = "expired"
    INVALID = "invalid"
    TOGGLED = "toggled"
    PICK_ONE = "pick_one"


@dataclass
class QuizView:
    step: Step
    attempt: QuizAttempt | None = None
    item: QuizItem | None = None
    items: list[QuizItem] = field(default_factory=list)
    resumed: bool = False
    cleared_until: date | None = None

    @property
    def passed(self) -> bool:
        return self.attempt is not None and self.attempt.status == "passed"


def shuffled(
    options: list[str], answer: list[int], qtype: str, rng: random.Random
) -> tuple[list[str], list[int]]:
    """The options in a random order and the answer as indexes into that order (judge: 对/错 stay put)."""
    if qtype == "judge":
        return list(options), list(answer)
    order = list(range(len(options)))
    rng.shuffle(order)
    return [options[i] for i in order], sorted(order.index(a) for a in answer)


def is_right(item: QuizItem, chosen: list[int]) -> bool:
    return sorted(set(chosen)) == sorted(item.answer)


async def start_or_resume(
    session: AsyncSession,
    *,
    person: Person,
    now: datetime,
    rules: QuizRules,
    rng: random.Random,
    purpose: str | None = None,
    prohibitions: Sequence[int] | None = None,
    questions: int | None = None,
) -> QuizView:
    """Resume the open attempt of this purpose at its question, or draw a new one.

    Without a purpose it is the clearance quiz: one question per prohibition (rules). A card lesson passes
    its purpose ("card:<recipient id>") and draws `questions` in all (None: every one) from the bank of
    `prohibitions` (None: all); its result never clears (see _finish)."""
    assert person.id is not None
    await qq.expire_attempts(session, now=now)
    attempt = await qq.open_attempt(session, person_id=person.id, purpose=purpose)
    if attempt is not None and attempt.id is not None:
        item = await qq.item_at(session, attempt_id=attempt.id, position=attempt.position)
        return QuizView(Step.ASK, attempt, item, resumed=True)
    by_prohibition = await bank.questions_for_draw(session)
    if prohibitions is not None:
        wanted = set(prohibitions)
        by_prohibition = {n: pool for n, pool in by_prohibition.items() if n in wanted}
    if not by_prohibition:
        return QuizView(Step.NO_BANK)
    view = await bank.loaded_bank(session)
    drawn = []
    if purpose is None:
        for number in sorted(by_prohibition):
            pool = by_prohibition[number]
            drawn += rng.sample(pool, min(rules.questions_per_prohibition, len(pool)))
    else:
        pool = sorted((q for n in sorted(by_prohibition) for q in by_prohibition[n]), key=lambda q: q.id)
        drawn = rng.sample(pool, min(questions if questions is not None else len(pool), len(pool)))
    attempt = QuizAttempt(
        person_id=person.id,
        started_at=now,
        expires_at=now + rules.expires,
        total=len(drawn),
        pass_mark=rules.pass_mark,
        source=(view.source or "")[:200],
        purpose=purpose,
    )
    session.add(attempt)
    await session.flush()
    assert attempt.id is not None
    items = []
    for position, question in enumerate(drawn):
        options, answer = shuffled(list(question.options), list(question.answer), question.type, rng)
        item = QuizItem(
            attempt_id=attempt.id,
            position=position,
            question_id=question.id,
            prohibition=question.prohibition,
            type=question.type,
            stem=question.stem,
            options=options,
            answer=answer,
            explanation=question.explanation,
        )
        session.add(item)
        items.append(item)
    await session.flush()
    return QuizView(Step.ASK, attempt, items[0] if items else None)


async def _current(
    session: AsyncSession, *, person_id: int, attempt_id: int, position: int, now: datetime
) -> QuizView | tuple[QuizAttempt, QuizItem]:
    attempt = await session.get(QuizAttempt, attempt_id, populate_existing=True)
    if attempt is None or attempt.person_id != person_id:
        return QuizView(Step.INVALID)
    if attempt.status == "open" and attempt.expires_at <= now:
        await qq.expire_attempts(session, now=now)
        return QuizView(Step.EXPIRED, attempt)
    if attempt.status != "open" or position != attempt.position:
        item = await qq.item_at(session, attempt_id=attempt_id, position=position)
        answered = item is not None and item.answered_at is not None
        return QuizView(Step.DUPLICATE if answered else Step.STALE, attempt)
    item = await qq.item_at(session, attempt_id=attempt_id, position=position)
    if item is None:
        return QuizView(Step.INVALID)
    return attempt, item


async def answer(
    session: AsyncSession,
    *,
    person: Person,
    attempt_id: int,
    position: int,
    chosen: list[int],
    now: datetime,
    rules: QuizRules,
) -> QuizView:
    """Score one answer once; then the next question, or the result when it was the last."""
    assert person.id is not None
    found = await _current(session, person_id=person.id, attempt_id=attempt_id, position=position, now=now)
    if isinstance(found, QuizView):
        return found
    attempt, item = found
    if (
        not chosen
        or any(not 0 <= c < len(item.options) for c in chosen)
        or (item.type != "multi" and len(chosen) != 1)
    ):
        return QuizView(Step.INVALID, attempt)
    correct = is_right(item, chosen)
    assert item.id is not None
    if not await qq.record_answer(
        session, item_id=item.id, chosen=sorted(set(chosen)), correct=correct, now=now
    ):
        return QuizView(Step.DUPLICATE, attempt)
    if not await qq.advance(session, attempt_id=attempt_id, position=position, gained=int(correct)):
        return QuizView(Step.DUPLICATE, attempt)
    moved = await session.get(QuizAttempt, attempt_id, populate_existing=True)
    assert moved is not None
    if moved.position < moved.total:
        return QuizView(
            Step.ASK, moved, await qq.item_at(session, attempt_id=attempt_id, position=moved.position)
        )
    return await _finish(session, moved, person, now=now, rules=rules)


async def toggle(
    session: AsyncSession, *, person: Person, attempt_id: int, position: int, option: int, now: datetime
) -> QuizView:
    """Multiple choice: flip one option of the current question before submitting."""
    assert person.id is not None
    found = await _current(session, person_id=person.id, attempt_id=attempt_id, position=position, now=now)
    if isinstance(found, QuizView):
        return found
    attempt, item = found
    if item.type != "multi" or not 0 <= option < len(item.options) or item.id is None:
        return QuizView(Step.INVALID, attempt)
    mask = await qq.toggle_picked(session, item_id=item.id, option=option)
    if mask is None:
        return QuizView(Step.DUPLICATE, attempt)
    set_committed_value(item, "picked_mask", mask)  # what the database holds now; nothing to write back
    return QuizView(Step.TOGGLED, attempt, item)


async def submit(
    session: AsyncSession, *, person: Person, attempt_id: int, position: int, now: datetime, rules: QuizRules
) -> QuizView:
    assert person.id is not None
    found = await _current(session, person_id=person.id, attempt_id=attempt_id, position=position, now=now)
    if isinstance(found, QuizView):
        return found
    attempt, item = found
    if not item.picked:
        return QuizView(Step.PICK_ONE, attempt, item)
    return await answer(
        session,
        person=person,
        attempt_id=attempt_id,
        position=position,
        chosen=list(item.picked),
        now=now,
        rules=rules,
    )


async def _finish(
    session: AsyncSession, attempt: QuizAttempt, person: Person, *, now: datetime, rules: QuizRules
) -> QuizView:
    passed = attempt.total > 0 and attempt.score >= attempt.total * attempt.pass_mark - 1e-9
    attempt.status = "passed" if passed else "failed"
    attempt.finished_at = now
    session.add(attempt)
    assert attempt.id is not None
    if attempt.purpose is not None:  # a card lesson: recorded on the card, never a clearance
        await lessons.finished(session, attempt=attempt, passed=passed, now=now, defaults=rules.defaults)
        items = await qq.items_of(session, attempt_id=attempt.id)
        return QuizView(Step.FINISHED, attempt, items=items)
    if passed:
        await clearance.grant(session, person=person, attempt_id=attempt.id, now=now, rules=rules)
    items = await qq.items_of(session, attempt_id=attempt.id)
    return QuizView(
        Step.FINISHED, attempt, items=items, cleared_until=person.cleared_until if passed else None
    )


async def item_at(session: AsyncSession, *, attempt_id: int, position: int) -> QuizItem | None:
    """A question as an attempt asked it (its snapshot)."""
    return await qq.item_at(session, attempt_id=attempt_id, position=position)


@dataclass(frozen=True)
class PastAttempt:
    started: str  # local YYYY-MM-DD HH:MM, in the person's unit's time zone
    score: int
    total: int
    status: str


async def history(
    session: AsyncSession, *, person: Person, rules: QuizRules, limit: int = 10
) -> list[PastAttempt]:
    """The person's latest attempts, newest first."""
    assert person.id is not None
    tz = await clearance.zone_of(session, person, rules.defaults)
    attempts = await qq.attempts_of(session, person_id=person.id, limit=limit)
    return [
        PastAttempt(a.started_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), a.score, a.total, a.status)
        for a in attempts
    ]
