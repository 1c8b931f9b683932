"""The Bot API methods that put messages into chats or change them, and files."""

from __future__ import annotations

import time
from typing import Any

from bot.sandbox.calls import ApiError, Call, Runtime, Upload, bad
from bot.sandbox.limits import BLOCKABLE_METHODS
from bot.sandbox.markup import (
    BadRequest,
    check_caption,
    check_reply_markup,
    check_text,
    parse_text,
)
from bot.sandbox.state import Chat, FileRecord, StoredMessage

GET_FILE_MAX_BYTES = 20 * 1024 * 1024  # getFile refuses bigger files ("file is too big")

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same as a "
    "current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


def _inline(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    return markup if markup and "inline_keyboard" in markup else None


class MessageMethods:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.state = rt.state

    def table(self) -> dict[str, Any]:
        return {
            "sendMessage": self.send_message,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "sendChatAction": self.send_chat_action,
            "getFile": self.get_file,
        }

    # -- the gate every counted call passes --------------------------------------------------------------
    def gate(self, method: str, chat: Chat) -> None:
        """403 for a blocked user, 429 over a limit; otherwise the call may go ahead."""
        rt = self.rt
        if method in BLOCKABLE_METHODS and chat.type == "private" and chat.id in rt.faults.blocked_users:
            rt.stats.blocked += 1
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if method in rt.limits.methods:
            wait = rt.limiter.acquire(chat.id, chat.type != "private", time.monotonic())
            if wait:
                rt.stats.rate_limited += 1
                rt.stats.rate_limited_by_method[method] += 1
                raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})

    # -- content -----------------------------------------------------------------------------------------
    @staticmethod
    def _text(call: Call, key: str = "text", entities_key: str = "entities") -> tuple[str, list[Any] | None]:
        text, entities = parse_text(call.string(key) or "", call.string("parse_mode"))
        given = call.json(entities_key)
        if entities is None and isinstance(given, list) and given:
            entities = given
        return text, entities

    def _markup(self, call: Call) -> dict[str, Any] | None:
        return check_reply_markup(call.json("reply_markup"))

    def _reply_to(self, call: Call, chat: Chat) -> dict[str, Any]:
        params = call.json("reply_parameters")
        target = params.get("message_id") if isinstance(params, dict) else call.integer("reply_to_message_id")
        if not target:
            return {}
        original = self.state.find(chat.id, int(target))
        if original is None:
            allow = call.flag("allow_sending_without_reply") or (
                isinstance(params, dict) and params.get("allow_sending_without_reply")
            )
            if allow:
                return {}
            raise bad("message to be replied not found")
        return {"reply_to_message": self.state.to_api(original)}

    def _file(self, call: Call, key: str, kind: str) -> FileRecord:
        value = call.params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            value = call.params.get(value[len("attach://") :])
        if isinstance(value, Upload):
            return self.state.files.add(value.body, kind, value.filename, value.content_type)
        if isinstance(value, str) and value in self.state.files:
            return self.state.files[value]
        if not value:
            raise bad(f"there is no {kind} in the request")
        raise bad("wrong file identifier/HTTP URL specified")

    # -- methods -----------------------------------------------------------------------------------------
    async def send_message(self, call: Call) -> Any:
        chat = self.rt.chat(call)
        text, entities = self._text(call)
        check_text(text)
        markup = self._markup(call)
        content: dict[str, Any] = {"text": text, "entities": entities, **self._reply_to(call, chat)}
        self.gate(call.method, chat)
        return self.state.to_api(self.state.bot_message(chat.id, _clean(content), markup))

    async def _send_file(self, call: Call, kind: str) -> Any:
        chat = self.rt.chat(call)
        caption, entities = self._text(call, "caption", "caption_entities")
        check_caption(caption)
        markup = self._markup(call)
        reply = self._reply_to(call, chat)
        record = self._file(call, kind, kind)
        self.gate(call.method, chat)
        media = self.state.files.photo_sizes(record) if kind == "photo" else self.state.files.document(record)
        content = {kind: media, "caption": caption or None, "caption_entities": entities, **reply}
        return self.state.to_api(self.state.bot_message(chat.id, _clean(content), markup))

    async def send_photo(self, call: Call) -> Any:
        return await self._send_file(call, "photo")

    async def send_document(self, call: Call) -> Any:
        return await self._send_file(call, "document")

    def _editable(self, call: Call) -> tuple[Chat, StoredMessage]:
        if call.params.get("inline_message_id"):
            raise bad("inline messages are not supported by the sandbox")
        chat = self.rt.chat(call)
        message_id = call.integer("message_id", missing="message identifier is not specified")
        msg = self.state.find(chat.id, message_id or 0)
        if msg is None:
            raise bad("message to edit not found")
        if not msg.from_bot:
            raise bad("message can't be edited")
        return chat, msg

    def _edit(self, call: Call, chat: Chat, msg: StoredMessage, content: dict[str, Any]) -> Any:
        markup = self._markup(call)
        if markup is not None and "inline_keyboard" not in markup:
            raise bad("inline keyboard expected")
        same = all(msg.content.get(k) == v for k, v in content.items())
        if same and _inline(msg.reply_markup) == markup:
            raise bad(NOT_MODIFIED)
        self.gate(call.method, chat)
        kept = msg.reply_markup if markup is None and not _inline(msg.reply_markup) else markup
        self.state.edit(msg, content, kept)
        return self.state.to_api(msg)

    async def edit_message_text(self, call: Call) -> Any:
        chat, msg = self._editable(call)
        if "text" not in msg.content:
            raise bad("there is no text in the message to edit")
        text, entities = self._text(call)
        check_text(text)
        return self._edit(call, chat, msg, {"text": text, "entities": entities})

    async def edit_message_caption(self, call: Call) -> Any:
        chat, msg = self._editable(call)
        if "text" in msg.content:
            raise bad("there is no caption in the message to edit")
        caption, entities = self._text(call, "caption", "caption_entities")
        check_caption(caption)
        return self._edit(call, chat, msg, {"caption": caption or None, "caption_entities": entities})

    async def edit_message_reply_markup(self, call: Call) -> Any:
        chat, msg = self._editable(call)
        return self._edit(call, chat, msg, {})

    async def delete_message(self, call: Call) -> Any:
        chat = self.rt.chat(call)
        msg = self.state.find(
            chat.id, call.integer("message_id", missing="message identifier is not specified") or 0
        )
        if msg is None:
            raise bad("message to delete not found")
        self.state.delete(msg)
        return True

    async def answer_callback_query(self, call: Call) -> Any:
        query = self.state.callbacks.get(call.string("callback_query_id") or "")
        if query is None or query.answer is not None:
            raise bad("query is too old and response timeout expired or query ID is invalid")
        text = call.string("text")
        if text is not None and len(text) > 200:
            raise bad("MESSAGE_TOO_LONG")
        answer = {"text": text, "show_alert": call.flag("show_alert"), "url": call.string("url")}
        self.state.answer_callback(query, answer)
        return True

    async def send_chat_action(self, call: Call) -> Any:
        chat = self.rt.chat(call)
        action = call.string("action")
        if action not in CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        self.gate(call.method, chat)
        self.state.chat_action(chat.id, action)
        return True

    async def get_file(self, call: Call) -> Any:
        record = self.state.files.get(call.string("file_id") or "")
        if record is None:
            raise bad("invalid file_id")
        if len(record.data) > GET_FILE_MAX_BYTES:  # as Telegram: bots download at most 20 MB
            raise bad("file is too big")
        return {**record.meta(), "file_path": record.file_path}


def _clean(content: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in content.items() if v is not None}


__all__ = ["BadRequest", "MessageMethods"]
