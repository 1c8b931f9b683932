"""Telegram's checks on message content: text, captions, HTML parse mode, command entities, keyboards."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64

_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?")
_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "callback_game",
    "pay",
    "login_url",
    "web_app",
    "copy_text",
)
_BOT_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


class BadRequest(Exception):
    """A 400 answer; the message is the part after "Bad Request: "."""


def u16len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[dict[str, Any]]:
    """`bot_command` entities as Telegram marks them (offsets in UTF-16 code units)."""
    return [
        {"type": "bot_command", "offset": u16len(text[: m.start()]), "length": u16len(m.group())}
        for m in _COMMAND.finditer(text)
    ]


_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
}


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[tuple[str, int, dict[str, Any]]] = []
        self.entities: list[dict[str, Any]] = []

    def _offset(self) -> int:
        return u16len("".join(self.out))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            raise BadRequest(f'can\'t parse entities: Unsupported start tag "{tag}" at byte offset 0')
        extra: dict[str, Any] = {}
        if tag == "a":
            extra["url"] = dict(attrs).get("href") or ""
        self.open.append((tag, self._offset(), extra))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            raise BadRequest(f'can\'t parse entities: Unexpected end tag "{tag}"')
        _, start, extra = self.open.pop()
        length = self._offset() - start
        if length > 0:
            self.entities.append({"type": _TAGS[tag], "offset": start, "length": length, **extra})

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def parse_text(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]] | None]:
    """Plain text and entities; HTML is parsed, other parse modes are accepted and kept verbatim."""
    if (parse_mode or "").upper() != "HTML":
        return text, None
    parser = _Html()
    parser.feed(text)
    parser.close()
    if parser.open:
        raise BadRequest(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{parser.open[-1][0]}\""
        )
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return "".join(parser.out), entities or None


def check_text(text: str | None) -> str:
    if text is None or not text.strip():
        raise BadRequest("message text is empty")
    if u16len(text) > TEXT_LIMIT:
        raise BadRequest("message is too long")
    return text


def check_caption(caption: str | None) -> None:
    if caption is not None and u16len(caption) > CAPTION_LIMIT:
        raise BadRequest("message caption is too long")


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise BadRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    if not button["text"]:
        raise BadRequest("BUTTON_TEXT_INVALID")
    actions = [a for a in _INLINE_ACTIONS if a in button]
    if not actions:
        raise BadRequest(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
            raise BadRequest("BUTTON_DATA_INVALID")
    if "url" in button and not re.match(r"(https?|tg)://\S+$", str(button["url"])):
        raise BadRequest("BUTTON_URL_INVALID")


def _rows(markup: dict[str, Any], key: str) -> list[list[Any]]:
    rows = markup[key]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise BadRequest(f'can\'t parse reply keyboard markup JSON object: field "{key}" must be an Array')
    return rows


def check_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Validate a reply_markup object; reply keyboard buttons given as strings become {"text": ...}."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise BadRequest("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        for row in _rows(markup, "inline_keyboard"):
            for button in row:
                _check_inline_button(button)
        return markup
    if "keyboard" in markup:
        rows = [
            [b if isinstance(b, dict) else {"text": str(b)} for b in row] for row in _rows(markup, "keyboard")
        ]
        for row in rows:
            for button in row:
                if not isinstance(button.get("text"), str) or not button["text"]:
                    raise BadRequest('can\'t parse keyboard button: Field "text" must be of type String')
        return {**markup, "keyboard": rows}
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise BadRequest("can't parse reply keyboard markup JSON object")


def check_commands(commands: Any) -> list[dict[str, str]]:
    if not isinstance(commands, list):
        raise BadRequest("can't parse commands JSON object")
    if len(commands) > 100:
        raise BadRequest("BOT_COMMANDS_TOO_MUCH")
    out = []
    for item in commands:
        if not isinstance(item, dict) or not _BOT_COMMAND.fullmatch(str(item.get("command", ""))):
            raise BadRequest("BOT_COMMAND_INVALID")
        description = item.get("description")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise BadRequest("BOT_COMMAND_DESCRIPTION_INVALID")
        out.append({"command": item["command"], "description": description})
    return out


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG, or None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker, size = data[i + 1], int.from_bytes(data[i + 2 : i + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                return int.from_bytes(data[i + 7 : i + 9], "big"), int.from_bytes(data[i + 5 : i + 7], "big")
            i += 2 + size
    return None
