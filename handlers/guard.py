"""First in line for every update: who is this, are they bound, what language do they read."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, TypeHandler

from handlers import buttons
from handlers.context import BotContext
from handlers.render import contact_keyboard
from safety.access import load_actor, mark_reachable

logger = logging.getLogger(__name__)


def _is_binding_attempt(update: Update) -> bool:
    message = update.message
    if message is None:
        return False
    if message.contact is not None:
        return True
    text = message.text or ""
    return text == "/start" or text.startswith(("/start ", "/start@"))


def _ignored(update: Update) -> bool:
    """Edits never run anything again (an edited /violation would record a second one), and group chats
    are delivery targets, not places for commands: only their digests' buttons are pressed there."""
    if update.edited_message is not None or update.edited_channel_post is not None:
        return True
    chat = update.effective_chat
    return chat is not None and chat.type != ChatType.PRIVATE and update.callback_query is None


async def guard(update: Update, context: BotContext) -> None:
    """Load the actor; unbound accounts get only the binding prompt."""
    user = update.effective_user
    if user is None or user.is_bot or _ignored(update):
        raise ApplicationHandlerStop
    runtime = context.runtime
    buttons.early_ack(update, context)  # 全部正常 is answered at once, while the actor is read
    async with runtime.reading() as session:  # before every update: no transaction round trips
        context.actor = await load_actor(
            session, channel=context.channel, external_id=context.account_id(user)
        )
    if context.actor is not None:
        runtime.remember_account(str(user.id), context.actor.person_id)
    if context.actor is not None and context.actor.unreachable:  # they unblocked the bot (on this channel)
        async with runtime.session() as session:
            await mark_reachable(session, context.actor, channel=context.channel)
    context.use_language(context.actor.language if context.actor else None, user.language_code)
    if context.actor is not None or _is_binding_attempt(update):
        return
    if update.callback_query is not None:
        await buttons.refuse(update, context, "bind.unbound_button")
    elif update.effective_message is not None:
        await update.effective_message.reply_text(
            context.text("bind.prompt"), reply_markup=contact_keyboard(context)
        )
    raise ApplicationHandlerStop


def build_handlers() -> list[TypeHandler[Update, BotContext, None]]:
    return [TypeHandler(Update, guard)]
