"""The Channel protocol a transport (Telegram, WeCom, the tests' in-memory channel) implements.

The domain writes views (safety.views) into the outbox; the dispatcher of each channel hands them to its
`Channel`, which renders them in the recipient's language and in its own kind of message. Buttons carry an
action and an argument; the channel turns them into its own callback data (signed for the recipient).
Transport failures come back as the exceptions below, so the dispatcher never sees a transport's types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from safety.views import View


@dataclass(frozen=True)
class Recipient:
    """Where a message goes: a person's own chat (signed buttons for them) or a group chat."""

    chat_id: str
    person_id: int | None = None
    is_group: bool = False
    language: str = "zh-CN"


@dataclass(frozen=True)
class Sent:
    chat_id: str
    message_id: int


class DeliveryError(Exception):
    """Base of the failures a channel reports."""


@dataclass
class RateLimited(DeliveryError):
    """The channel asked us to wait: pause every send for `retry_after` seconds."""

    retry_after: float = 1.0


class Unreachable(DeliveryError):
    """The recipient blocked the bot or the account is gone (Telegram 403): do not retry."""


class Rejected(DeliveryError):
    """The channel refused this message as malformed (Telegram 400): record it, do not retry."""


@dataclass
class Transient(DeliveryError):
    """A server error, a timeout or a network failure: retry later with backoff."""

    reason: str = field(default="")


class Channel(Protocol):
    """A transport. `can_edit`: whether a sent message can be changed in place (a digest is then edited as
    people catch up); a channel that cannot gets the newest version as a new message instead."""

    name: str
    can_edit: bool

    async def send(self, recipient: Recipient, view: View) -> Sent: ...

    async def edit(self, recipient: Recipient, message_id: int, view: View) -> None: ...
