"""The morning's bare PTB echo bot, in its own process, against its own sandbox.

    python -m benchmarks._morning_echo BASE TOKEN FIRST COUNT

First, unmeasured: one message with a 「✅ 全部正常」 inline button to each private chat FIRST..FIRST+COUNT-1,
paced at PRESEND_RATE (under the overall 30/s; one message per chat), so that every member has a button to
press in this sandbox too. Then it polls like our bot (same timeout, same number of updates handled at once,
same answer pool) and answers each press as a bare bot does: `answerCallbackQuery`, then one `sendMessage`
「✅ 已确认（echo）」. No database, no rate limiter. Prints `echo ready` once polling; stops at a line `stop`
(or end of input) on stdin.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import RetryAfter
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from benchmarks._morning_bot import ECHO_CONCURRENT_UPDATES, ECHO_CONNECTIONS, POLL_TIMEOUT

ECHO_REPLY = "✅ 已确认（echo）"
BUTTON = "✅ 全部正常"
CHECKLIST = "早上好！今天的安全检查（echo）：请确认一切正常。"
PRESEND_RATE = 20.0  # messages a second while the buttons are handed out (not measured)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    await query.answer()
    await context.bot.send_message(update.effective_chat.id, ECHO_REPLY)


async def hand_out_buttons(app: Application[Any, Any, Any, Any, Any, Any], first: int, count: int) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(BUTTON, callback_data="ci:ok")]])

    async def one(chat_id: int) -> None:
        for _ in range(5):
            try:
                await app.bot.send_message(chat_id, CHECKLIST, reply_markup=markup)
                return
            except RetryAfter as exc:
                wait = exc.retry_after
                await asyncio.sleep((wait.total_seconds() if isinstance(wait, timedelta) else wait) + 0.1)
        raise RuntimeError(f"could not hand a button to chat {chat_id}")

    started = time.monotonic()
    tasks = []
    for index in range(count):
        delay = started + index / PRESEND_RATE - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(first + index)))
    await asyncio.gather(*tasks)


async def run(base: str, token: str, first: int, count: int) -> None:
    app = (
        Application.builder()
        .token(token)
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .concurrent_updates(ECHO_CONCURRENT_UPDATES)
        .connection_pool_size(ECHO_CONNECTIONS)
        .pool_timeout(10)
        .build()
    )
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await hand_out_buttons(app, first, count)
        assert app.updater is not None
        await app.updater.start_polling(
            timeout=POLL_TIMEOUT, poll_interval=0.0, allowed_updates=Update.ALL_TYPES
        )
        await app.start()
        print("echo ready", flush=True)
        try:
            loop = asyncio.get_running_loop()
            reader = asyncio.StreamReader()
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
            while (line := await reader.readline()) and line.strip() != b"stop":
                pass
        finally:
            await app.updater.stop()
            await app.stop()


def main(argv: list[str]) -> None:
    base, token, first, count = argv[0], argv[1], int(argv[2]), int(argv[3])
    asyncio.run(run(base, token, first, count))


if __name__ == "__main__":
    main(sys.argv[1:])
