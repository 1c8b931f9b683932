"""Typed input of /card new: the title and the items (one per line), each checked against its limits
(safety/cards/adhoc.py) and refused with a message that says why; and the rights at this moment, which the
presses share (handlers/card_new.py)."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update

from handlers import card_new_views as views
from handlers import pickers
from handlers.card_new_views import FLOW
from handlers.context import BotContext
from safety import flows, textcheck
from safety.cards import adhoc
from safety.cards.adhoc import Problem
from safety.flows import Flow


async def refusal(session: AsyncSession, context: BotContext, flow: Flow) -> str | None:
    """None while the composer is still a safety officer or manager with the chosen units in scope; else
    the flow ends and the text key that says why is returned."""
    assert context.actor is not None
    key = None
    if not adhoc.may_compose(context.actor):
        key = "card_new.not_allowed"
    elif not set(flow.get("units", [])) <= set((await adhoc.scope(session, context.actor)).ids):
        key = "card_new.out_of_scope"
    if key is not None:
        await flows.end(session, person_id=context.actor.person_id, version=flow.version)
    return key


def _typed(update: Update, *, multiline: bool) -> str | None:
    message = update.effective_message
    if message is None or message.text is None:
        return None
    text = message.text if multiline else textcheck.plain_spaces(message.text)
    return text.strip()


async def _refuse(update: Update, context: BotContext, problem: Problem) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(context.text(problem.key, **problem.params))


async def title_typed(update: Update, context: BotContext, flow: Flow) -> None:
    message = update.effective_message
    assert message is not None
    typed = _typed(update, multiline=False)
    if typed is None:
        await message.reply_text(context.text("flows.need_text"))
        return
    if textcheck.control_characters(typed):
        await message.reply_text(context.text("card_new.control_characters"))
        return
    problem = adhoc.check_title(typed if not textcheck.is_blank(typed) else "")
    if problem is not None:
        await _refuse(update, context, problem)
        return
    async with context.runtime.session() as session:
        refused = await refusal(session, context, flow)
        moved = None
        if refused is None:
            moved = await flows.advance(session, flow, step="items", now=context.now, title=typed)
    if refused is not None:
        await message.reply_text(context.text(refused))
    elif moved is None:
        await message.reply_text(context.text("flows.stale"))
    else:
        await pickers.reply(message, views.ask_items(context, moved))


async def items_typed(update: Update, context: BotContext, flow: Flow) -> None:
    message = update.effective_message
    assert message is not None
    typed = _typed(update, multiline=True)
    if typed is None:
        await message.reply_text(context.text("flows.need_text"))
        return
    if textcheck.control_characters(typed, multiline=True):
        await message.reply_text(context.text("card_new.control_characters"))
        return
    items = adhoc.parse_items(typed)
    if isinstance(items, Problem):
        await _refuse(update, context, items)
        return
    async with context.runtime.session() as session:
        refused = await refusal(session, context, flow)
        moved = None
        count = 0
        if refused is None:
            moved = await flows.advance(
                session, flow, step="summary", now=context.now, items=items, quiz=False
            )
            if moved is not None:
                count = await adhoc.audience_count(
                    session, roles=moved.get("roles", []), units=moved.get("units", [])
                )
    if refused is not None:
        await message.reply_text(context.text(refused))
    elif moved is None:
        await message.reply_text(context.text("flows.stale"))
    else:
        await pickers.reply(message, views.summary(context, moved, count))


async def use_buttons(update: Update, context: BotContext, flow: Flow) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(context.text("card_new.use_buttons"))


STEPS: dict[tuple[str, str], Any] = {
    (FLOW, "audience"): use_buttons,
    (FLOW, "title"): title_typed,
    (FLOW, "items"): items_typed,
    (FLOW, "summary"): use_buttons,
}
