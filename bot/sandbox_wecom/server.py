"""WeComSandbox: a fake https://qyapi.weixin.qq.com/cgi-bin on loopback (tornado, in the current loop).

    sandbox = WeComSandbox(clock=clock)                 # 127.0.0.1, a free port
    await sandbox.start()
    client = WeComClient(base_url=sandbox.base_url, corp_id=sandbox.corp_id, secret=sandbox.secret,
                         agent_id=sandbox.agent_id)
    ...
    sandbox.messages("E1001")                           # what the bot sent to that member

Every answer is HTTP 200 with WeCom's `errcode`/`errmsg` (an unknown path: 404). Every call but gettoken
needs a live access_token (41001 missing, 40014 invalid, 42001 expired).
"""

from __future__ import annotations

import json
import logging
import mimetypes
import socket
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from bot.sandbox_wecom.messages import ApiError
from bot.sandbox_wecom.state import Call, Limits, Member, WeComState, utc_now

logger = logging.getLogger(__name__)
POST_PATHS = frozenset({"message/send", "message/update_template_card", "media/upload"})
GET_PATHS = frozenset({"gettoken", "media/get"})


class WeComApiHandler(RequestHandler):
    state: WeComState
    parsed: Any = None  # the JSON body, recorded with the call

    def initialize(self, state: WeComState) -> None:
        self.state = state

    def check_xsrf_cookie(self) -> None:
        return None

    def get(self, path: str) -> None:
        self._answer(path, "GET")

    def post(self, path: str) -> None:
        self._answer(path, "POST")

    def _answer(self, path: str, method: str) -> None:
        if path not in (GET_PATHS if method == "GET" else POST_PATHS):
            self.set_status(404)
            self._json({"errcode": 404, "errmsg": f"unknown api {method} {path}"})
            return
        try:
            fault = self.state.take_fault(path)
            if fault is not None:
                raise ApiError(fault, "injected fault" if fault != -1 else "system busy")
            if path != "gettoken":
                self.state.check_token(self.get_query_argument("access_token", None))
            if path == "media/get":
                self._media(self.get_query_argument("media_id", ""))
                self.state.calls.append(Call(path, None, 0, self.state.clock()))
                return
            result = self._call(path)
        except ApiError as exc:
            self.state.calls.append(Call(path, self.parsed, exc.errcode, self.state.clock()))
            self._json({"errcode": exc.errcode, "errmsg": exc.errmsg})
            return
        self.state.calls.append(Call(path, self.parsed, int(result.get("errcode", 0)), self.state.clock()))
        self._json(result)

    def _call(self, path: str) -> dict[str, Any]:
        if path == "gettoken":
            return self.state.gettoken(
                self.get_query_argument("corpid", ""), self.get_query_argument("corpsecret", "")
            )
        if path == "media/upload":
            files = self.request.files.get("media") or []
            if not files:
                raise ApiError(41005, "media data missing")
            part = files[0]
            content_type = part.content_type or "application/octet-stream"
            if content_type == "application/octet-stream":  # WeCom serves media by the file's type
                content_type = mimetypes.guess_type(part.filename)[0] or content_type
            return self.state.upload(
                self.get_query_argument("type", ""), part.filename, part.body, content_type
            )
        body = self._body()
        if path == "message/send":
            return self.state.send(body)
        return self.state.update_card(body)

    def _body(self) -> dict[str, Any]:
        try:
            data = json.loads(self.request.body or b"")
        except ValueError:
            raise ApiError(47001, "data format error") from None
        if not isinstance(data, dict):
            raise ApiError(47001, "data format error")
        self.parsed = data
        return data

    def _media(self, media_id: str) -> None:
        media = self.state.get_media(media_id)
        self.set_header("Content-Type", media.content_type)
        self.set_header("Content-Disposition", f'attachment; filename="{media.filename}"')
        self.finish(media.data)

    def _json(self, data: dict[str, Any]) -> None:
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(data, ensure_ascii=False))


