"""Rendering for WeCom (企业微信): message/send bodies from text and signed buttons, within WeCom's limits.

Shared by the outbox channel (channel.py, which renders a `View` in the recipient's language first) and the
bridge's Bot API translator (botapi.py, which has the text and callback data PTB built). A message without
buttons is text (2,048 bytes a message: longer text becomes several). Buttons become template cards of type
`button_interaction`: at most 6 buttons a card (more: several cards), each button's `key` the signed
callback data a press brings back as `EventKey`, each card with a `task_id` unique in the app.

A card shows the text's first line as its title (≤ 36 characters) and the rest as `sub_title_text`
(≤ 160 characters). Text that does not fit goes first as text message(s), and the card(s) follow with the
first line as title (cut if need be): nothing the text says is lost.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

Buttons = Sequence[Sequence[tuple[str, str]]]  # rows of (label, signed callback data)

ELLIPSIS = "…"
TEXT_BYTES = 2048  # message/send text.content
TITLE_CHARS = 36  # template_card main_title.title
SUB_TITLE_CHARS = 160  # template_card sub_title_text
BUTTON_CHARS = 10  # button_list[].text
BUTTONS_PER_CARD = 6  # button_list length
KEY_BYTES = 1024  # button_list[].key
TASK_ID_BYTES = 128
TASK_ID = re.compile(r"^[A-Za-z0-9_\-@]{1,128}$")
CARD_TYPE = "button_interaction"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


def _cut_bytes(text: str, limit: int) -> str:
    """`text` in at most `limit` UTF-8 bytes, never splitting a character."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[:limit].decode(errors="ignore")


def text_chunks(text: str, limit: int = TEXT_BYTES) -> list[str]:
    """The text in pieces of at most `limit` bytes, split at line ends where possible."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = line if not current else f"{current}\n{line}"
        if len(candidate.encode()) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        while len(line.encode()) > limit:  # one line longer than a message: cut it at a character
            head = _cut_bytes(line, limit)
            chunks.append(head)
            line = line[len(head) :]
        current = line
    if current or not chunks:
        chunks.append(current)
    return chunks


def text_message(userid: str, text: str) -> dict[str, Any]:
    """One text message (cut to WeCom's 2,048 bytes; `text_messages` splits instead)."""
    content = text if len(text.encode()) <= TEXT_BYTES else _cut_bytes(text, TEXT_BYTES - 3) + ELLIPSIS
    return {"touser": userid, "msgtype": "text", "text": {"content": content}}


def text_messages(userid: str, text: str) -> list[dict[str, Any]]:
    """The whole text as text messages, as many as its length needs."""
    return [{"touser": userid, "msgtype": "text", "text": {"content": c}} for c in text_chunks(text)]


def file_message(userid: str, media_id: str, *, kind: str = "file") -> dict[str, Any]:
    """A file or image sent earlier with media/upload (`kind`: "file" | "image")."""
    return {"touser": userid, "msgtype": kind, kind: {"media_id": media_id}}


def _title_and_body(text: str) -> tuple[str, str]:
    first, _, rest = text.strip("\n").partition("\n")
    return first.strip(), rest.strip("\n")


def fits_card(text: str) -> bool:
    """Whether the card alone can show the whole text (title line and the rest)."""
    title, body = _title_and_body(text)
    return len(title) <= TITLE_CHARS and len(body) <= SUB_TITLE_CHARS


def valid_task_id(task_id: str) -> bool:
    return bool(TASK_ID.match(task_id)) and len(task_id.encode()) <= TASK_ID_BYTES


def _buttons(buttons: Buttons) -> list[tuple[str, str]]:
    flat = [button for row in buttons for button in row]
    for _, key in flat:
        if not key or len(key.encode()) > KEY_BYTES:
            raise ValueError(f"button key empty or over {KEY_BYTES} bytes")
    return flat


def _card(text: str, buttons: Sequence[tuple[str, str]], *, task_id: str, whole: bool) -> dict[str, Any]:
    """The template card; `whole`: the text fits and is shown in full, else its title only."""
    if not valid_task_id(task_id):
        raise ValueError(f"task_id must be 1-128 of [A-Za-z0-9_-@]: {task_id!r}")
    title, body = _title_and_body(text)
    card: dict[str, Any] = {
        "card_type": CARD_TYPE,
        "task_id": task_id,
        "main_title": {"title": _cut(title, TITLE_CHARS) or ELLIPSIS},
    }
    if whole and body:
        card["sub_title_text"] = _cut(body, SUB_TITLE_CHARS)
    card["button_list"] = [
        {"type": 0, "text": _cut(label, BUTTON_CHARS), "style": 1, "key": key} for label, key in buttons
    ]
    return card


def button_cards(userid: str, text: str, buttons: Buttons, *, task_prefix: str) -> list[dict[str, Any]]:
    """The messages to send for text with buttons, in order: text message(s) first when the text does not
    fit a card, then one card per 6 buttons (task ids `<task_prefix>-0`, `-1`, …). No buttons: text only."""
    flat = _buttons(buttons)
    if not flat:
        return text_messages(userid, text)
    whole = fits_card(text)
    messages = [] if whole else text_messages(userid, text)
    for number, start in enumerate(range(0, len(flat), BUTTONS_PER_CARD)):
        card = _card(
            text, flat[start : start + BUTTONS_PER_CARD], task_id=f"{task_prefix}-{number}", whole=whole
        )
        messages.append({"touser": userid, "msgtype": "template_card", "template_card": card})
    return messages


def updated_card(text: str, buttons: Buttons, *, task_id: str) -> dict[str, Any]:
    """The card for message/update_template_card: the same `task_id`, the new text and ≤ 6 buttons (an
    answered card may have none). The caller checks `fits_card` and `card_fits_buttons` first, and sends a
    fresh message instead when the new state needs more than one card can show."""
    flat = _buttons(buttons)
    if len(flat) > BUTTONS_PER_CARD:
        raise ValueError(f"an updated card holds at most {BUTTONS_PER_CARD} buttons")
    return _card(text, flat, task_id=task_id, whole=True)


def card_fits_buttons(buttons: Buttons) -> bool:
    return sum(len(row) for row in buttons) <= BUTTONS_PER_CARD


def answered_name(text: str) -> str:
    """What an answered card shows in place of its buttons: the first line of the new state, cut to a
    button's length."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "✓")
    return first if len(first) <= BUTTON_CHARS else first[: BUTTON_CHARS - 1] + "…"
