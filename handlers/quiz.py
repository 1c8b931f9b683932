"""/quiz: start or resume an attempt, one message per question with answer buttons; /quiz history."""

from __future__ import annotations

from typing import Any

from telegram import Update

from handlers import card_lessons_views as lesson_views
from handlers.context import BotContext
from handlers.render import button_data, inline
from safety import bank, quiz
from safety.access import person_of
from safety.quiz import LETTERS, QuizView, Step

BUTTON_TEXT_MAX = 60
HISTORY_WORDS = {"history", "h", "历史", "记录"}


def _label(text: str) -> str:
    return text if len(text) <= BUTTON_TEXT_MAX else text[: BUTTON_TEXT_MAX - 1] + "…"


def question_message(context: BotContext, item: Any, total: int, attempt_id: int) -> tuple[str, Any]:
    """One question with its answer buttons (also for a card lesson's quiz, handlers/card_lessons.py)."""
    return _question(context, item, total, attempt_id)


def _question(context: BotContext, item: Any, total: int, attempt_id: int) -> tuple[str, Any]:
    kind = context.text(f"quiz.kind_{item.type}")
    lines = [
        context.text(
            "quiz.question",
            n=item.position + 1,
            total=total,
            prohibition=item.prohibition,
            kind=kind,
            stem=item.stem,
        )
    ]
    if item.type != "judge":
        lines += [
            context.text("quiz.option_line", letter=LETTERS[i], text=o) for i, o in enumerate(item.options)
        ]
    base = f"{attempt_id}.{item.position}"
    if item.type == "multi":
        picked = set(item.picked)
        rows = [
            [
                (
                    context.text(
                        "quiz.toggle_on" if i in picked else "quiz.toggle_off",
                        text=_label(f"{LETTERS[i]}. {o}"),
                    ),
                    button_data(context, action="qt", arg=f"{base}.{i}"),
                )
            ]
            for i, o in enumerate(item.options)
        ]
        rows.append([(context.text("quiz.submit"), button_data(context, action="qs", arg=base))])
    elif item.type == "judge":
        rows = [
            [
                (_label(o), button_data(context, action="qa", arg=f"{base}.{i}"))
                for i, o in enumerate(item.options)
            ]
        ]
    else:
        rows = [
            [(_label(o), button_data(context, action="qa", arg=f"{base}.{i}"))]
            for i, o in enumerate(item.options)
        ]
    return "\n".join(lines), inline(rows)


def _choice(context: BotContext, item: Any, indexes: list[int]) -> str:
    sep = context.text("quiz.choice_separator")
    if item.type == "judge":
        return sep.join(item.options[i] for i in indexes)
    return sep.join(
        context.text("quiz.option_line", letter=LETTERS[i], text=item.options[i]) for i in indexes
    )


def _result(context: BotContext, view: QuizView) -> str:
    attempt = view.attempt
    assert attempt is not None
    if lesson_views.is_lesson(attempt):  # a card lesson: its own result, never a clearance
        lines = [lesson_views.result_line(context, attempt)]
    elif view.passed:
        until = context.text("quiz.until", date=view.cleared_until) if view.cleared_until else ""
        lines = [context.text("quiz.result_passed", score=attempt.score, total=attempt.total, until=until)]
    else:
        lines = [
            context.text("quiz.result_failed", score=attempt.score, total=attempt.total, needed=attempt.total)
        ]
    wrong = [i for i in view.items if i.correct is False]
    if wrong:
        lines.append(context.text("quiz.wrong_title"))
        for item in wrong:
            lines.append(
                context.text(
                    "quiz.wrong_item",
                    n=item.position + 1,
                    stem=item.stem,
                    chosen=_choice(context, item, item.chosen or []),
                    right=_choice(context, item, item.answer),
                    explanation=item.explanation or "—",
                )
            )
    return "\n".join(lines)


