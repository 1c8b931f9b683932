"""One CallbackQueryHandler: verify the signed data for the presser, then route by action."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler

from handlers.context import BotContext
from safety import callbacks

logger = logging.getLogger(__name__)

ButtonCallback = Callable[[Update, BotContext, str], Awaitable[None]]
# Presses answered with a plain acknowledgement whatever happens next (the outcome comes as a message or an
# edit): they may be answered before the actor is read, when the press verifies for the person the account
# was last seen as. 全部正常 is the morning rush's press.
QUICK_ACKS: dict[str, Callable[[str], bool]] = {"ci": lambda arg: arg.endswith(".ok")}


def early_ack(update: Update, context: BotContext) -> None:
    """Answer a quick-ack press at once, before the database: only a signature check for the person this
    account was last seen as (a hint); the press is authorised as usual afterwards."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None or update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    person = context.runtime.person_hint(str(user.id))
    decoded = (
        callbacks.decode(context.runtime.callback_secret, person_id=person, data=query.data)
        if person
        else None
    )
    if decoded is not None and (quick := QUICK_ACKS.get(decoded.action)) is not None and quick(decoded.arg):
        context.early_ack = asyncio.create_task(query.answer())
        context.early_ack.add_done_callback(_log_failure)


def _log_failure(task: asyncio.Task[bool]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.info("early answer to a press failed: %s", task.exception())


async def refuse(update: Update, context: BotContext, key: str) -> None:
    """Refuse a press with an alert, or, when it was answered already, with a message."""
    query = update.callback_query
    assert query is not None
    if context.early_ack is None:
        await query.answer(context.text(key), show_alert=True)
    elif update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, context.text(key))


def build_handler(routes: dict[str, ButtonCallback]) -> CallbackQueryHandler[BotContext, None]:
    """Forged, stale, other-version or someone else's buttons are refused and change nothing."""

    async def route(update: Update, context: BotContext) -> None:
        query = update.callback_query
        assert query is not None
        if context.actor is None:
            return
        secret = context.runtime.callback_secret
        decoded = callbacks.decode(secret, person_id=context.actor.person_id, data=query.data)
        chat = update.effective_chat
        if decoded is None and chat is not None and chat.type != ChatType.PRIVATE:
            decoded = callbacks.decode(secret, person_id=0, data=query.data)  # a group chat's buttons
            context.via_group = decoded is not None
        target = routes.get(decoded.action) if decoded else None
        if decoded is None or target is None:
            logger.info("refused button from person %s", context.actor.person_id)
            await refuse(update, context, "access.button_invalid")
            return
        await target(update, context, decoded.arg)

    return CallbackQueryHandler(route)
