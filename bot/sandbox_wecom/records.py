"""What the WeCom sandbox keeps: members and what they received or said, API calls, response codes, media,
and the per-member limits (plain data; state.py holds the rules)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.sandbox_wecom.messages import card_buttons, plain_text


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Limits:
    """WeCom's limits to one member per app; excess is answered errcode 0 and silently dropped."""

    per_minute: int = 30
    per_hour: int = 1000
    enabled: bool = True


@dataclass
class Call:
    """One API call as the sandbox saw it (tests count gettoken calls, look for faults answered)."""

    path: str
    body: Any
    errcode: int
    at: datetime


@dataclass
class Delivered:
    """A message on a member's phone; a template card is changed in place by update_template_card."""

    msgid: str
    userid: str
    msgtype: str
    payload: dict[str, Any]
    at: datetime
    task_id: str | None = None
    replaced: str | None = None  # update_template_card's button.replace_name: the card is answered
    updates: int = 0
    seq: int = 0  # order on the member's phone, among what they said too

    def view(self) -> dict[str, Any]:
        buttons = [] if self.replaced is not None else card_buttons(self.payload)
        return {
            "msgid": self.msgid,
            "msgtype": self.msgtype,
            self.msgtype: self.payload,
            "content": plain_text(self.msgtype, self.payload),
            "buttons": buttons,
            "task_id": self.task_id,
            "replaced": self.replaced,
            "updates": self.updates,
            "time": int(self.at.timestamp()),
            "seq": self.seq,
            "from": "bot",
        }


@dataclass
class ResponseCode:
    userid: str
    task_id: str
    issued: datetime
    used: bool = False


@dataclass
class Media:
    kind: str
    filename: str
    data: bytes
    content_type: str
    created: datetime


@dataclass
class Member:
    userid: str
    name: str = ""
    label: str = ""
    inbox: list[Delivered] = field(default_factory=list)
    said: list[dict[str, Any]] = field(default_factory=list)  # what the member posted (for the page)
    lost: list[Delivered] = field(default_factory=list)  # dropped by the per-member limit (for the page)
    sent_times: deque[float] = field(default_factory=deque)  # delivered in the last hour
