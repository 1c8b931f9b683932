"""The Telegram webhook and the WeCom callback share SAFETYBOT_LISTEN: the front proxy sends each path to
its own loopback server, with the query, body and Telegram's secret header, and relays the answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from bot.listen import SharedListener, free_loopback_port


class Echo(RequestHandler):
    def initialize(self, name: str, seen: list[dict[str, Any]]) -> None:
        self.name, self.seen = name, seen

    def get(self) -> None:
        self.seen.append({"to": self.name, "query": self.request.query})
        self.finish(self.get_query_argument("echostr", ""))

    def post(self) -> None:
        secret = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        self.seen.append({"to": self.name, "body": self.request.body, "secret": secret})
        self.set_status(403 if self.name == "telegram" and secret != "s3cret" else 200)
        self.finish("")


def _serve(path: str, name: str, seen: list[dict[str, Any]]) -> tuple[HTTPServer, str]:
    sockets = bind_sockets(0, "127.0.0.1")
    server = HTTPServer(Application([(path, Echo, {"name": name, "seen": seen})]))
    server.add_sockets(sockets)
    return server, f"http://127.0.0.1:{sockets[0].getsockname()[1]}{path}"


@pytest.fixture
async def front() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    telegram, telegram_url = _serve("/tg-hook", "telegram", seen)
    wecom, wecom_url = _serve("/wecom/callback", "wecom", seen)
    listener = SharedListener(
        "127.0.0.1",
        free_loopback_port(),
        {"/tg-hook": telegram_url, "/wecom/callback": wecom_url, "/gone": "http://127.0.0.1:1/gone"},
    )
    await listener.start()
    yield f"http://127.0.0.1:{listener.port}", seen
    await listener.stop()
    telegram.stop()
    wecom.stop()


async def test_each_path_reaches_its_own_server(front: tuple[str, list[dict[str, Any]]]) -> None:
    url, seen = front
    async with httpx.AsyncClient(base_url=url) as http:
        check = await http.get(
            "/wecom/callback", params={"msg_signature": "abc", "echostr": "1616140317555161061"}
        )
        assert check.status_code == 200 and check.text == "1616140317555161061"
        update = await http.post(
            "/tg-hook", content=b'{"update_id": 1}', headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
        )
        assert update.status_code == 200
        forged = await http.post("/tg-hook", content=b"{}")
        assert forged.status_code == 403, "the upstream's refusal comes back"
        assert (await http.post("/wecom/callback?timestamp=1", content=b"<xml/>")).status_code == 200
        assert (await http.get("/elsewhere")).status_code == 404
        assert (await http.post("/gone", content=b"x")).status_code == 502
    assert [s["to"] for s in seen] == ["wecom", "telegram", "telegram", "wecom"]
    assert seen[0]["query"] == "msg_signature=abc&echostr=1616140317555161061"
    assert seen[1] == {"to": "telegram", "body": b'{"update_id": 1}', "secret": "s3cret"}
    assert seen[3]["body"] == b"<xml/>"
