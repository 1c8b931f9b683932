"""The Telegram channel: `safety.delivery.Channel` over PTB's `Bot`, with its own HTTP connection pool.

The dispatcher paces itself, so no AIORateLimiter sits in this path, and its requests use a pool of their
own: a fan-out never takes the connections the Application needs to answer people.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application
from telegram.request import HTTPXRequest

from jobs.dispatcher import DispatchConfig, Dispatcher
from safety import callbacks
from safety.delivery import OutMessage, RateLimited, Recipient, Rejected, Sent, Transient, Unreachable

logger = logging.getLogger(__name__)
NAME = "telegram"
NOT_MODIFIED = "message is not modified"
DISPATCHER_KEY = "dispatcher"
CONFIG_KEY = "dispatch_config"


def _chat(chat_id: str) -> int | str:
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramChannel:
    """Sends and edits messages; buttons carry callback data signed for the recipient (groups: person 0)."""

    name = NAME

    def __init__(self, bot: Bot, secret: bytes) -> None:
        self.bot = bot
        self.secret = secret

    @classmethod
    def create(
        cls,
        *,
        token: str,
        base_url: str,
        secret: bytes,
        connections: int = 10,
        read_timeout: float = 10.0,
    ) -> TelegramChannel:
        """A channel with its own Bot and connection pool (`base_url` without the token, e.g. …/bot)."""
        request = HTTPXRequest(
            connection_pool_size=connections,
            read_timeout=read_timeout,
            write_timeout=read_timeout,
            connect_timeout=5.0,
            pool_timeout=read_timeout,
        )
        return cls(Bot(token=token, base_url=base_url, request=request), secret)

    async def start(self) -> None:
        await self.bot.initialize()

    async def stop(self) -> None:
        await self.bot.shutdown()

    def _markup(self, recipient: Recipient, message: OutMessage) -> InlineKeyboardMarkup | None:
        if not message.buttons:
            return None
        person = recipient.person_id or 0
        rows = [
            [
                InlineKeyboardButton(
                    b.label,
                    callback_data=callbacks.encode(self.secret, person_id=person, action=b.action, arg=b.arg),
                )
                for b in row
            ]
            for row in message.buttons
        ]
        return InlineKeyboardMarkup(rows)

    async def send(self, recipient: Recipient, message: OutMessage) -> Sent:
        try:
            sent = await self.bot.send_message(
                chat_id=_chat(recipient.chat_id),
                text=message.text,
                reply_markup=self._markup(recipient, message),
            )
        except TelegramError as exc:
            raise _translate(exc) from exc
        return Sent(chat_id=str(sent.chat_id), message_id=sent.message_id)

    async def edit(self, recipient: Recipient, message_id: int, message: OutMessage) -> None:
        try:
            await self.bot.edit_message_text(
                chat_id=_chat(recipient.chat_id),
                message_id=message_id,
                text=message.text,
                reply_markup=self._markup(recipient, message),
            )
        except BadRequest as exc:
            if NOT_MODIFIED in exc.message.lower():
                return  # the message already shows this: done
            raise _translate(exc) from exc
        except TelegramError as exc:
            raise _translate(exc) from exc


def _translate(exc: TelegramError) -> Exception:
    """PTB's errors as the channel-neutral ones the dispatcher understands."""
    if isinstance(exc, RetryAfter):
        return RateLimited(retry_after=_seconds(exc.retry_after))
    if isinstance(exc, Forbidden):
        return Unreachable(exc.message)
    if isinstance(exc, BadRequest | ChatMigrated):
        return Rejected(exc.message)
    if isinstance(exc, NetworkError):  # TimedOut, 5xx, connection errors
        return Transient(reason=f"{type(exc).__name__}: {exc.message}")
    return Transient(reason=f"{type(exc).__name__}: {exc.message}")


# -- with the Application ----------------------------------------------------------------------------------


async def start_dispatcher(app: Application[Any, Any, Any, Any, Any, Any]) -> Dispatcher:
    """Build the dispatcher's channel (its own Bot and pool, same token and Bot API) and start both.

    Reads `app.bot_data["services"]` (database, secret, clock, language) and the DispatchConfig that
    build_application put in `app.bot_data["dispatch_config"]`; the dispatcher lands in
    `app.bot_data["dispatcher"]` (its `wake()` makes it look for new rows at once)."""
    services = app.bot_data["services"]
    config: DispatchConfig = app.bot_data.get(CONFIG_KEY) or DispatchConfig()
    if config.default_language != services.default_language:
        config = dataclasses.replace(config, default_language=services.default_language)
    token = app.bot.token
    channel = TelegramChannel.create(
        token=token,
        base_url=app.bot.base_url.removesuffix(token),
        secret=services.callback_secret,
        connections=config.concurrency + 2,
    )
    await channel.start()
    dispatcher = Dispatcher(services.database, channel, config, clock=services.clock)
    await dispatcher.start()
    app.bot_data[DISPATCHER_KEY] = dispatcher
    return dispatcher


async def stop_dispatcher(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Stop the dispatcher (draining in-flight sends) and close its connection pool."""
    dispatcher = app.bot_data.pop(DISPATCHER_KEY, None)
    if dispatcher is None:
        return
    try:
        await dispatcher.stop()
    finally:
        channel = dispatcher.channel
        if isinstance(channel, TelegramChannel):
            await channel.stop()
