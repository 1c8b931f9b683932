"""The Telegram channel: `safety.delivery.Channel` over PTB's `Bot`, and the one send budget of the bot
account shared by the Application's direct replies (through `BudgetLimiter`) and the outbox dispatcher.

The dispatcher's requests use a connection pool of their own, so a fan-out never takes the connections the
Application needs to answer people; both take every counted call from the same `SendBudget`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import Bot, InputFile, Message
from telegram.constants import MessageLimit
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter
from telegram.request import HTTPXRequest

from handlers.render import markup_of, message_text
from jobs.send_budget import SendBudget
from safety.delivery import RateLimited, Recipient, Rejected, Sent, Transient, Unreachable
from safety.views import Attachment, View, render

logger = logging.getLogger(__name__)
NAME = "telegram"
NOT_MODIFIED = "message is not modified"
# Bot API methods that put a message into a chat or change one: they count against Telegram's limits.
COUNTED = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendLocation",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "editMessageMedia",
    }
)


def _chat(chat_id: str) -> int | str:
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramChannel:
    """Sends and edits views; buttons carry callback data signed for the recipient (groups: person 0)."""

    name = NAME
    can_edit = True

    def __init__(
        self,
        bot: Bot,
        secret: bytes,
        on_sent: Callable[[str, int], None] | None = None,
        data_dir: Path = Path("data"),
    ) -> None:
        self.bot = bot
        self.secret = secret
        self.on_sent = on_sent  # (private chat, person): who will press this message's buttons
        self.data_dir = data_dir  # attachments' paths are relative to it

    @classmethod
    def create(
        cls,
        *,
        token: str,
        base_url: str,
        secret: bytes,
        connections: int = 10,
        read_timeout: float = 10.0,
        on_sent: Callable[[str, int], None] | None = None,
        data_dir: Path = Path("data"),
    ) -> TelegramChannel:
        """A channel with its own Bot and connection pool (`base_url` without the token, e.g. …/bot)."""
        request = HTTPXRequest(
            connection_pool_size=connections,
            read_timeout=read_timeout,
            write_timeout=read_timeout,
            connect_timeout=5.0,
            pool_timeout=read_timeout,
        )
        return cls(Bot(token=token, base_url=base_url, request=request), secret, on_sent, data_dir)

    async def start(self) -> None:
        await self.bot.initialize()

    async def stop(self) -> None:
        await self.bot.shutdown()

    def _rendered(self, recipient: Recipient, view: View) -> tuple[str, Any]:
        rendered = render(view, recipient.language)
        return message_text(rendered), markup_of(
            rendered, secret=self.secret, person_id=recipient.person_id or 0
        )

    async def send(self, recipient: Recipient, view: View) -> Sent:
        """The text with its buttons; a view with files: the first file carries the text as its caption
        (one call) when the text fits a caption, else the text goes first; further files follow."""
        text, markup = self._rendered(recipient, view)
        chat = _chat(recipient.chat_id)
        try:
            files = list(view.files)
            if files and len(text) <= MessageLimit.CAPTION_LENGTH:
                sent = await self._send_file(chat, files.pop(0), caption=text, markup=markup)
            else:
                sent = await self.bot.send_message(chat_id=chat, text=text, reply_markup=markup)
            for attachment in files:
                await self._send_file(chat, attachment)
        except TelegramError as exc:
            raise _translate(exc) from exc
        if self.on_sent is not None and recipient.person_id is not None and not recipient.is_group:
            self.on_sent(recipient.chat_id, recipient.person_id)  # a private chat's id is its user's id
        return Sent(chat_id=str(sent.chat_id), message_id=sent.message_id)

    async def _send_file(
        self, chat: int | str, attachment: Attachment, *, caption: str | None = None, markup: Any = None
    ) -> Message:
        """By the chat's file id when there is one; a file id Telegram will not take for this kind (an
        image that came as a document, sent as a photo) falls back to uploading the kept copy."""
        send = self.bot.send_photo if attachment.kind == "photo" else self.bot.send_document
        if attachment.file_id:
            try:
                return await send(chat, attachment.file_id, caption=caption, reply_markup=markup)
            except BadRequest:
                if not attachment.path:
                    raise
        path = self.data_dir / (attachment.path or "")
        content = InputFile(path.read_bytes(), filename=attachment.name or path.name)
        return await send(chat, content, caption=caption, reply_markup=markup)

    async def edit(self, recipient: Recipient, message_id: int, view: View) -> None:
        text, markup = self._rendered(recipient, view)
        chat = _chat(recipient.chat_id)
        try:
            if view.files:  # the message is a file with the text as its caption
                await self.bot.edit_message_caption(
                    chat_id=chat, message_id=message_id, caption=text, reply_markup=markup
                )
                return
            await self.bot.edit_message_text(
                chat_id=chat, message_id=message_id, text=text, reply_markup=markup
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


class BudgetLimiter(BaseRateLimiter[int]):
    """PTB's rate limiter for the Application's own calls (answers to people): each counted call takes a
    reply token from the account's send budget, ahead of any bulk send; a 429 pauses the whole budget and
    the call is tried again after it (`max_retries` times)."""

    def __init__(self, budget: SendBudget, max_retries: int = 2) -> None:
        self.budget = budget
        self.max_retries = max_retries

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat = data.get("chat_id")
        counted = endpoint in COUNTED and chat is not None
        for attempt in range(self.max_retries + 1):
            if counted:
                await self.budget.reply(str(chat), is_group=str(chat).startswith("-"))
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self.budget.pause(_seconds(exc.retry_after))
                if attempt == self.max_retries:
                    raise
                logger.warning("answer rate limited: every send waits %.1f s", _seconds(exc.retry_after))
                if not counted:
                    await asyncio.sleep(_seconds(exc.retry_after))
        raise AssertionError("unreachable")
