"""SandboxServer: the local Bot API, the chat page and its API, on one tornado server in the current loop."""

from __future__ import annotations

import logging
import re
import socket

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from bot.sandbox.botapi import BotApi, BotApiHandler, FileDownloadHandler
from bot.sandbox.calls import RecordedRequest, Runtime
from bot.sandbox.limits import Faults, Limits, Stats
from bot.sandbox.state import Chat, SandboxState, SandboxUser
from bot.sandbox.web import routes
from bot.sandbox.webhook import WebhookDelivery

access_log = logging.getLogger("bot.sandbox.access")
_TOKEN_IN_PATH = re.compile(r"/(file/)?bot[^/]+/")


def _log_request(handler: RequestHandler) -> None:
    """Tornado's access log without the bot token, at DEBUG (429s and injected 5xx are expected here)."""
    if not access_log.isEnabledFor(logging.DEBUG):
        return
    request = handler.request
    path = _TOKEN_IN_PATH.sub(lambda m: f"/{m.group(1) or ''}bot<token>/", request.path)
    access_log.debug(
        "%d %s %s %.1fms", handler.get_status(), request.method, path, 1000 * request.request_time()
    )


class SandboxServer:
    """A local stand-in for api.telegram.org plus a chat page for people and an API for tests.

    Nothing listens until `await start()`; `port=0` picks a free port.
    """

    def __init__(
        self,
        token: str = "123456:SANDBOX",
        host: str = "127.0.0.1",
        port: int = 0,
        limits: Limits | None = None,
        faults: Faults | None = None,
        bot_username: str = "safetybot",
        bot_name: str = "SafetyBot",
    ) -> None:
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456
        self.token = token
        self.host = host
        self.port = port
        self.state = SandboxState(bot_id, bot_username, bot_name)
        self.runtime = Runtime(self.state, limits or Limits(), faults or Faults())
        self.api = BotApi(self.runtime, token)
        self.webhooks = WebhookDelivery(self.state)
        self._http: HTTPServer | None = None
        self._sockets: list[socket.socket] = []

    # -- settings that tests change while running ----------------------------------------------------------
    @property
    def limits(self) -> Limits:
        return self.runtime.limits

    @limits.setter
    def limits(self, value: Limits) -> None:
        self.runtime.limits = self.runtime.limiter.limits = value

    @property
    def faults(self) -> Faults:
        return self.runtime.faults

    @faults.setter
    def faults(self, value: Faults) -> None:
        self.runtime.faults = value

    @property
    def stats(self) -> Stats:
        return self.runtime.stats

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.api.requests

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def bot_api_base(self) -> str:
        return f"{self.url}/bot"

    @property
    def file_base(self) -> str:
        return f"{self.url}/file/bot"

    # -- people ---------------------------------------------------------------------------------------------
    def add_user(self, user: SandboxUser) -> SandboxUser:
        """Add (or replace, by id) a person shown in the page's picker; their private chat exists from now."""
        return self.state.add_user(user)

    def add_group(self, chat_id: int, title: str, member_ids: list[int]) -> Chat:
        return self.state.add_group(chat_id, title, member_ids)

    def reset(self) -> None:
        """Forget messages, pending updates, callback queries, recorded requests, stats and rate buckets."""
        self.state.reset()
        self.api.requests.clear()
        self.runtime.stats = Stats()
        self.runtime.limiter.reset()

    # -- lifecycle ------------------------------------------------------------------------------------------
    def application(self) -> Application:
        handlers = [
            (r"/bot([^/]+)/([A-Za-z0-9_]+)", BotApiHandler, {"api": self.api}),
            (r"/file/bot([^/]+)/(.+)", FileDownloadHandler, {"api": self.api}),
            *routes(self),
        ]
        return Application(handlers, log_function=_log_request, compress_response=False)

    async def start(self) -> None:
        if self._http is not None:
            raise RuntimeError("the sandbox is already running")
        self.state.closing = False
        self._sockets = bind_sockets(self.port, self.host)
        self.port = self._sockets[0].getsockname()[1]
        self._http = HTTPServer(
            self.application(), max_body_size=60 * 1024 * 1024, idle_connection_timeout=75
        )
        self._http.add_sockets(self._sockets)
        self.webhooks.start()

    async def stop(self) -> None:
        if self._http is None:
            return
        self.state.closing = True
        self.state.notifier.notify_all()
        self._http.stop()
        await self.webhooks.stop()
        await self._http.close_all_connections()
        self._http = None

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
