"""What the fake message/send accepts: the message types, their size limits and the template card's rules.

Plain functions over the JSON bodies (no HTTP): `check_message` raises ApiError with WeCom's errcode for a
body WeCom would refuse, and returns the payload as the member's phone shows it (text past 2,048 bytes is
cut like WeCom cuts it, marked `truncated`). `plain_text` is the text a test or the page reads.
"""

from __future__ import annotations

import re
from typing import Any

TEXT_BYTES = 2048  # text and markdown content; WeCom cuts longer text
TEXTCARD_TITLE_BYTES = 128
TEXTCARD_DESCRIPTION_BYTES = 512
URL_BYTES = 2048
MAX_BUTTONS = 6  # template_card button_interaction
TASK_ID_BYTES = 128
BUTTON_KEY_BYTES = 1024
_TASK_ID = re.compile(r"^[0-9A-Za-z_\-@]+$")
CARD_TYPES = frozenset({"text_notice", "news_notice", "button_interaction", "vote_interaction"})
MEDIA_TYPES = ("image", "voice", "video", "file")


class ApiError(Exception):
    """A WeCom error answer: HTTP 200 with {"errcode": …, "errmsg": …}."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


def _utf8(value: str) -> int:
    return len(value.encode("utf-8"))


def _cut(value: str, limit: int) -> tuple[str, bool]:
    raw = value.encode("utf-8")
    if len(raw) <= limit:
        return value, False
    return raw[:limit].decode("utf-8", "ignore"), True


def _object(body: dict[str, Any], key: str) -> dict[str, Any]:
    found = body.get(key)
    if not isinstance(found, dict):
        raise ApiError(40058, f"invalid parameter: {key} must be an object")
    return found


def _string(part: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    found = part.get(key)
    if found is None and not required:
        return ""
    if not isinstance(found, str) or (required and not found.strip()):
        raise ApiError(40058 if found is not None else 41033, f"missing or invalid {where}.{key}")
    return found


def check_message(body: dict[str, Any]) -> dict[str, Any]:
    """The payload under body[msgtype] as delivered, or ApiError (40008 unknown type, 40058 bad field …)."""
    msgtype = body.get("msgtype")
    if msgtype == "text" or msgtype == "markdown":
        part = _object(body, msgtype)
        content = _string(part, "content", msgtype)
        cut, truncated = _cut(content, TEXT_BYTES)
        return {"content": cut, "truncated": truncated}
    if msgtype == "textcard":
        part = _object(body, "textcard")
        title = _string(part, "title", "textcard")
        description = _string(part, "description", "textcard")
        url = _string(part, "url", "textcard")
        if _utf8(title) > TEXTCARD_TITLE_BYTES or _utf8(description) > TEXTCARD_DESCRIPTION_BYTES:
            raise ApiError(45002, "content size out of limit: textcard title ≤ 128, description ≤ 512 bytes")
        if _utf8(url) > URL_BYTES:
            raise ApiError(40058, "invalid parameter: textcard.url longer than 2048 bytes")
        return dict(part)
    if msgtype in MEDIA_TYPES:
        part = _object(body, str(msgtype))
        _string(part, "media_id", str(msgtype))
        return dict(part)
    if msgtype == "template_card":
        card = _object(body, "template_card")
        check_card(card)
        return dict(card)
    raise ApiError(40008, f"invalid message type: {msgtype!r}")


def check_card(card: dict[str, Any], *, task_required: bool = True) -> None:
    """A template card's rules: a known card_type; button_interaction has a task_id of [0-9A-Za-z_-@]{1,128}
    and 1-6 buttons with text and a key ≤ 1,024 bytes; a main title or a sub title."""
    card_type = card.get("card_type")
    if card_type not in CARD_TYPES:
        raise ApiError(40058, f"invalid parameter: card_type {card_type!r}")
    title = card.get("main_title") or {}
    if not isinstance(title, dict) or not (title.get("title") or card.get("sub_title_text")):
        raise ApiError(40058, "invalid parameter: main_title.title or sub_title_text is required")
    task_id = card.get("task_id")
    needs_task = task_id is not None or (card_type == "button_interaction" and task_required)
    if needs_task and not _good_task_id(task_id):
        raise ApiError(40058, "invalid parameter: task_id must be 1-128 of 0-9 A-Z a-z _ - @")
    if card_type != "button_interaction":
        return
    buttons = card.get("button_list")
    if not isinstance(buttons, list) or not buttons:
        raise ApiError(40058, "invalid parameter: button_list is required for button_interaction")
    if len(buttons) > MAX_BUTTONS:
        raise ApiError(40058, f"invalid parameter: button_list has {len(buttons)} buttons, at most 6")
    keys = set()
    for button in buttons:
        if not isinstance(button, dict) or not str(button.get("text") or "").strip():
            raise ApiError(40058, "invalid parameter: every button needs a text")
        key = button.get("key")
        if not isinstance(key, str) or not key or _utf8(key) > BUTTON_KEY_BYTES:
            raise ApiError(40058, "invalid parameter: button key must be 1-1024 bytes")
        if key in keys:
            raise ApiError(40058, f"invalid parameter: duplicate button key {key!r}")
        keys.add(key)


def _good_task_id(task_id: object) -> bool:
    return isinstance(task_id, str) and bool(_TASK_ID.match(task_id)) and _utf8(task_id) <= TASK_ID_BYTES


def card_buttons(card: dict[str, Any]) -> list[tuple[str, str]]:
    """(text, key) of a button card's buttons, in order."""
    return [(str(b["text"]), str(b["key"])) for b in card.get("button_list") or [] if isinstance(b, dict)]


def plain_text(msgtype: str, payload: dict[str, Any]) -> str:
    """What a member reads, as one string: content, or a card's title, description and fields."""
    if msgtype in ("text", "markdown"):
        return str(payload.get("content", ""))
    if msgtype == "textcard":
        return "\n".join(str(payload.get(k, "")) for k in ("title", "description") if payload.get(k))
    if msgtype == "template_card":
        lines: list[str] = []
        title = payload.get("main_title") or {}
        lines += [str(title[k]) for k in ("title", "desc") if title.get(k)]
        quote = payload.get("quote_area") or {}
        lines += [str(quote[k]) for k in ("title", "quote_text") if quote.get(k)]
        if payload.get("sub_title_text"):
            lines.append(str(payload["sub_title_text"]))
        for item in payload.get("horizontal_content_list") or []:
            if isinstance(item, dict):
                lines.append(f"{item.get('keyname', '')}: {item.get('value', '')}".strip(": "))
        return "\n".join(lines)
    return f"[{msgtype}] {payload.get('media_id', '')}"
