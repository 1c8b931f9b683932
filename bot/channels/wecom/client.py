"""A thin asyncio client of the WeCom (企业微信) server API for one self-built app, on httpx.

(wechatpy is synchronous and knows no template cards.) The access token is cached and fetched again about
five minutes before WeCom's `expires_in`, one fetch at a time: concurrent callers wait for the same fetch.
A call answered 40014 / 42001 (token invalid / expired) drops that token and is tried once more with a fresh
one. `gettoken` is never called in a loop: a failed fetch is remembered for a while (45009 for a minute) and
callers get the same error without a new call. Errors are told by `errcode` only (errors.py); the secret and
the token appear in no log line and no exception text.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from bot.channels.wecom.errors import (
    BUSY,
    CONFIGURATION,
    FREQUENCY,
    RATE_LIMITS,
    TOKEN_ERRORS,
    WeComError,
)

logger = logging.getLogger(__name__)
REFRESH_EARLY = 300.0  # seconds before expires_in a token is fetched again
FAILED_FETCH_WAIT = 10.0  # a failed gettoken is not tried again before this (45009 / config faults: longer)
MEDIA_KINDS = frozenset({"image", "voice", "video", "file"})
SECRET_PARAMS = re.compile(r"(access_token|corpsecret)=[^&\s\"']+")


def redacted(text: str) -> str:
    """`text` with the token and the secret of any WeCom URL in it blanked."""
    return SECRET_PARAMS.sub(r"\1=***", text)


class _RedactUrls(logging.Filter):
    """On httpx's logger (it logs every request URL at INFO): WeCom URLs without token or secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redacted(str(arg)) if isinstance(arg, str | httpx.URL) else arg for arg in record.args
            )
        return True


def _redact_httpx_logs() -> None:
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactUrls) for f in httpx_logger.filters):
        httpx_logger.addFilter(_RedactUrls())