async def quiz_command(update: Update, context: BotContext) -> None:
    """Start or resume the quiz; `/quiz history` lists past attempts."""
    message = update.effective_message
    assert message is not None
    if context.args and context.args[0].lower() in HISTORY_WORDS:
        await _history(update, context)
        return
    services = context.runtime
    assert context.actor is not None
    async with services.session() as session:
        person = await person_of(session, context.actor)
        view = await quiz.start_or_resume(
            session, person=person, now=context.now, rules=services.quiz_rules, rng=services.rng
        )
        loaded = await bank.loaded_bank(session)
    if view.step is Step.NO_BANK or view.attempt is None or view.item is None:
        await message.reply_text(context.text("quiz.no_bank"))
        return
    if loaded.is_sample:
        await message.reply_text(context.text("quiz.sample_notice", source=loaded.source or ""))
    if view.resumed:
        await message.reply_text(context.text("quiz.resumed"))
    else:
        minutes = int(services.quiz_rules.expires.total_seconds() // 60)
        mark = round(services.quiz_rules.pass_mark * 100)
        await message.reply_text(
            context.text("quiz.started", total=view.attempt.total, mark=mark, minutes=minutes)
        )
    assert view.attempt.id is not None
    text, markup = _question(context, view.item, view.attempt.total, view.attempt.id)
    await message.reply_text(text, reply_markup=markup)


async def _history(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    assert context.actor is not None
    async with context.runtime.reading() as session:
        person = await person_of(session, context.actor)
        attempts = await quiz.history(session, person=person, rules=context.runtime.quiz_rules)
    if not attempts:
        await update.effective_message.reply_text(context.text("quiz.history_none"))
        return
    lines = [context.text("quiz.history_title")]
    for a in attempts:
        status = context.text(f"quiz.status_{a.status}")
        lines.append(
            context.text("quiz.history_line", date=a.started, score=a.score, total=a.total, status=status)
        )
    await update.effective_message.reply_text("\n".join(lines))


async def _parsed(update: Update, context: BotContext, arg: str, parts: int) -> list[int] | None:
    """`parts` dot-separated numbers, or None after refusing the press as invalid."""
    pieces = arg.split(".")
    if len(pieces) == parts and all(p.isdigit() for p in pieces):
        return [int(p) for p in pieces]
    assert update.callback_query is not None
    await update.callback_query.answer(context.text("access.button_invalid"), show_alert=True)
    return None


async def _after(update: Update, context: BotContext, view: QuizView, chosen_text: str | None = None) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    refusals = {
        Step.STALE: "quiz.stale",
        Step.DUPLICATE: "quiz.duplicate",
        Step.EXPIRED: "quiz.expired",
        Step.INVALID: "access.button_invalid",
        Step.PICK_ONE: "quiz.pick_one",
    }
    if view.step in refusals:
        await query.answer(context.text(refusals[view.step]), show_alert=view.step is not Step.PICK_ONE)
        return
    await query.answer()
    if query.message is not None and chosen_text is not None:
        await query.edit_message_reply_markup(None)
        await context.bot.send_message(
            update.effective_chat.id, context.text("quiz.answered", choice=chosen_text)
        )
    attempt = view.attempt
    assert attempt is not None and attempt.id is not None
    if view.step is Step.ASK and view.item is not None:
        text, markup = _question(context, view.item, attempt.total, attempt.id)
        await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)
    elif view.step is Step.FINISHED:
        await context.bot.send_message(
            update.effective_chat.id,
            _result(context, view),
            reply_markup=lesson_views.retry_markup(context, attempt),
        )


async def answer_pressed(update: Update, context: BotContext, arg: str) -> None:
    """'qa': <attempt>.<position>.<option> answers a single-choice or judge question."""
    query = update.callback_query
    assert query is not None
    parsed = await _parsed(update, context, arg, 3)
    if parsed is None:
        return
    attempt_id, position, option = parsed
    assert context.actor is not None
    async with context.runtime.session() as session:
        person = await person_of(session, context.actor)
        item = await quiz.item_at(session, attempt_id=attempt_id, position=position)
        view = await quiz.answer(
            session,
            person=person,
            attempt_id=attempt_id,
            position=position,
            chosen=[option],
            now=context.now,
            rules=context.runtime.quiz_rules,
        )
    chosen = _choice(context, item, [option]) if item is not None and option < len(item.options) else None
    await _after(update, context, view, chosen)


async def toggle_pressed(update: Update, context: BotContext, arg: str) -> None:
    """'qt': <attempt>.<position>.<option> toggles an option of a multiple-choice question."""
    query = update.callback_query
    assert query is not None
    parsed = await _parsed(update, context, arg, 3)
    if parsed is None:
        return
    assert context.actor is not None
    async with context.runtime.session() as session:
        person = await person_of(session, context.actor)
        view = await quiz.toggle(
            session,
            person=person,
            attempt_id=parsed[0],
            position=parsed[1],
            option=parsed[2],
            now=context.now,
        )
    if view.step is not Step.TOGGLED or view.item is None or view.attempt is None or view.attempt.id is None:
        await _after(update, context, view)
        return
    await query.answer()
    _, markup = _question(context, view.item, view.attempt.total, view.attempt.id)
    await query.edit_message_reply_markup(markup)


async def submit_pressed(update: Update, context: BotContext, arg: str) -> None:
    """'qs': <attempt>.<position> submits the toggled options."""
    query = update.callback_query
    assert query is not None
    parsed = await _parsed(update, context, arg, 2)
    if parsed is None:
        return
    assert context.actor is not None
    async with context.runtime.session() as session:
        person = await person_of(session, context.actor)
        item = await quiz.item_at(session, attempt_id=parsed[0], position=parsed[1])
        picked = list(item.picked) if item else []
        view = await quiz.submit(
            session,
            person=person,
            attempt_id=parsed[0],
            position=parsed[1],
            now=context.now,
            rules=context.runtime.quiz_rules,
        )
    await _after(update, context, view, _choice(context, item, picked) if item and picked else None)
