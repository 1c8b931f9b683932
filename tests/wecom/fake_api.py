"""A small fake of the WeCom API at the HTTP boundary (an httpx.MockTransport) for the client and channel
tests: tokens that expire, faults queued per path, what was sent, updated and uploaded."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

BASE = "https://wecom.test/cgi-bin"
CORP, SECRET, AGENT = "wwtest", "s3cret-never-logged", 1000002


@dataclass
class FakeWeCom:
    token_fetches: int = 0
    live_tokens: set[str] = field(default_factory=set)
    faults: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    sent: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[tuple[str, str, bytes]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    used_codes: set[str] = field(default_factory=set)
    errmsg: str = "ok"
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def fault(self, path: str, errcode: int, times: int = 1) -> None:
        self.faults[path] += [errcode] * times

    def expire_tokens(self) -> None:
        self.live_tokens.clear()

    def _answer(self, body: dict[str, Any]) -> httpx.Response:
        return httpx.Response(200, json=body)

    async def handler(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)  # a network round trip: concurrent callers interleave here
        await request.aread()
        path = request.url.path.removeprefix("/cgi-bin")
        self.calls.append(path)
        if self.faults.get(path):
            return self._answer({"errcode": self.faults[path].pop(0), "errmsg": self.errmsg})
        if path == "/gettoken":
            assert request.url.params["corpsecret"] == SECRET
            self.token_fetches += 1
            token = f"tok{self.token_fetches}"
            self.live_tokens.add(token)
            return self._answer({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})
        if request.url.params.get("access_token") not in self.live_tokens:
            return self._answer({"errcode": 42001, "errmsg": "access_token expired"})
        n = next(self._ids)
        if path == "/message/send":
            body = json.loads(request.content)
            assert body["agentid"] == AGENT
            self.sent.append(body)
            answer: dict[str, Any] = {"errcode": 0, "errmsg": "ok", "msgid": f"msg{n}"}
            if body["msgtype"] == "template_card":
                assert len(body["template_card"]["button_list"]) <= 6
                answer["response_code"] = f"code{n}"
            return self._answer(answer)
        if path == "/message/update_template_card":
            body = json.loads(request.content)
            if body["response_code"] in self.used_codes:
                return self._answer({"errcode": 40008, "errmsg": "invalid response_code"})  # any refusal
            self.used_codes.add(body["response_code"])
            self.updates.append(body)
            return self._answer({"errcode": 0, "errmsg": "ok"})
        if path == "/media/upload":
            kind = request.url.params["type"]
            content = request.content
            name = content.split(b'filename="', 1)[1].split(b'"', 1)[0].decode()
            self.uploads.append((kind, name, content))
            return self._answer({"errcode": 0, "type": kind, "media_id": f"media{n}", "created_at": "1"})
        if path == "/media/get":
            return httpx.Response(200, content=b"\x89PNG...", headers={"content-type": "image/png"})
        return httpx.Response(404)

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handler))