class WeComClient:
    def __init__(
        self,
        *,
        base_url: str,
        corp_id: str,
        secret: str,
        agent_id: int,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.corp_id = corp_id
        self._secret = secret
        self.agent_id = agent_id
        self._http = http
        self._own_http = http is None
        self.clock = clock
        self.timeout = timeout
        self._token: str | None = None
        self._expires_at = 0.0  # monotonic
        self._lock = asyncio.Lock()
        self._fetch_failed: tuple[float, WeComError] | None = None  # (until, error) of the last failed fetch
        self.token_fetches = 0
        _redact_httpx_logs()

    def __repr__(self) -> str:  # never the secret or the token
        return f"WeComClient(corp_id={self.corp_id!r}, agent_id={self.agent_id})"

    async def start(self) -> None:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout)
            self._own_http = True

    async def stop(self) -> None:
        if self._own_http and self._http is not None:
            await self._http.aclose()
            self._http = None

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            raise RuntimeError("WeComClient.start() was not called")
        return self._http

    # -- the access token ----------------------------------------------------------------------------------
    def _fresh(self) -> str | None:
        if self._token is not None and self.clock() < self._expires_at - REFRESH_EARLY:
            return self._token
        return None

    async def token(self) -> str:
        """The app's access token: the cached one, or one fetch shared by every caller that needs it."""
        if (token := self._fresh()) is not None:
            return token
        async with self._lock:
            if (token := self._fresh()) is not None:
                return token  # fetched by the caller we waited for
            if self._fetch_failed is not None:
                until, error = self._fetch_failed
                if self.clock() < until:
                    raise WeComError(error.errcode, error.errmsg)
                self._fetch_failed = None
            try:
                answer = await self._get_json(
                    "/gettoken", {"corpid": self.corp_id, "corpsecret": self._secret}
                )
            except WeComError as exc:
                wait = RATE_LIMITS.get(
                    exc.errcode, 60.0 if exc.errcode in CONFIGURATION else FAILED_FETCH_WAIT
                )
                self._fetch_failed = (self.clock() + wait, exc)
                logger.warning(
                    "wecom: gettoken failed with errcode %s; next try in %.0f s", exc.errcode, wait
                )
                raise
            self.token_fetches += 1
            token = str(answer["access_token"])
            self._token = token
            self._expires_at = self.clock() + float(answer.get("expires_in", 7200))
            return token

    def drop_token(self, token: str) -> None:
        """Forget `token` (WeCom said it is invalid), unless a newer one replaced it already."""
        if self._token == token:
            self._token = None
            self._expires_at = 0.0

    # -- calls ---------------------------------------------------------------------------------------------
    @staticmethod
    def _checked(response: httpx.Response) -> dict[str, Any]:
        _status_checked(response)
        try:
            answer = response.json()
        except ValueError as exc:
            raise WeComError(BUSY, "not JSON") from exc
        if not isinstance(answer, dict):
            raise WeComError(BUSY, "not a JSON object")
        code = int(answer.get("errcode", 0) or 0)
        if code != 0:
            raise WeComError(code, str(answer.get("errmsg", "")))
        return answer

    async def _request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """The HTTP request; a network failure becomes WeComError(-1) without the URL (it holds the token
        or the secret) and without the httpx exception chained."""
        try:
            return await self.http.request(method, self.base_url + path, **kw)
        except httpx.HTTPError as exc:
            error = WeComError(BUSY, type(exc).__name__)
        raise error

    async def _get_json(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        return self._checked(await self._request("GET", path, params=params))

    async def _call(
        self, method: str, path: str, *, json: Any = None, params: dict[str, str] | None = None, **kw: Any
    ) -> httpx.Response:
        """One call with the token; 40014 / 42001: a fresh token and one more try."""
        for attempt in (1, 2):
            token = await self.token()
            query = {"access_token": token, **(params or {})}
            response = await self._request(method, path, params=query, json=json, **kw)
            code = _errcode(response)
            if code in TOKEN_ERRORS and attempt == 1:
                logger.info("wecom: token refused (errcode %s); fetching a new one", code)
                self.drop_token(token)
                continue
            return response
        raise AssertionError("unreachable")

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._checked(await self._call("POST", path, json=body))

    async def send(self, message: dict[str, Any]) -> dict[str, Any]:
        """message/send (the app's agentid added); the answer has `msgid`, `invaliduser`, and for a
        template card the `response_code`."""
        return await self._post("/message/send", {**message, "agentid": self.agent_id})

    async def update_template_card(
        self, *, userids: Sequence[str], response_code: str, card: dict[str, Any]
    ) -> dict[str, Any]:
        body = {
            "userids": list(userids),
            "agentid": self.agent_id,
            "response_code": response_code,
            "template_card": card,
        }
        return await self._post("/message/update_template_card", body)

    async def replace_button(
        self, *, userids: Sequence[str], response_code: str, name: str
    ) -> dict[str, Any]:
        """update_template_card with `button.replace_name`: the pressed card shows `name` where its buttons
        were (answered: it cannot be pressed again)."""
        body = {
            "userids": list(userids),
            "agentid": self.agent_id,
            "response_code": response_code,
            "button": {"replace_name": name},
        }
        return await self._post("/message/update_template_card", body)

    async def upload_media(self, *, kind: str, filename: str, data: bytes) -> str:
        """media/upload (a temporary medium, kept 3 days by WeCom): its media_id."""
        if kind not in MEDIA_KINDS:
            raise ValueError(f"media kind {kind!r} not one of {sorted(MEDIA_KINDS)}")
        files = {"media": (filename, data, "application/octet-stream")}
        response = await self._call("POST", "/media/upload", params={"type": kind}, files=files)
        return str(self._checked(response)["media_id"])

    async def get_media(self, media_id: str) -> tuple[bytes, str]:
        """media/get: the file's content and content type (an error comes as a JSON body)."""
        response = await self._call("GET", "/media/get", params={"media_id": media_id})
        _status_checked(response)
        kind = response.headers.get("content-type", "application/octet-stream").split(";")[0].strip()
        if kind in ("application/json", "text/plain") and _errcode(response) is not None:
            self._checked(response)
        return response.content, kind


def _status_checked(response: httpx.Response) -> None:
    if response.status_code >= 400:
        raise WeComError(BUSY, f"HTTP {response.status_code}")


def _errcode(response: httpx.Response) -> int | None:
    """The errcode of a JSON answer (0: ok), None for a body that is not a WeCom JSON answer."""
    if not response.content.startswith(b"{"):
        return None
    try:
        answer = response.json()
    except ValueError:
        return None
    if not isinstance(answer, dict):
        return None
    return int(answer.get("errcode", 0) or 0)


__all__ = ["FREQUENCY", "WeComClient", "WeComError"]
