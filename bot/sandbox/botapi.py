"""The Bot API over HTTP: `/bot<TOKEN>/<method>` and `/file/bot<TOKEN>/<path>`, with faults and recording."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

from tornado.web import RequestHandler

from bot.sandbox.botsetup import SetupMethods
from bot.sandbox.calls import ApiError, Call, RecordedRequest, Runtime, Upload, decode
from bot.sandbox.limits import HTTP_REASONS, SENDING_METHODS
from bot.sandbox.markup import BadRequest
from bot.sandbox.methods import MessageMethods

UNAUTHORIZED = ApiError(401, "Unauthorized")
NOT_FOUND = ApiError(404, "Not Found")


class BotApi:
    """Runs one call: token, method lookup (case-insensitive, like Telegram), latency, faults, the method."""

    def __init__(self, rt: Runtime, token: str, max_recorded: int = 200_000) -> None:
        self.rt = rt
        self.token = token
        self.methods = {**SetupMethods(rt).table(), **MessageMethods(rt).table()}
        self._names = {name.lower(): name for name in self.methods}
        self.requests: list[RecordedRequest] = []
        self.max_recorded = max_recorded

    def canonical(self, name: str) -> str:
        return self._names.get(name.lower(), name)

    def record(self, method: str, params: dict[str, Any]) -> RecordedRequest:
        if len(self.requests) >= self.max_recorded:
            del self.requests[: self.max_recorded // 2]
        entry = RecordedRequest(method, params)
        self.requests.append(entry)
        return entry

    async def _hold(self, call: Call, seconds: float) -> None:
        state = self.rt.state
        await state.notifier.wait_until(call.wait_key, lambda: state.closing or call.closed, seconds)

    async def dispatch(self, token: str, call: Call) -> tuple[int, dict[str, Any]]:
        if token != self.token:
            return 401, UNAUTHORIZED.body()
        method = self.methods.get(call.method)
        if method is None:
            return 404, NOT_FOUND.body()
        faults, stats = self.rt.faults, self.rt.stats
        delay = faults.latency_now()
        if delay:
            await self._hold(call, delay)
        if faults.roll_timeout(call.method):
            stats.timeouts += 1
            if faults.timeout_delivers:
                with contextlib.suppress(ApiError, BadRequest):
                    await method(call)
            await self._hold(call, faults.timeout_hold)
            return 502, ApiError(502, "Bad Gateway").body()
        if faults.roll_error(call.method):
            stats.errors += 1
            status = faults.error_status
            description = faults.error_description or HTTP_REASONS.get(status, "Error")
            if status == 429:
                return 429, ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1}).body()
            return status, ApiError(status, description).body()
        try:
            result = await method(call)
        except ApiError as exc:
            return exc.status, exc.body()
        except BadRequest as exc:
            return 400, ApiError(400, f"Bad Request: {exc}").body()
        if call.method in SENDING_METHODS:
            stats.sent[call.method] += 1
        return 200, {"ok": True, "result": result}


def read_params(handler: RequestHandler) -> dict[str, Any]:
    """Query string plus body: form-urlencoded (values JSON-encoded when not strings), JSON or multipart."""
    request = handler.request
    raw: dict[str, Any] = {k: v[-1].decode("utf-8", "replace") for k, v in request.query_arguments.items()}
    content_type = request.headers.get("Content-Type", "")
    if content_type.startswith("application/json") and request.body:
        try:
            body = json.loads(request.body)
        except ValueError as exc:
            raise ApiError(400, "Bad Request: can't parse JSON object") from exc
        if isinstance(body, dict):
            raw.update(body)
    else:
        raw.update({k: v[-1].decode("utf-8", "replace") for k, v in request.body_arguments.items()})
        for name, files in request.files.items():
            raw[name] = Upload(files[0].filename, files[0].body, files[0].content_type)
    return decode(raw)


class BotApiHandler(RequestHandler):
    api: BotApi
    call: Call | None = None

    def initialize(self, api: BotApi) -> None:
        self.api = api

    def check_xsrf_cookie(self) -> None:
        return None

    def compute_etag(self) -> None:
        return None

    async def get(self, token: str, method: str) -> None:
        name = self.api.canonical(method)
        started = time.monotonic()
        try:
            params = read_params(self)
        except ApiError as exc:
            entry = self.api.record(name, {})
            status, body = exc.status, exc.body()
        else:
            entry = self.api.record(name, params)
            self.call = Call(name, params)
            status, body = await self.api.dispatch(token, self.call)
        entry.status, entry.duration = status, time.monotonic() - started
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, ensure_ascii=False))

    async def post(self, token: str, method: str) -> None:
        await self.get(token, method)

    def on_connection_close(self) -> None:
        if self.call is not None:
            self.call.closed = True
            self.api.rt.state.notifier.notify(self.call.wait_key)


class FileDownloadHandler(RequestHandler):
    api: BotApi

    def initialize(self, api: BotApi) -> None:
        self.api = api

    def get(self, token: str, path: str) -> None:
        error = UNAUTHORIZED if token != self.api.token else None
        record = None if error else self.api.rt.state.files.by_path(path)
        if record is None:
            error = error or NOT_FOUND
            self.set_status(error.status)
            self.finish(error.body())
            return
        self.set_header("Content-Type", record.mime_type)
        self.finish(record.data)
