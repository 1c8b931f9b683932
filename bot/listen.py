"""One port for two callers: with the Telegram webhook and the WeCom callback both on SAFETYBOT_LISTEN,
each is served on loopback and this small proxy, on SAFETYBOT_LISTEN, hands each request to the one its path
belongs to (PTB's webhook server would otherwise hold the port alone).

The request goes on as it came (method, path, query, body, the Telegram secret header); the answer comes
back with its status and body. A path neither owns answers 404.
"""

from __future__ import annotations

import logging
import socket

import httpx
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

logger = logging.getLogger(__name__)
FORWARDED_HEADERS = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token")
MAX_BODY = 1 << 20  # Telegram updates and WeCom callbacks are small


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Forward(RequestHandler):
    def initialize(self, routes: dict[str, str], http: httpx.AsyncClient) -> None:
        self.routes, self.http = routes, http

    def check_xsrf_cookie(self) -> None:
        return None

    async def get(self) -> None:
        await self._forward()

    async def post(self) -> None:
        await self._forward()

    async def _forward(self) -> None:
        target = self.routes.get(self.request.path.rstrip("/") or "/")
        if target is None:
            self.set_status(404)
            self.finish()
            return
        headers = {k: v for k in FORWARDED_HEADERS if (v := self.request.headers.get(k)) is not None}
        url = target + (f"?{self.request.query}" if self.request.query else "")
        try:
            answer = await self.http.request(
                self.request.method or "GET", url, content=self.request.body, headers=headers
            )
        except httpx.HTTPError as exc:
            logger.warning("listen: %s unreachable: %s", self.request.path, type(exc).__name__)
            self.set_status(502)
            self.finish()
            return
        self.set_status(answer.status_code)
        if "content-type" in answer.headers:
            self.set_header("Content-Type", answer.headers["content-type"])
        self.finish(answer.content)


class SharedListener:
    """Serves `routes` (public path -> loopback URL) on host:port until `stop()`."""

    def __init__(self, host: str, port: int, routes: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.routes = {path.rstrip("/") or "/": url for path, url in routes.items()}
        self._http: HTTPServer | None = None
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=10)
        app = Application(
            [(r"/.*", _Forward, {"routes": self.routes, "http": self._client})], log_function=lambda h: None
        )
        sockets = bind_sockets(self.port, self.host)
        self.port = sockets[0].getsockname()[1]
        self._http = HTTPServer(app, max_body_size=MAX_BODY)
        self._http.add_sockets(sockets)
        logger.info("listening on %s:%s for %s", self.host, self.port, ", ".join(sorted(self.routes)))

    async def stop(self) -> None:
        if self._http is not None:
            self._http.stop()
            await self._http.close_all_connections()
            self._http = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
