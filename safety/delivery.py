"""Channel-neutral outbound messages and the Channel protocol a transport (Telegram, WeCom) implements.

The domain writes `OutMessage`s into the outbox; the dispatcher hands them to a `Channel`. Buttons carry an
action and an argument; the channel turns them into its own callback data (signed for the recipient).
Transport failures come back as the exceptions below, so the dispatcher never sees a transport's types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Button:
    label: str
    action: str
    arg: str = ""


@dataclass(frozen=True)
class OutMessage:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()

    def to_payload(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "buttons": [
                [{"label": b.label, "action": b.action, "arg": b.arg} for b in row] for row in self.buttons
            ],
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> OutMessage:
        rows = tuple(
            tuple(Button(b["label"], b["action"], b.get("arg", "")) for b in row)
            for row in payload.get("buttons", [])
        )
        return cls(text=str(payload["text"]), buttons=rows)


@dataclass(frozen=True)
class Recipient:
    """Where a message goes: a person's own chat (signed buttons for them) or a group chat."""

    chat_id: str
    person_id: int | None = None
    is_group: bool = False


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
    name: str

    async def send(self, recipient: Recipient, message: OutMessage) -> Sent: ...

    async def edit(self, recipient: Recipient, message_id: int, message: OutMessage) -> None: ...
