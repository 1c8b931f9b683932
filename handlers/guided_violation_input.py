"""Typed input and photos of the guided /violation: a name or employee number narrows the people, a
number picks the prohibition, then the note and the photo. Rights are checked as for presses."""

from __future__ import annotations

from telegram import Update

from handlers import guided_violation_views as views
from handlers import pickers
from handlers.context import BotContext
from handlers.guided_violation import allowed, choose_person, choose_rule
from handlers.guided_violation_views import FLOW
from handlers.pickers import Screen
from safety import flows, textcheck, violations
from safety.flows import Flow
from safety.violations import NOTE_LIMIT

QUERY_LIMIT = 32


async def person_typed(update: Update, context: BotContext, flow: Flow) -> None:
    """A typed name or employee number narrows the list: one match is chosen, several are listed."""
    message = update.effective_message
    assert message is not None and context.actor is not None
    typed = textcheck.visible(message.text or "")[:QUERY_LIMIT]
    if not typed:
        await message.reply_text(context.text("violation.search_blank"))
        return
    screen: Screen | None = None
    async with context.runtime.session() as session:
        may = await allowed(session, context, flow)
        found = await violations.recordable_people(session, actor=context.actor, query=typed) if may else []
        if len(found) == 1:
            screen = await choose_person(session, context, flow, found[0])
        elif found:
            moved = await flows.advance(session, flow, step="person", now=context.now, page=0, query=typed)
            screen = views.people(context, moved, found) if moved else None
    if not may:
        screen = (context.text("violation.not_allowed"), None)
    elif screen is None:
        screen = (context.text("flows.stale" if found else "violation.person_none", query=typed), None)
    await pickers.reply(message, screen)


async def prohibition_typed(update: Update, context: BotContext, flow: Flow) -> None:
    message = update.effective_message
    assert message is not None
    typed = textcheck.visible(message.text or "")[:QUERY_LIMIT]
    if not typed:
        await message.reply_text(context.text("flows.need_text"))
        return
    async with context.runtime.session() as session:
        may = await allowed(session, context, flow)
        moved = await choose_rule(session, context, flow, typed) if may else None
    if moved is not None:
        await pickers.reply(message, views.note(context, moved))
        return
    key = "violation.prohibition_typed_unknown" if may else "violation.not_allowed"
    await message.reply_text(context.text(key, value=typed))


def _note_problem(context: BotContext, note: str | None) -> str | None:
    if note is None or textcheck.is_blank(note):
        return context.text("violation.note_blank")
    if len(note) > NOTE_LIMIT:
        return context.text("violation.note_too_long", limit=NOTE_LIMIT)
    return None


async def note_typed(update: Update, context: BotContext, flow: Flow) -> None:
    """The note, typed (a photo with a caption gives both the note and the photo)."""
    message = update.effective_message
    assert message is not None
    note = message.text if message.text is not None else message.caption
    problem = _note_problem(context, note)
    if problem is not None:
        await message.reply_text(problem)
        return
    assert note is not None
    photo = message.photo[-1].file_id if message.photo else None
    async with context.runtime.session() as session:
        may = await allowed(session, context, flow)
        step = "summary" if photo else "photo"
        changes = {"note": note.strip(), "photo": photo}
        moved = await flows.advance(session, flow, step=step, now=context.now, **changes) if may else None
    await _reply_moved(update, context, may, moved)


async def photo_sent(update: Update, context: BotContext, flow: Flow) -> None:
    message = update.effective_message
    assert message is not None
    if not message.photo:
        await message.reply_text(context.text("violation.photo_or_skip"))
        return
    photo = message.photo[-1].file_id
    async with context.runtime.session() as session:
        may = await allowed(session, context, flow)
        moved = (
            await flows.advance(session, flow, step="summary", now=context.now, photo=photo) if may else None
        )
    await _reply_moved(update, context, may, moved)


async def _reply_moved(update: Update, context: BotContext, may: bool, moved: Flow | None) -> None:
    message = update.effective_message
    assert message is not None
    if not may:
        await message.reply_text(context.text("violation.not_allowed"))
    elif moved is None:
        await message.reply_text(context.text("flows.stale"))
    else:
        await pickers.reply(
            message, (views.photo if moved.step == "photo" else views.summary)(context, moved)
        )


async def summary_typed(update: Update, context: BotContext, flow: Flow) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(context.text("flows.use_buttons"))


STEPS = {
    (FLOW, "person"): person_typed,
    (FLOW, "prohibition"): prohibition_typed,
    (FLOW, "note"): note_typed,
    (FLOW, "photo"): photo_sent,
    (FLOW, "summary"): summary_typed,
}
