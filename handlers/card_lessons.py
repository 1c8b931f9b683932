"""`开始测验` / `再考一次` (action `cq`, arg the recipient id) under a card lesson: start (or resume) the
lesson's quiz — N questions from the bank for the card's prohibitions, an attempt with the purpose
"card:<recipient id>" (safety/cards/lessons.py) — and send its first question; the answers go through the
quiz's own buttons (handlers/quiz.py), which also show the lesson's result and `再考一次` after a fail.
Only the recipient may start it, after 已阅, until passed."""

from __future__ import annotations

from typing import Any

from telegram import Update

from handlers.context import BotContext
from handlers.quiz import question_message
from safety import quiz
from safety.access import person_of
from safety.cards import lessons
from safety.cards.lessons import Lesson
from safety.quiz import QuizView, Step


async def start_pressed(update: Update, context: BotContext, arg: str) -> None:
    """'cq': <recipient id>."""
    query = update.callback_query
    assert query is not None and context.actor is not None and update.effective_chat is not None
    if not arg.isdigit():
        await query.answer(context.text("access.button_invalid"), show_alert=True)
        return
    view: QuizView | None = None
    async with context.runtime.session() as session:
        found = await lessons.lesson_for(session, person_id=context.actor.person_id, recipient_id=int(arg))
        if isinstance(found, Lesson):
            view = await quiz.start_or_resume(
                session,
                person=await person_of(session, context.actor),
                now=context.now,
                rules=context.runtime.quiz_rules,
                rng=context.runtime.rng,
                purpose=found.purpose,
                prohibitions=found.prohibitions,
                questions=found.questions,
            )
    if not isinstance(found, Lesson):
        await query.answer(context.text(found), show_alert=True)
        return
    if view is None or view.step is Step.NO_BANK or view.attempt is None or view.item is None:
        await query.answer(context.text("card_lessons.no_questions"), show_alert=True)
        return
    await query.answer()
    chat = update.effective_chat.id
    if view.resumed:
        await context.bot.send_message(chat, context.text("quiz.resumed"))
    else:
        title = found.occurrence.title
        await context.bot.send_message(
            chat, context.text("card_lessons.started", title=title, total=view.attempt.total)
        )
    assert view.attempt.id is not None
    text, markup = question_message(context, view.item, view.attempt.total, view.attempt.id)
    await context.bot.send_message(chat, text, reply_markup=markup)


ROUTES: dict[str, Any] = {lessons.ACTION: start_pressed}
