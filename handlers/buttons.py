"""One CallbackQueryHandler: verify the signed data for the presser, then route by action."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler

from handlers.context import BotContext
from safety import callbacks

logger = logging.getLogger(__name__)

ButtonCallback = Callable[[Update, BotContext, str], Awaitable[None]]


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
            await query.answer(context.text("access.button_invalid"), show_alert=True)
            return
        await target(update, context, decoded.arg)

    return CallbackQueryHandler(route)
