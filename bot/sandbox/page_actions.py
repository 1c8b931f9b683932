"""The page API's base handler and what a person does: users, send, contact, location, photo, document,
press."""

from __future__ import annotations

import json
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from tornado.web import RequestHandler

from bot.sandbox.markup import TEXT_LIMIT, u16len
from bot.sandbox.state import SandboxUser

if TYPE_CHECKING:
    from bot.sandbox.server import SandboxServer


async def value(result: Any) -> Any:
    return result


class PageError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ApiHandler(RequestHandler):
    sandbox: SandboxServer
    closed = False
    wait_key: Hashable | None = None

    def initialize(self, sandbox: SandboxServer) -> None:
        self.sandbox = sandbox

    def check_xsrf_cookie(self) -> None:
        return None

    def compute_etag(self) -> None:
        return None

    def on_connection_close(self) -> None:
        self.closed = True
        if self.wait_key is not None:
            self.sandbox.state.notifier.notify(self.wait_key)

    def body(self) -> dict[str, Any]:
        if self.request.headers.get("Content-Type", "").startswith("application/json"):
            try:
                data = json.loads(self.request.body or b"{}")
            except ValueError as exc:
                raise PageError(400, "body is not JSON") from exc
            if not isinstance(data, dict):
                raise PageError(400, "body must be a JSON object")
            return data
        return {k: v[-1].decode("utf-8", "replace") for k, v in self.request.body_arguments.items()}

    def arg(self, data: dict[str, Any], key: str, kind: type = int, required: bool = True) -> Any:
        value = data.get(key)
        if value is None or value == "":
            if required:
                raise PageError(400, f"{key} is required")
            return None
        try:
            return kind(value)
        except (TypeError, ValueError) as exc:
            raise PageError(400, f"{key} must be {kind.__name__}") from exc

    def wait_seconds(self, data: dict[str, Any], default: float) -> float:
        """A long poll's `timeout` parameter (0 answers at once), at most a minute."""
        seconds = self.arg(data, "timeout", float, required=False)
        return max(0.0, min(60.0, default if seconds is None else seconds))

    def query(self) -> dict[str, Any]:
        return {k: v[-1].decode("utf-8", "replace") for k, v in self.request.query_arguments.items()}

    def chat_id(self, data: dict[str, Any]) -> tuple[int, int]:
        """(user_id, chat_id): the chat defaults to the user's private chat; unknown users are created."""
        user_id = self.arg(data, "user_id")
        self.sandbox.state.ensure_user(user_id)
        chat_id = self.arg(data, "chat_id", required=False)
        chat_id = user_id if chat_id is None else chat_id
        if chat_id not in self.sandbox.state.chats:
            raise PageError(404, f"chat {chat_id} not found")
        return user_id, chat_id

    def reply(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(payload, ensure_ascii=False))

    async def run(self, action: Any) -> None:
        try:
            self.reply(await action())
        except PageError as exc:
            self.reply({"error": str(exc)}, exc.status)
        except KeyError as exc:
            self.reply({"error": str(exc.args[0])}, 404)


class UsersHandler(ApiHandler):
    async def get(self) -> None:
        state = self.sandbox.state
        await self.run(
            lambda: value(
                {"bot": state.bot_user, "users": [u.info() for u in state.users.values() if u.id > 0]}
            )
        )

    async def post(self) -> None:
        async def action() -> Any:
            data = self.body()
            user_id = self.arg(data, "id", required=False) or self.sandbox.state.new_user_id()
            first = data.get("first_name") or f"新用户 {user_id % 1000:03d}"
            user = SandboxUser(id=user_id, first_name=first, last_name=data.get("last_name") or None)
            user.phone, user.label = data.get("phone") or None, data.get("label") or None
            user.language_code = data.get("language_code") or "zh-hans"
            return self.sandbox.add_user(user).info()

        await self.run(action)


