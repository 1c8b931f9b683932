"""`/channel`: the channels the person is bound on (Telegram, WeCom), one button each (action `ch`, arg:
the channel), the current one marked; a press makes it the preferred one — only a channel they are bound
on at the moment of the press (safety/channel_choice.py); this module only parses and renders."""

from __future__ import annotations

from typing import Any

from telegram import Update

from handlers.buttons import refuse
from handlers.context import CHANNEL, BotContext
from handlers.render import view_for
from safety import channel_choice
from safety.channel_choice import CHOOSE, Outcome
from safety.views import Text, render_text

MAX_CHANNEL = 16  # a channel name's length in storage


def _via(context: BotContext) -> str:
    return str(context.application.bot_data.get("channel", CHANNEL))


async def channel_command(update: Update, context: BotContext) -> None:
    assert context.actor is not None and update.effective_message is not None
    async with context.runtime.session() as session:  # writing here shows this channel reaches them
        await channel_choice.heard_on(session, actor=context.actor, channel=_via(context))
        view = await channel_choice.picture(session, actor=context.actor)
    text, markup = view_for(context, view)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def channel_pressed(update: Update, context: BotContext, arg: str) -> None:
    """Set the preferred channel; a channel they are not bound on is refused and nothing changes."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    if not arg or len(arg) > MAX_CHANNEL:
        await refuse(update, context, "access.button_invalid")
        return
    async with context.runtime.session() as session:
        outcome, name = await channel_choice.choose(
            session, actor=context.actor, channel=arg, now=context.now, via=_via(context)
        )
    if outcome is Outcome.NOT_BOUND:
        await refuse(update, context, outcome.value)
        return
    await query.answer(render_text(Text(outcome.value, name=name), context.language))
    if outcome is not Outcome.CHOSEN or query.message is None:
        return
    async with context.runtime.reading() as session:
        view = await channel_choice.picture(session, actor=context.actor)
    text, markup = view_for(context, view)
    await query.edit_message_text(text, reply_markup=markup)


COMMANDS: dict[str, Any] = {"channel": channel_command}
STEPS: dict[tuple[str, str], Any] = {}
ROUTES: dict[str, Any] = {CHOOSE: channel_pressed}
