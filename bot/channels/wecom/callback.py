"""The WeCom callback URL (SAFETYBOT_WECOM_CALLBACK_PATH): the URL check and the encrypted messages.

WeCom wants an answer within about a second (the URL check) to five seconds (messages, else it retries up
to three times), so a POST is verified and decrypted, answered at once and processed after, in a task of
its own. A callback is processed once: its dedupe key (events.dedupe_key) goes into WeComSeen with an
insert that ignores a conflict, so WeCom's retries, a replay and the same callback reaching two processes
come to nothing; only the first hands the message to the sink. The seen keys are kept 3 days, and a
callback signed more than 2 days ago is refused, so a replay of a forgotten one is refused as well.

Nothing is processed unless the signature holds (403); bodies over 64 KB are refused (413).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import tornado.web

from bot.channels.wecom.crypto import CryptoError, WeComCrypto
from bot.channels.wecom.events import Inbound, dedupe_key, parse
from storage.db import Database
from storage.wecom_queries import first_time, prune_seen

logger = logging.getLogger(__name__)

Sink = Callable[[Inbound], Awaitable[None]]

MAX_BODY = 64 * 1024
KEEP_SEEN = timedelta(days=3)
MAX_AGE = timedelta(days=2)  # older signed timestamps are refused (their seen keys may be pruned)
PRUNE_EVERY = timedelta(hours=1)


def utc_now() -> datetime:
    return datetime.now(UTC)


class CallbackEndpoint:
    """The callback's logic, free of HTTP: `get`/`post` take the query and body and return (status, body)."""

    def __init__(
        self,
        crypto: WeComCrypto,
        database: Database,
        sink: Sink,
        *,
        clock: Callable[[], datetime] = utc_now,
        max_age: timedelta | None = MAX_AGE,
    ) -> None:
        self.crypto = crypto
        self.database = database
        self.sink = sink
        self.clock = clock
        self.max_age = max_age
        self._tasks: set[asyncio.Task[None]] = set()
        self._pruned_at: datetime | None = None

    async def get(self, query: Mapping[str, str]) -> tuple[int, str]:
        """URL verification: the decrypted echostr as plain text, or 403."""
        try:
            echostr = query["echostr"].replace(" ", "+")  # an unescaped "+" arrives as a space
            plain = self.crypto.verify_url(
                msg_signature=query["msg_signature"],
                timestamp=query["timestamp"],
                nonce=query["nonce"],
                echostr=echostr,
            )
        except KeyError:
            return 400, ""
        except CryptoError as exc:
            logger.warning("wecom URL check refused: %s", exc)
            return 403, ""
        return 200, plain

    async def post(self, query: Mapping[str, str], body: bytes) -> tuple[int, str]:
        """A message or event: refused (403) unless signed and ours; else answered "" at once and processed
        after, once per dedupe key."""
        if len(body) > MAX_BODY:
            return 413, ""
        try:
            timestamp = query["timestamp"]
            inner = self.crypto.decrypt_message(
                msg_signature=query["msg_signature"], timestamp=timestamp, nonce=query["nonce"], body=body
            )
        except KeyError:
            return 400, ""
        except CryptoError as exc:
            logger.warning("wecom callback refused: %s", exc)
            return 403, ""
        if self._too_old(timestamp):
            logger.warning("wecom callback refused: signed at %s, too long ago", timestamp)
            return 403, ""
        item = parse(inner)
        if item is not None:
            task = asyncio.get_running_loop().create_task(self._process(item))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return 200, ""

    def _too_old(self, timestamp: str) -> bool:
        if self.max_age is None:
            return False
        try:
            signed = datetime.fromtimestamp(int(timestamp), UTC)
        except (ValueError, OverflowError, OSError):
            return True
        return signed < self.clock() - self.max_age

    async def _process(self, item: Inbound) -> None:
        try:
            now = self.clock()
            async with self.database.session() as session:
                first = await first_time(session, key=dedupe_key(item), now=now)
            if first:
                await self.sink(item)
            await self._prune(now)
        except Exception:
            logger.exception("wecom callback from %s failed", item.userid)

    async def _prune(self, now: datetime) -> None:
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        async with self.database.session(background=True) as session:
            await prune_seen(session, before=now - KEEP_SEEN)

    async def drain(self) -> None:
        """Wait for the callbacks being processed (tests; shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def tornado_handler(endpoint: CallbackEndpoint) -> type[tornado.web.RequestHandler]:
    """A RequestHandler class serving `endpoint` (mount it at the callback path). The body is streamed so a
    body over 64 KB is refused without being read."""

    @tornado.web.stream_request_body
    class WeComCallbackHandler(tornado.web.RequestHandler):
        _chunks: list[bytes]
        _size: int
        _refused: bool

        def check_xsrf_cookie(self) -> None:
            return None

        def compute_etag(self) -> None:
            return None

        def prepare(self) -> None:
            self._chunks, self._size, self._refused = [], 0, False
            connection: Any = self.request.connection
            if hasattr(connection, "set_max_body_size"):  # a hard cap: past it the connection is dropped
                connection.set_max_body_size(4 * MAX_BODY)
            declared = self.request.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_BODY:
                self._answer(413, "")

        def data_received(self, chunk: bytes) -> None:
            self._size += len(chunk)
            if self._size > MAX_BODY:
                self._refused = True
                self._chunks = []
            elif not self._refused:
                self._chunks.append(chunk)

        def _query(self) -> dict[str, str]:
            return {name: self.get_query_argument(name) for name in self.request.query_arguments}

        def _answer(self, status: int, text: str) -> None:
            self.set_status(status)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(text)

        async def get(self) -> None:
            self._answer(*await endpoint.get(self._query()))

        async def post(self) -> None:
            if self._refused:
                self._answer(413, "")
                return
            self._answer(*await endpoint.post(self._query(), b"".join(self._chunks)))

    return WeComCallbackHandler