class PictureHandler(RequestHandler):
    """A photo a member sent (the PicUrl of an image message); no token, like WeCom's picture links."""

    def initialize(self, state: WeComState) -> None:
        self.state = state

    def get(self, media_id: str) -> None:
        media = self.state.media.get(media_id)
        if media is None:
            self.set_status(404)
            self.finish()
            return
        self.set_header("Content-Type", media.content_type)
        self.finish(media.data)


class WeComSandbox:
    """The fake WeCom API for one self-built app; nothing listens until `await start()`."""

    def __init__(
        self,
        *,
        corp_id: str = "wwsandbox",
        secret: str = "sandbox-secret",
        agent_id: int = 1000002,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.corp_id, self.secret, self.agent_id = corp_id, secret, agent_id
        self.host, self.port = host, port
        self.state = WeComState(corp_id=corp_id, secret=secret, agent_id=agent_id, clock=clock)
        self._http: HTTPServer | None = None
        self._sockets: list[socket.socket] = []

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/cgi-bin"

    @property
    def limits(self) -> Limits:
        return self.state.limits

    @property
    def calls(self) -> list[Call]:
        return self.state.calls

    @property
    def dropped(self) -> list[dict[str, Any]]:
        return self.state.dropped

    # -- members and what they received ---------------------------------------------------------------------
    def add_member(self, userid: str, name: str = "", label: str = "") -> Member:
        """A member of the corp who can use the app; sends to anyone else answer invaliduser."""
        return self.state.add_member(userid, name, label)

    def remove_member(self, userid: str) -> None:
        """The member left the corp: later sends to them answer 81013 (or list them in invaliduser)."""
        self.state.members.pop(userid.lower(), None)

    def member_list(self) -> list[Member]:
        return list(self.state.members.values())

    def messages(self, userid: str) -> list[dict[str, Any]]:
        """What the bot sent to that member, in order, template cards as last updated."""
        member = self.state.member(userid)
        return [d.view() for d in member.inbox] if member else []

    def card(self, userid: str, task_id: str) -> dict[str, Any]:
        """The member's card with that task_id (KeyError when there is none)."""
        for view in reversed(self.messages(userid)):
            if view["task_id"] == task_id:
                return view
        raise KeyError(f"{userid} has no card {task_id!r}")

    # -- faults ---------------------------------------------------------------------------------------------
    def fault(self, path: str, errcode: int, times: int = 1) -> None:
        """The next `times` calls of `path` ("message/send", "gettoken" …) answer `errcode` (nothing done)."""
        self.state.faults.setdefault(path.strip("/").removeprefix("cgi-bin/"), deque()).extend(
            [errcode] * times
        )

    def expire_tokens(self) -> None:
        """Every access token issued so far now answers 42001; gettoken issues a new one."""
        self.state.expire_tokens()

    def gettoken_calls(self) -> int:
        return sum(1 for c in self.state.calls if c.path == "gettoken")

    # -- lifecycle ------------------------------------------------------------------------------------------
    def application(self) -> Application:
        return Application(
            [
                (r"/cgi-bin/(.+)", WeComApiHandler, {"state": self.state}),
                (r"/sandbox/pic/([^/]+)", PictureHandler, {"state": self.state}),
            ],
            log_function=lambda handler: None,
            compress_response=False,
        )

    async def start(self) -> None:
        if self._http is not None:
            raise RuntimeError("the WeCom sandbox is already running")
        self._sockets = bind_sockets(self.port, self.host)
        self.port = self._sockets[0].getsockname()[1]
        self._http = HTTPServer(self.application(), max_body_size=30 * 1024 * 1024)
        self._http.add_sockets(self._sockets)

    async def stop(self) -> None:
        if self._http is None:
            return
        self._http.stop()
        await self._http.close_all_connections()
        self._http = None
        self.state.changed()  # wake the page's long polls

    async def __aenter__(self) -> WeComSandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
