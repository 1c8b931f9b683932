"""Card lessons (事故案例警示教育、文件传达): a card with `quiz: {questions: N, prohibitions: [..]}` sent to
workers, each of whom reads it (`已阅`) and then passes a short quiz drawn from the bank for those
prohibitions (`开始测验`, action `cq`; `再考一次` after a fail).

The quiz is an ordinary attempt (safety/quiz.py) with the purpose "card:<recipient id>": it never clears
anyone for duty (only attempts without a purpose do). A pass sets CardRecipient.passed_at once and records
a CardEvent "passed"; a fail records "failed". The recipient's `card_ack` obligation stays open until the
card is complete for them — read, deployed when the card asks for it, passed when it has a quiz — so an
unread or unpassed lesson escalates by the card_ack policy of the worker's unit like any duty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import digests
from safety.config import Defaults
from safety.kinds import CARD_ACK
from safety.views import Action, Text, View
from storage import card_adhoc_queries as aq
from storage import card_queries as cq
from storage.models import Card, CardOccurrence, CardRecipient, QuizAttempt

PURPOSE_PREFIX = "card:"
START, RETRY = "card_lessons.start", "card_lessons.retry"
ACTION = "cq"
COMPLETE = "cards.complete"  # the card view's "all done" line: not yet, while the quiz is not passed


def purpose_of(recipient_id: int) -> str:
    return f"{PURPOSE_PREFIX}{recipient_id}"


def recipient_of(purpose: str | None) -> int | None:
    """The recipient a lesson attempt is for; None for a clearance attempt (no purpose)."""
    if not purpose or not purpose.startswith(PURPOSE_PREFIX):
        return None
    tail = purpose[len(PURPOSE_PREFIX) :]
    return int(tail) if tail.isdigit() else None


def ref_of(occurrence_id: int) -> str:
    """The card_ack obligation's reference (safety/cards/delivery.py opens it)."""
    return f"card:{occurrence_id}"


def has_quiz(card: Card) -> bool:
    return bool(card.quiz) and int((card.quiz or {}).get("questions", 0)) > 0


def complete(recipient: CardRecipient, card: Card) -> bool:
    """Everything the card asks of this recipient is done: read, deployed (if asked), passed (if a quiz)."""
    if recipient.read_at is None:
        return False
    if "deployed" in card.ack and recipient.deployed_at is None:
        return False
    return not (has_quiz(card) and recipient.passed_at is None)


@dataclass(frozen=True)
class Lesson:
    """A recipient's lesson quiz that may start now: what to draw and for whom."""

    recipient: CardRecipient
    card: Card
    occurrence: CardOccurrence

    @property
    def purpose(self) -> str:
        assert self.recipient.id is not None
        return purpose_of(self.recipient.id)

    @property
    def questions(self) -> int:
        return int((self.card.quiz or {}).get("questions", 0))

    @property
    def prohibitions(self) -> list[int] | None:
        """The prohibitions to draw from; None (none named): all of them."""
        named = [int(p) for p in (self.card.quiz or {}).get("prohibitions") or []]
        return named or None


async def _loaded(
    session: AsyncSession, recipient_id: int
) -> tuple[CardRecipient, CardOccurrence, Card] | None:
    recipient = await cq.get_recipient(session, recipient_id=recipient_id)
    if recipient is None:
        return None
    occurrence = await cq.get_occurrence(session, occurrence_id=recipient.occurrence_id)
    card = (
        (await cq.cards_by_ids(session, ids=[occurrence.card_id])).get(occurrence.card_id)
        if occurrence
        else None
    )
    if occurrence is None or card is None:
        return None
    return recipient, occurrence, card


async def lesson_for(session: AsyncSession, *, person_id: int, recipient_id: int) -> Lesson | str:
    """The lesson quiz this person may start now, or the text key that says why not."""
    found = await _loaded(session, recipient_id)
    if found is None:
        return "card_lessons.gone"
    recipient, occurrence, card = found
    if recipient.person_id != person_id:
        return "card_lessons.not_yours"
    if not has_quiz(card):
        return "card_lessons.gone"
    if recipient.read_at is None:
        return "card_lessons.read_first"
    if recipient.passed_at is not None:
        return "card_lessons.already_passed"
    return Lesson(recipient, card, occurrence)


def with_offer(view: View, recipient: CardRecipient, card: Card | None) -> View:
    """A card as its recipient sees it (safety/cards/views.py card_view) with the lesson's `开始测验` under
    it once they have read it and until they pass; the view unchanged for any other card or state."""
    if card is None or not has_quiz(card) or recipient.id is None:
        return view
    if recipient.read_at is None or recipient.passed_at is not None:
        return view
    count = int((card.quiz or {}).get("questions", 0))
    button = Action(Text(START), ACTION, str(recipient.id))
    lines = [line for line in view.lines if not (isinstance(line, Text) and line.key == COMPLETE)]
    return View((*lines, Text("card_lessons.pending", count=count)), (*view.actions, (button,)), view.files)


async def close_if_complete(
    session: AsyncSession, recipient: CardRecipient, *, now: datetime, defaults: Defaults
) -> bool:
    """Close the recipient's card_ack obligation (acknowledged) when the card is complete for them, and
    edit the digests that list it; True when this call closed it."""
    assert recipient.id is not None
    found = await _loaded(session, recipient.id)
    if found is None:
        return False
    fresh, occurrence, card = found
    if not complete(fresh, card):
        return False
    assert occurrence.id is not None
    ref = ref_of(occurrence.id)
    closed = await cq.close_obligation(
        session, kind=CARD_ACK, ref=ref, subject_id=fresh.person_id, by=fresh.person_id, now=now
    )
    if closed:
        await digests.refresh(session, kind=CARD_ACK, ref=ref, now=now, defaults=defaults)
    return closed


async def finished(
    session: AsyncSession, *, attempt: QuizAttempt, passed: bool, now: datetime, defaults: Defaults
) -> None:
    """A lesson attempt ended (safety/quiz.py): record the pass (once) or the fail, close when complete."""
    recipient_id = recipient_of(attempt.purpose)
    if recipient_id is None or attempt.id is None:
        return
    found = await _loaded(session, recipient_id)
    if found is None or found[0].person_id != attempt.person_id:
        return
    recipient, occurrence, _ = found
    assert occurrence.id is not None
    if passed:
        if not await aq.record_pass(session, recipient_id=recipient_id, attempt_id=attempt.id, now=now):
            return
        action = "passed"
    else:
        await aq.record_attempt(session, recipient_id=recipient_id, attempt_id=attempt.id)
        action = "failed"
    event = {
        "occurrence_id": occurrence.id,
        "person_id": recipient.person_id,
        "revision": recipient.revision,
        "action": action,
        "note": f"quiz {attempt.score}/{attempt.total}",
        "at": now,
    }
    await cq.add_events(session, rows=[event])
    if passed:
        await close_if_complete(session, recipient, now=now, defaults=defaults)
