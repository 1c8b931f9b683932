"""The chat page at `/` and the read side of its JSON API: chats, live updates, callback answers, control.

Other channels' sandboxes (WeCom) show on the same page: `attach_channel_page(server, "wecom", page)` puts
their page API under `/sandbox/api/channel/wecom/<action>`; `/sandbox/api/channels` lists what is there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from tornado.web import RequestHandler, StaticFileHandler

from bot.sandbox.limits import apply_config, config_dict
from bot.sandbox.page_actions import (
    ApiHandler,
    ContactHandler,
    DocumentHandler,
    EditHandler,
    LocationHandler,
    PageError,
    PhotoHandler,
    PressHandler,
    SendHandler,
    UsersHandler,
    value,
)
from bot.sandbox.state import EVENTS, callback_key, chat_key

if TYPE_CHECKING:
    from bot.sandbox.server import SandboxServer

STATIC_DIR = Path(__file__).parent / "static"
# A channel's page API: (action, HTTP method, query or body fields + "_files") -> (status, JSON payload), or
# (status, (bytes, content type)) for a file.
ChannelPage = Callable[[str, str, dict[str, Any]], Awaitable[tuple[int, Any]]]
_channel_pages: WeakKeyDictionary[Any, dict[str, ChannelPage]] = WeakKeyDictionary()


def attach_channel_page(sandbox: SandboxServer, name: str, page: ChannelPage) -> None:
    """Show another channel's sandbox on this server's page (before or after it starts)."""
    _channel_pages.setdefault(sandbox, {})[name] = page


class ChannelsHandler(ApiHandler):
    async def get(self) -> None:
        names = ["telegram", *_channel_pages.get(self.sandbox, {})]
        await self.run(lambda: value({"channels": names}))


class ChannelPageHandler(ApiHandler):
    async def get(self, name: str, action: str) -> None:
        await self._relay(name, action, "GET", self.query())

    async def post(self, name: str, action: str) -> None:
        data: dict[str, Any] = dict(self.body())
        data["_files"] = {k: v[0] for k, v in self.request.files.items() if v}
        await self._relay(name, action, "POST", data)

    async def _relay(self, name: str, action: str, method: str, data: dict[str, Any]) -> None:
        page = _channel_pages.get(self.sandbox, {}).get(name)
        if page is None:
            self.reply({"error": f"no {name} sandbox on this page"}, 404)
            return
        status, payload = await page(action, method, data)
        if isinstance(payload, tuple):
            content, content_type = payload
            self.set_status(status)
            self.set_header("Content-Type", content_type)
            self.finish(content)
            return
        self.reply(payload, status)


class ChatHandler(ApiHandler):
    async def get(self) -> None:
        async def action() -> Any:
            _, chat_id = self.chat_id(self.query())
            state = self.sandbox.state
            chat = state.chats[chat_id]
            return {
                "chat": state.chat_api(chat_id),
                "messages": [state.view(m) for m in state.chat_messages(chat_id)],
                "seq": state.seq,
                "reply_keyboard": chat.reply_keyboard,
                "typing": chat.typing_ttl(),
            }

        await self.run(action)


class UpdatesHandler(ApiHandler):
    """Long poll: the chat's events after `since` (snapshots of new/edited/deleted messages, chat actions)."""

    async def get(self) -> None:
        async def action() -> Any:
            data = self.query()
            _, chat_id = self.chat_id(data)
            since = self.arg(data, "since", required=False) or 0
            timeout = self.wait_seconds(data, 25.0)
            state = self.sandbox.state

            def events() -> list[dict[str, Any]] | None:
                log = state.events.get(chat_id, [])
                if log and log[-1]["rev"] > since:
                    return [e for e in log if e["rev"] > since]
                return [] if self.closed or state.closing else None

            self.wait_key = chat_key(chat_id)
            found = await state.notifier.wait_until(
                self.wait_key, lambda: events() is not None or None, timeout
            )
            chat = state.chats[chat_id]
            return {
                "seq": state.seq,
                "events": (events() or []) if found else [],
                "reply_keyboard": chat.reply_keyboard,
                "typing": chat.typing_ttl(),
            }

        await self.run(action)


