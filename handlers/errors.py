"""The error handler: an update that failed on a transient database error is processed again (a few
times, with backoff); anything else is logged with context and the person is told instead of silence."""

from __future__ import annotations

import asyncio
import logging
import random

from telegram import Update
from telegram.error import TelegramError

from handlers.context import BotContext

logger = logging.getLogger(__name__)
RETRIES = 3
BACKOFF = 0.05  # seconds, doubled per try, with jitter
_tries: dict[int, int] = {}  # id of an Update being retried -> retries so far


async def on_error(update: object, context: BotContext) -> None:
    if isinstance(update, Update) and context.runtime.retryable(context.error):
        key = id(update)  # the same object comes back here while it is processed again
        tries = _tries.get(key, 0)
        if tries < RETRIES:
            _tries[key] = tries + 1
            logger.warning("update %s failed (%s); processing it again", update.update_id, context.error)
            try:
                await asyncio.sleep(BACKOFF * 2**tries * random.uniform(0.5, 1.5))
                await context.application.process_update(update)  # the person's turn is still held
            finally:
                if not tries:  # the first retry's frame outlives the later ones: it cleans up
                    _tries.pop(key, None)
            return
    logger.error("update failed: %r", context.error, exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(context.text("access.error"), show_alert=True)
        elif (
            update.effective_message is not None
            and update.effective_chat is not None
            and update.effective_chat.type == "private"
        ):
            await update.effective_message.reply_text(context.text("access.error"))
    except TelegramError as exc:
        logger.warning("could not report the error to the user: %s", exc)
