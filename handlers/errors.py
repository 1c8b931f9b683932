"""The error handler: an update that failed on a transient database error is processed again (a few
times, with backoff); anything else is logged with context and the person is told instead of silence."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import OrderedDict

from telegram import Update
from telegram.error import TelegramError

from handlers.context import BotContext
from storage.db import is_transient

logger = logging.getLogger(__name__)
RETRIES = 3
BACKOFF = 0.05  # seconds, doubled per try, with jitter
_tries: OrderedDict[int, int] = OrderedDict()  # update id -> retries so far (the latest few hundred)


async def on_error(update: object, context: BotContext) -> None:
    if isinstance(update, Update) and is_transient(context.error):
        tries = _tries.get(update.update_id, 0)
        if tries < RETRIES:
            _tries[update.update_id] = tries + 1
            while len(_tries) > 512:
                _tries.popitem(last=False)
            logger.warning("update %s failed (%s); processing it again", update.update_id, context.error)
            await asyncio.sleep(BACKOFF * 2**tries * random.uniform(0.5, 1.5))
            await context.application.process_update(update)  # the person's turn is still held
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
