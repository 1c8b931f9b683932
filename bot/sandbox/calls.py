"""One Bot API call: decoding its parameters as Telegram does, its error answer, and its record."""

from __future__ import annotations

import json
import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.limits import Faults, Limits, RateLimiter, Stats
from bot.sandbox.markup import BadRequest
from bot.sandbox.state import Chat, SandboxState

# Form fields whose values arrive JSON-encoded (PTB encodes every non-string value this way).
JSON_KEYS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "scope",
        "commands",
        "allowed_updates",
        "link_preview_options",
        "reply_parameters",
        "menu_button",
        "media",
    }
)
INT_KEYS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "cache_time",
        "user_id",
        "reply_to_message_id",
        "max_connections",
        "message_thread_id",
    }
)
BOOL_KEYS = frozenset(
    {
        "show_alert",
        "disable_notification",
        "drop_pending_updates",
        "protect_content",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "has_spoiler",
        "disable_content_type_detection",
        "show_caption_above_media",
    }
)


@dataclass
class Upload:
    """A file sent in a multipart request."""

    filename: str
    body: bytes
    content_type: str

    def __repr__(self) -> str:
        return f"Upload({self.filename!r}, {len(self.body)} bytes)"


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            out["parameters"] = self.parameters
        return out


def bad(message: str) -> ApiError:
    return ApiError(400, f"Bad Request: {message}")


def _coerce(key: str, value: Any) -> Any:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return value
    if key in JSON_KEYS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    if key in INT_KEYS:
        try:
            return int(value)
        except ValueError:
            return value
    if key in BOOL_KEYS:
        return value.strip().lower() in ("true", "1")
    if key in ("latitude", "longitude"):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def decode(raw: dict[str, Any]) -> dict[str, Any]:
    return {key: _coerce(key, value) for key, value in raw.items()}


def printable(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters fit for JSON: uploads become their name and size."""
    return {
        k: {"upload": v.filename, "size": len(v.body)} if isinstance(v, Upload) else v
        for k, v in params.items()
    }


@dataclass
class RecordedRequest:
    method: str
    params: dict[str, Any]
    status: int = 0
    at: float = field(default_factory=time.monotonic)
    duration: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "params": printable(self.params),
            "status": self.status,
            "at": self.at,
            "duration": self.duration,
        }


@dataclass
class Call:
    """A call in progress; `closed` turns true when the client hangs up (ends long polls early)."""

    method: str
    params: dict[str, Any]
    closed: bool = False
    wait_key: Hashable = field(default_factory=object)  # what a waiting call is woken by

    def get(self, key: str, default: Any = None) -> Any:
        value = self.params.get(key)
        return default if value is None else value

    def integer(self, key: str, default: int | None = None, missing: str | None = None) -> int | None:
        value = self.params.get(key)
        if value is None or value == "":
            if missing:
                raise bad(missing)
            return default
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise bad(f'field "{key}" must be of type Integer')
        try:
            if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
                return int(float(value))
            return int(value)
        except ValueError as exc:
            raise bad(f'field "{key}" must be of type Integer') from exc

    def string(self, key: str) -> str | None:
        value = self.params.get(key)
        if value is None:
            return None
        return (
            value
            if isinstance(value, str)
            else json.dumps(value)
            if isinstance(value, dict | list)
            else str(value)
        )

    def flag(self, key: str) -> bool:
        value = self.params.get(key)
        return value is True or (isinstance(value, str) and value.lower() == "true")

    def json(self, key: str) -> Any:
        value = self.params.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("{", "["):
            try:
                return json.loads(value)
            except ValueError as exc:
                raise bad(f"can't parse {key} JSON object") from exc
        return value


@dataclass
class Runtime:
    """What the Bot API methods run against; the server owns it and may swap `limits`/`faults`."""

    state: SandboxState
    limits: Limits
    faults: Faults
    stats: Stats = field(default_factory=Stats)
    limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.limits)

    def chat(self, call: Call, key: str = "chat_id") -> Chat:
        value = call.params.get(key)
        if value is None or value == "":
            raise bad("chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            uid = next((u.id for u in self.state.users.values() if u.username == value[1:]), None)
            if uid is None:
                raise bad("chat not found")
            return self.state.chats[uid]
        try:
            chat_id = int(value)
        except (TypeError, ValueError) as exc:
            raise bad("chat not found") from exc
        chat = self.state.chats.get(chat_id)
        if chat is None:
            raise bad("chat not found")
        return chat


def translate(exc: BadRequest) -> ApiError:
    return bad(str(exc))