class EditHandler(ApiHandler):
    """A person edits a message they sent (Telegram then sends the bot an `edited_message`)."""

    async def post(self) -> None:
        async def action() -> Any:
            data = self.body()
            user_id, chat_id = self.chat_id(data)
            text = str(data.get("text") or "")
            if not text.strip() or u16len(text) > TEXT_LIMIT:
                raise PageError(400, "text is empty or too long")
            msg = self.sandbox.state.user_edit(user_id, chat_id, self.arg(data, "message_id"), text)
            return {"message": self.sandbox.state.view(msg), "seq": self.sandbox.state.seq}

        await self.run(action)


class SendHandler(ApiHandler):
    async def post(self) -> None:
        async def action() -> Any:
            data = self.body()
            user_id, chat_id = self.chat_id(data)
            text = str(data.get("text") or "")
            if not text.strip():
                raise PageError(400, "text is empty")
            if u16len(text) > TEXT_LIMIT:
                raise PageError(400, "text is too long")
            return self._sent(self.sandbox.state.user_message(user_id, {"text": text}, chat_id))

        await self.run(action)

    def _sent(self, msg: Any) -> dict[str, Any]:
        state = self.sandbox.state
        return {"message": state.view(msg), "seq": state.seq}


class ContactHandler(SendHandler):
    async def post(self) -> None:
        async def action() -> Any:
            data = self.body()
            user_id, chat_id = self.chat_id(data)
            state = self.sandbox.state
            owner_id = self.arg(data, "contact_user_id", required=False) or user_id
            owner = state.users.get(owner_id) or state.users[user_id]
            phone = data.get("phone") or owner.phone
            if not phone:
                raise PageError(400, "phone is required (the user has none)")
            contact = {"phone_number": str(phone), "first_name": owner.first_name, "user_id": owner_id}
            if owner.last_name:
                contact["last_name"] = owner.last_name
            return self._sent(state.user_message(user_id, {"contact": contact}, chat_id))

        await self.run(action)


class LocationHandler(SendHandler):
    async def post(self) -> None:
        async def action() -> Any:
            data = self.body()
            user_id, chat_id = self.chat_id(data)
            lat, lon = self.arg(data, "latitude", float), self.arg(data, "longitude", float)
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise PageError(400, "latitude/longitude out of range")
            content = {"location": {"latitude": lat, "longitude": lon}}
            return self._sent(self.sandbox.state.user_message(user_id, content, chat_id))

        await self.run(action)


class PhotoHandler(SendHandler):
    async def post(self) -> None:
        async def action() -> Any:
            data = self.body()
            user_id, chat_id = self.chat_id(data)
            files = self.request.files.get("file") or self.request.files.get("photo")
            if not files or not files[0].body:
                raise PageError(400, "file is required")
            state = self.sandbox.state
            record = state.files.add(files[0].body, "photo", files[0].filename, files[0].content_type)
            content: dict[str, Any] = {"photo": state.files.photo_sizes(record)}
            if data.get("caption"):
                content["caption"] = str(data["caption"])
            return self._sent(state.user_message(user_id, content, chat_id))

        await self.run(action)


class DocumentHandler(SendHandler):
    """A person sends a file (multipart `file`, optional `caption`): the bot gets a `document` message."""

    async def post(self) -> None:
        async def action() -> Any:
            data = self.body()
            user_id, chat_id = self.chat_id(data)
            files = self.request.files.get("file") or self.request.files.get("document")
            if not files or not files[0].body:
                raise PageError(400, "file is required")
            upload, state = files[0], self.sandbox.state
            mime = str(data.get("mime_type") or upload.content_type or "") or None
            record = state.files.add(upload.body, "document", upload.filename or None, mime)
            content: dict[str, Any] = {"document": state.files.document(record)}
            if data.get("caption"):
                content["caption"] = str(data["caption"])
            return self._sent(state.user_message(user_id, content, chat_id))

        await self.run(action)


class PressHandler(ApiHandler):
    async def post(self) -> None:
        async def action() -> Any:
            data = self.body()
            user_id, chat_id = self.chat_id(data)
            message_id = self.arg(data, "message_id")
            query = self.sandbox.state.press(user_id, chat_id, message_id, str(data.get("data", "")))
            return {"callback_query_id": query.id, "seq": self.sandbox.state.seq}

        await self.run(action)
