"""The sandbox's records: people, chats, messages, callback queries, the webhook; and the notifier."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")
TYPING_SECONDS = 5.0


UPDATES = "updates"  # wake-up key: the bot's update queue or webhook changed
EVENTS = "events"  # wake-up key: anything happened in any chat (the global event log grew)


def chat_key(chat_id: int) -> tuple[str, int]:
    return ("chat", chat_id)


def callback_key(query_id: str) -> tuple[str, str]:
    return ("callback", query_id)


class Notifier:
    """Wakes the waiters of one key (a chat, the update queue, a callback query...) on each change of it;
    waiters re-check their own condition. Keys keep hundreds of long polls from all waking on every change."""

    def __init__(self) -> None:
        self._events: dict[Hashable, asyncio.Event] = {}

    def notify(self, key: Hashable) -> None:
        event = self._events.pop(key, None)
        if event is not None:
            event.set()

    def notify_all(self) -> None:
        events, self._events = self._events, {}
        for event in events.values():
            event.set()

    async def wait_until(self, key: Hashable, check: Callable[[], T | None], timeout: float) -> T | None:  # noqa: ASYNC109
        """The first truthy `check()`, re-checked after every change of `key`, or None after `timeout` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, timeout)
        while True:
            event = self._events.get(key) or self._events.setdefault(key, asyncio.Event())
            result = check()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await event.wait()


@dataclass
class SandboxUser:
    id: int
    first_name: str
    last_name: str | None = None
    phone: str | None = None
    label: str | None = None
    language_code: str | None = "zh-hans"
    username: str | None = None

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out

    def info(self) -> dict[str, Any]:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return {**self.to_api(), "phone": self.phone, "label": self.label or name}


@dataclass
class Chat:
    id: int
    type: str  # "private" or "group"
    title: str | None = None
    member_ids: list[int] = field(default_factory=list)
    reply_keyboard: dict[str, Any] | None = None
    action: str | None = None
    action_until: float = 0.0
    next_message_id: int = 1

    def typing_ttl(self) -> float:
        return max(0.0, self.action_until - time.monotonic()) if self.action else 0.0


@dataclass
class StoredMessage:
    message_id: int
    chat_id: int
    sender_id: int
    from_bot: bool
    date: int
    content: dict[str, Any]  # text/entities, caption/caption_entities, photo, document, contact, location
    reply_markup: dict[str, Any] | None = None
    edit_date: int | None = None
    deleted: bool = False
    rev: int = 0


@dataclass
class CallbackQuery:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answer: dict[str, Any] | None = None


@dataclass
class Webhook:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
