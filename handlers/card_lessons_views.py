"""How a card lesson's quiz ends in chat (handlers/quiz.py asks): the result line of a lesson attempt, and
`再考一次` (action `cq`) after a fail. A lesson never says anything about clearance."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from handlers.context import BotContext
from handlers.render import button_data, inline
from safety.cards import lessons
from storage.models import QuizAttempt


def is_lesson(attempt: QuizAttempt) -> bool:
    return lessons.recipient_of(attempt.purpose) is not None


def result_line(context: BotContext, attempt: QuizAttempt) -> str:
    key = "card_lessons.passed" if attempt.status == "passed" else "card_lessons.failed"
    return context.text(key, score=attempt.score, total=attempt.total)


def retry_markup(context: BotContext, attempt: QuizAttempt) -> InlineKeyboardMarkup | None:
    """`再考一次` under a failed lesson attempt; None for a pass or a clearance attempt."""
    recipient_id = lessons.recipient_of(attempt.purpose)
    if recipient_id is None or attempt.status == "passed":
        return None
    data = button_data(context, action=lessons.ACTION, arg=str(recipient_id))
    return inline([[(context.text(lessons.RETRY), data)]])
