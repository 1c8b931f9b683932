"""The sandbox's in-memory world: users, chats, messages, pending updates, files (plain Python, no HTTP).

Every change gets the next number of one global sequence (`rev`) and is appended to its chat's event log
as a snapshot, so a page or a test can ask "what happened in this chat after N" and wait for it.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import time
from typing import Any

from bot.sandbox.files import FileRecord, FileStore
from bot.sandbox.markup import command_entities
from bot.sandbox.records import (
    EVENTS,
    TYPING_SECONDS,
    UPDATES,
    CallbackQuery,
    Chat,
    Notifier,
    SandboxUser,
    StoredMessage,
    Webhook,
    callback_key,
    chat_key,
)

__all__ = [
    "EVENTS",
    "TYPING_SECONDS",
    "UPDATES",
    "CallbackQuery",
    "Chat",
    "FileRecord",
    "Notifier",
    "SandboxState",
    "SandboxUser",
    "StoredMessage",
    "Webhook",
    "callback_key",
    "chat_key",
]


class SandboxState:
    def __init__(self, bot_id: int, bot_username: str, bot_name: str = "SafetyBot") -> None:
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.users: dict[int, SandboxUser] = {}
        self.chats: dict[int, Chat] = {}
        self.messages: dict[int, dict[int, StoredMessage]] = {}
        self.events: dict[int, list[dict[str, Any]]] = {}  # per chat: what the page shows
        self.log: list[dict[str, Any]] = []  # every chat's events and callback answers, by revision
        self.updates: list[dict[str, Any]] = []  # pending: not yet confirmed by getUpdates / the webhook
        self.files = FileStore()
        self.callbacks: dict[str, CallbackQuery] = {}
        self.commands: dict[tuple[tuple[str, int | None, int | None], str], list[dict[str, str]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.descriptions: dict[tuple[str, str], str] = {}
        self.webhook = Webhook()
        self.allowed_updates: list[str] | None = None
        self.seq = 0
        self.closing = False
        self.notifier = Notifier()
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1)

    # -- people and chats ------------------------------------------------------------------------------
    def add_user(self, user: SandboxUser) -> SandboxUser:
        self.users[user.id] = user
        self._chat(user.id, "private")
        return user

    def ensure_user(self, user_id: int) -> SandboxUser:
        return self.users.get(user_id) or self.add_user(SandboxUser(id=user_id, first_name=f"User{user_id}"))

    def new_user_id(self) -> int:
        return max([8_000_000_000, *self.users]) + 1

    def add_group(self, chat_id: int, title: str, member_ids: list[int]) -> Chat:
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        for uid in member_ids:
            self.ensure_user(uid)
        chat = self._chat(chat_id, "group")
        chat.title, chat.member_ids = title, list(member_ids)
        return chat

    def _chat(self, chat_id: int, kind: str) -> Chat:
        if chat_id not in self.chats:
            self.chats[chat_id] = Chat(id=chat_id, type=kind)
            self.messages[chat_id] = {}
            self.events[chat_id] = []
        return self.chats[chat_id]

    def chat_api(self, chat_id: int) -> dict[str, Any]:
        chat = self.chats[chat_id]
        if chat.type != "private":
            return {"id": chat.id, "type": chat.type, "title": chat.title}
        user = self.users[chat_id].to_api()
        return {
            "id": chat.id,
            "type": "private",
            **{k: v for k, v in user.items() if k in ("first_name", "last_name", "username")},
        }

    # -- messages --------------------------------------------------------------------------------------
    def to_api(self, msg: StoredMessage) -> dict[str, Any]:
        """The message as Telegram's Bot API shows it."""
        sender = self.bot_user if msg.from_bot else self.users[msg.sender_id].to_api()
        out: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": sender,
            "chat": self.chat_api(msg.chat_id),
        }
        out["date"] = msg.date
        out.update(msg.content)
        if msg.edit_date:
            out["edit_date"] = msg.edit_date
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            out["reply_markup"] = msg.reply_markup
        return out

    def view(self, msg: StoredMessage) -> dict[str, Any]:
        """The message as the page and SandboxClient see it: Telegram's shape plus sandbox fields."""
        out = self.to_api(msg)
        out.update(from_bot=msg.from_bot, edited=msg.edit_date is not None, deleted=msg.deleted, rev=msg.rev)
        out["reply_markup"] = msg.reply_markup
        if "photo" in out:
            out["photo_url"] = f"/sandbox/api/file/{out['photo'][-1]['file_id']}"
        if "document" in out:
            out["document_url"] = f"/sandbox/api/file/{out['document']['file_id']}"
        return out

    def find(self, chat_id: int, message_id: int) -> StoredMessage | None:
        msg = self.messages.get(chat_id, {}).get(message_id)
        return None if msg is None or msg.deleted else msg

    def chat_messages(self, chat_id: int) -> list[StoredMessage]:
        return [m for m in self.messages.get(chat_id, {}).values() if not m.deleted]

    def _changed(self, chat_id: int, event: dict[str, Any], in_chat: bool = True) -> int:
        self.seq += 1
        event["rev"], event["chat_id"] = self.seq, chat_id
        if in_chat:
            self.events[chat_id].append(event)
            self.notifier.notify(chat_key(chat_id))
        self.log.append(event)
        self.notifier.notify(EVENTS)
        return self.seq

    def events_after(self, since: int, limit: int = 1000) -> list[dict[str, Any]]:
        """Events of every chat (and callback answers) after revision `since`, oldest first."""
        start = bisect.bisect_right(self.log, since, key=lambda e: int(e["rev"]))
        return self.log[start : start + limit]

    def _log(self, msg: StoredMessage) -> None:
        msg.rev = self.seq + 1
        self._changed(msg.chat_id, {"kind": "message", "message": self.view(msg)})

    def _new(self, chat_id: int, sender_id: int, from_bot: bool, content: dict[str, Any]) -> StoredMessage:
        chat = self.chats[chat_id]
        msg = StoredMessage(chat.next_message_id, chat_id, sender_id, from_bot, int(time.time()), content)
        chat.next_message_id += 1
        self.messages[chat_id][msg.message_id] = msg
        return msg

    def bot_message(
        self, chat_id: int, content: dict[str, Any], reply_markup: dict[str, Any] | None
    ) -> StoredMessage:
        msg = self._new(chat_id, self.bot_user["id"], True, content)
        msg.reply_markup = reply_markup
        chat = self.chats[chat_id]
        chat.action = None
        if reply_markup and "keyboard" in reply_markup:
            chat.reply_keyboard = reply_markup
        elif reply_markup and reply_markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        self._log(msg)
        return msg

    def edit(self, msg: StoredMessage, content: dict[str, Any], reply_markup: dict[str, Any] | None) -> None:
        msg.content.update(content)
        msg.content = {k: v for k, v in msg.content.items() if v is not None}
        msg.reply_markup = reply_markup
        msg.edit_date = int(time.time())
        self._log(msg)

    def delete(self, msg: StoredMessage) -> None:
        msg.deleted = True
        self._log(msg)

    def chat_action(self, chat_id: int, action: str) -> None:
        chat = self.chats[chat_id]
        chat.action, chat.action_until = action, time.monotonic() + TYPING_SECONDS
        self._changed(chat_id, {"kind": "action", "action": action, "ttl": TYPING_SECONDS})

    # -- what users do -----------------------------------------------------------------------------------
    def user_message(
        self, user_id: int, content: dict[str, Any], chat_id: int | None = None
    ) -> StoredMessage:
        """A message from a user; it becomes an update for the bot."""
        self.ensure_user(user_id)
        chat_id = user_id if chat_id is None else chat_id
        if chat_id not in self.chats:
            raise KeyError(f"chat {chat_id} not found")
        if "text" in content and (entities := command_entities(content["text"])):
            content["entities"] = entities
        msg = self._new(chat_id, user_id, False, content)
        chat = self.chats[chat_id]
        if chat.reply_keyboard and chat.reply_keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None
        self._log(msg)
        self.enqueue_update("message", self.to_api(msg))
        return msg

    def user_edit(self, user_id: int, chat_id: int, message_id: int, text: str) -> StoredMessage:
        """A user edits one of their own messages; it becomes an `edited_message` update."""
        msg = self.find(chat_id, message_id)
        if msg is None or msg.from_bot or msg.sender_id != user_id:
            raise KeyError(f"message {message_id} of user {user_id} not found in chat {chat_id}")
        content: dict[str, Any] = {"text": text, "entities": command_entities(text) or None}
        self.edit(msg, content, msg.reply_markup)
        self.enqueue_update("edited_message", self.to_api(msg))
        return msg

    def press(self, user_id: int, chat_id: int, message_id: int, data: str) -> CallbackQuery:
        self.ensure_user(user_id)
        msg = self.find(chat_id, message_id)
        if msg is None:
            raise KeyError(f"message {message_id} not found in chat {chat_id}")
        query = CallbackQuery(f"{next(self._ids)}{user_id % 100000:05d}", user_id, chat_id, message_id, data)
        self.callbacks[query.id] = query
        chat_instance = hashlib.sha1(f"{chat_id}".encode()).hexdigest()[:16]
        payload = {
            "id": query.id,
            "from": self.users[user_id].to_api(),
            "message": self.to_api(msg),
            "chat_instance": str(int(chat_instance, 16)),
            "data": data,
        }
        self.enqueue_update("callback_query", payload)
        return query

    def answer_callback(self, query: CallbackQuery, answer: dict[str, Any]) -> None:
        query.answer = answer
        self.notifier.notify(callback_key(query.id))
        self._changed(
            query.chat_id, {"kind": "callback_answer", "id": query.id, "answer": answer}, in_chat=False
        )

    # -- updates -----------------------------------------------------------------------------------------
    def enqueue_update(self, kind: str, payload: dict[str, Any]) -> None:
        if self.allowed_updates and kind not in self.allowed_updates:
            return
        self.updates.append({"update_id": next(self._update_ids), kind: payload})
        self.notifier.notify(UPDATES)

    def confirm_updates(self, offset: int) -> None:
        """getUpdates' offset: forget updates with smaller ids (negative: keep only the last -offset)."""
        if offset < 0:
            del self.updates[: max(0, len(self.updates) + offset)]
        elif offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    # -- commands ----------------------------------------------------------------------------------------
    def effective_commands(self, user_id: int, chat_id: int | None = None) -> list[dict[str, str]]:
        """The commands a user sees in a chat, resolved in the order Telegram documents."""
        chat_id = user_id if chat_id is None else chat_id
        lang = (self.users[user_id].language_code or "") if user_id in self.users else ""
        private = chat_id == user_id
        scopes: list[tuple[str, int | None, int | None]] = (
            [("chat", chat_id, None), ("all_private_chats", None, None)]
            if private
            else [("chat_member", chat_id, user_id), ("chat", chat_id, None), ("all_group_chats", None, None)]
        )
        scopes.append(("default", None, None))
        langs = [lang, lang.split("-")[0]] if lang else []
        for scope in scopes:
            for code in [*langs, ""]:
                if (scope, code) in self.commands:
                    return self.commands[(scope, code)]
        return []

    def reset(self) -> None:
        """Forget every message, event, callback query and pending update; keep users, chats and settings."""
        for chat in self.chats.values():
            chat.reply_keyboard, chat.action = None, None
            self.messages[chat.id] = {}
            self.events[chat.id] = []
        self.callbacks.clear()
        self.updates.clear()
        self.log.clear()
        self.seq += 1
        self.notifier.notify_all()