class EventsHandler(ApiHandler):
    """Long poll over every chat: events after the global revision `since` (one poll serves many waiters)."""

    async def get(self) -> None:
        async def action() -> Any:
            data = self.query()
            since = self.arg(data, "since", required=False) or 0
            timeout = self.wait_seconds(data, 25.0)
            state = self.sandbox.state
            self.wait_key = EVENTS
            await state.notifier.wait_until(
                EVENTS,
                lambda: (state.log and state.log[-1]["rev"] > since) or self.closed or state.closing,
                timeout,
            )
            return {"seq": state.seq, "events": state.events_after(since)}

        await self.run(action)


class CallbackAnswerHandler(ApiHandler):
    async def get(self) -> None:
        async def action() -> Any:
            data = self.query()
            query = self.sandbox.state.callbacks.get(str(data.get("id", "")))
            if query is None:
                raise PageError(404, "unknown callback query id")
            timeout = self.wait_seconds(data, 10.0)
            state = self.sandbox.state
            self.wait_key = callback_key(query.id)
            await state.notifier.wait_until(
                self.wait_key, lambda: query.answer is not None or self.closed, timeout
            )
            if query.answer is None:
                raise PageError(408, "the bot has not answered this callback query")
            return query.answer

        await self.run(action)


class CommandsHandler(ApiHandler):
    async def get(self) -> None:
        async def action() -> Any:
            user_id, chat_id = self.chat_id(self.query())
            state = self.sandbox.state
            button = state.menu_buttons.get(chat_id) or state.menu_buttons.get(None) or {"type": "commands"}
            return {"commands": state.effective_commands(user_id, chat_id), "menu_button": button}

        await self.run(action)


class RequestsHandler(ApiHandler):
    async def get(self) -> None:
        method = self.query().get("method")
        found = [r.as_dict() for r in self.sandbox.requests if not method or r.method == method]
        await self.run(lambda: value({"requests": found}))


class ConfigHandler(ApiHandler):
    async def get(self) -> None:
        await self.run(lambda: value(self._config()))

    async def post(self) -> None:
        async def action() -> Any:
            data = self.body()
            try:
                apply_config(self.sandbox.limits, data.get("limits") or {})
                apply_config(self.sandbox.faults, data.get("faults") or {})
            except ValueError as exc:
                raise PageError(400, str(exc)) from exc
            return self._config()

        await self.run(action)

    def _config(self) -> dict[str, Any]:
        return {"limits": config_dict(self.sandbox.limits), "faults": config_dict(self.sandbox.faults)}


class StatsHandler(ApiHandler):
    async def get(self) -> None:
        await self.run(lambda: value(self.sandbox.stats.as_dict()))


class ResetHandler(ApiHandler):
    async def post(self) -> None:
        self.sandbox.reset()
        await self.run(lambda: value({"ok": True}))


class FileHandler(ApiHandler):
    def get(self, file_id: str) -> None:
        record = self.sandbox.state.files.get(file_id)
        if record is None:
            self.reply({"error": "file not found"}, 404)
            return
        self.set_header("Content-Type", record.mime_type)
        self.finish(record.data)


class IndexHandler(RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish((STATIC_DIR / "index.html").read_bytes())


def routes(sandbox: SandboxServer) -> list[tuple[str, type[RequestHandler], dict[str, Any]]]:
    api: dict[str, type[ApiHandler]] = {
        "users": UsersHandler,
        "send": SendHandler,
        "edit": EditHandler,
        "contact": ContactHandler,
        "location": LocationHandler,
        "photo": PhotoHandler,
        "document": DocumentHandler,
        "press": PressHandler,
        "chat": ChatHandler,
        "updates": UpdatesHandler,
        "events": EventsHandler,
        "callback_answer": CallbackAnswerHandler,
        "commands": CommandsHandler,
        "requests": RequestsHandler,
        "config": ConfigHandler,
        "stats": StatsHandler,
        "reset": ResetHandler,
    }
    out: list[tuple[str, type[RequestHandler], dict[str, Any]]] = [
        (rf"/sandbox/api/{name}", handler, {"sandbox": sandbox}) for name, handler in api.items()
    ]
    out.append((r"/sandbox/api/file/([^/]+)", FileHandler, {"sandbox": sandbox}))
    out.append((r"/sandbox/api/channels", ChannelsHandler, {"sandbox": sandbox}))
    out.append((r"/sandbox/api/channel/([a-z]+)/([a-z_]+)", ChannelPageHandler, {"sandbox": sandbox}))
    out.append((r"/sandbox/static/(.*)", StaticFileHandler, {"path": str(STATIC_DIR)}))
    out.append((r"/", IndexHandler, {}))
    return out
