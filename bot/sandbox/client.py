"""SandboxClient: acts as people's phones against a running sandbox, over HTTP only (the page's API)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import httpx

from bot.sandbox.records import Notifier, callback_key, chat_key

Predicate = Callable[[dict[str, Any]], bool]
T = TypeVar("T")
POLL_SLICE = 25.0
CONNECTIONS = 8


class SandboxError(RuntimeError):
    """The sandbox refused a request (the message is its answer)."""


def describe(messages: list[dict[str, Any]]) -> str:
    """A chat as readable lines, for failure messages."""
    lines = []
    for m in messages:
        who = "bot" if m.get("from_bot") else "user"
        body = (
            m.get("text")
            or m.get("caption")
            or next((f"[{k}]" for k in ("photo", "document", "contact", "location") if k in m), "[?]")
        )
        buttons = [
            b.get("text", "")
            for key in ("inline_keyboard", "keyboard")
            for row in (m.get("reply_markup") or {}).get(key, [])
            for b in row
        ]
        extra = f"  buttons={buttons}" if buttons else ""
        lines.append(f"  #{m['message_id']} {who}{' (edited)' if m.get('edited') else ''}: {body!r}{extra}")
    return "\n".join(lines) or "  (no messages)"


class EventFeed:
    """One long poll of the sandbox's event log (every chat), shared by all waits of a client: hundreds of
    people waiting at once cost one connection, not hundreds."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.since = 0
        self.by_chat: dict[int, list[dict[str, Any]]] = {}  # message events (snapshots), oldest first
        self.answers: dict[str, dict[str, Any]] = {}  # callback query id -> the bot's answer
        self._notifier = Notifier()  # wakes the waits of one chat / one callback query
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                response = await self.http.get("events", params={"since": self.since, "timeout": POLL_SLICE})
                response.raise_for_status()
                events = response.json()["events"]
                failures = 0
            except (httpx.HTTPError, ValueError):
                failures += 1
                await asyncio.sleep(min(2.0, 0.1 * failures))
                continue
            for event in events:
                self.since = max(self.since, int(event["rev"]))
                if event["kind"] == "message":
                    self.by_chat.setdefault(int(event["chat_id"]), []).append(event)
                    self._notifier.notify(chat_key(int(event["chat_id"])))
                elif event["kind"] == "callback_answer":
                    self.answers[str(event["id"])] = event["answer"]
                    self._notifier.notify(callback_key(str(event["id"])))

    async def wait(self, key: Hashable, check: Callable[[], T | None], timeout: float) -> T | None:  # noqa: ASYNC109
        """The first truthy `check()`, re-checked as events for `key` arrive, or None after `timeout` s."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="sandbox-client-feed")
        return await self._notifier.wait_until(key, check, timeout)

    def forget(self) -> None:
        self.by_chat.clear()
        self.answers.clear()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class SandboxClient:
    """Sends as users and reads what the bot sent. `wait_for` consumes bot messages in order, per chat."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.default_timeout = timeout
        self.http = httpx.AsyncClient(
            base_url=f"{self.base_url}/sandbox/api/",
            timeout=httpx.Timeout(POLL_SLICE + 15, connect=5.0),
            limits=httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS),
        )
        # chat id -> the revision after which wait_for looks for bot messages
        self._cursor: dict[int, int] = {}
        self.feed = EventFeed(self.http)
        # httpcore's pool works per queued request and connection on every step: queue here instead.
        self._slots = asyncio.Semaphore(CONNECTIONS - 1)  # one connection stays free for the feed

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.feed.close()
        await self.http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        async with self._slots:
            response = await self.http.request(method, path, **kwargs)
        data = response.json()
        if response.status_code == 408:
            raise TimeoutError(data.get("error", "timed out"))
        if response.status_code >= 400:
            raise SandboxError(f"{method} {path}: {response.status_code} {data.get('error', data)}")
        return data

    def _sent(self, chat_id: int, answer: dict[str, Any]) -> dict[str, Any]:
        self._cursor[chat_id] = max(self._cursor.get(chat_id, 0), int(answer["seq"]))
        return dict(answer["message"])

    @staticmethod
    def _chat(user_id: int, chat_id: int | None) -> int:
        return user_id if chat_id is None else chat_id

    # -- people ---------------------------------------------------------------------------------------------
    async def users(self) -> list[dict[str, Any]]:
        return list((await self._call("GET", "users"))["users"])

    async def add_user(self, **fields: Any) -> dict[str, Any]:
        """Add a user: id (optional: a new one), first_name, last_name, phone, label, language_code."""
        return dict(await self._call("POST", "users", json=fields))

    # -- what a person does ---------------------------------------------------------------------------------
    async def send_text(self, user_id: int, text: str, *, chat_id: int | None = None) -> dict[str, Any]:
        answer = await self._call("POST", "send", json={"user_id": user_id, "text": text, "chat_id": chat_id})
        return self._sent(self._chat(user_id, chat_id), answer)

    async def edit_text(
        self, user_id: int, message_id: int, text: str, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        """Edit a message this person sent (the bot gets an edited_message update)."""
        body = {"user_id": user_id, "message_id": message_id, "text": text, "chat_id": chat_id}
        answer = await self._call("POST", "edit", json=body)
        return dict(answer["message"])

    async def share_contact(
        self,
        user_id: int,
        phone: str | None = None,
        contact_user_id: int | None = None,
        *,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Share a contact: the user's own (default) or, with `contact_user_id`, a forged one."""
        payload = {"user_id": user_id, "phone": phone, "contact_user_id": contact_user_id, "chat_id": chat_id}
        return self._sent(self._chat(user_id, chat_id), await self._call("POST", "contact", json=payload))

    async def _upload(
        self, path: str, user_id: int, file: tuple[str, bytes, str], caption: str | None, chat_id: int | None
    ) -> dict[str, Any]:
        form = {"user_id": str(user_id), "mime_type": file[2]}
        if caption:
            form["caption"] = caption
        if chat_id is not None:
            form["chat_id"] = str(chat_id)
        answer = await self._call("POST", path, data=form, files={"file": file})
        return self._sent(self._chat(user_id, chat_id), answer)

    async def send_photo(
        self, user_id: int, data: bytes, caption: str | None = None, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        return await self._upload("photo", user_id, ("photo.jpg", data, "image/jpeg"), caption, chat_id)

    async def send_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
        *,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Send a file as a document (the bot gets `document` with file_name, mime_type and file_size)."""
        return await self._upload("document", user_id, (file_name, data, mime_type), caption, chat_id)

    async def send_location(
        self, user_id: int, latitude: float, longitude: float, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        payload = {"user_id": user_id, "latitude": latitude, "longitude": longitude, "chat_id": chat_id}
        return self._sent(self._chat(user_id, chat_id), await self._call("POST", "location", json=payload))

    async def press(
        self, user_id: int, message_id: int, callback_data: str, *, chat_id: int | None = None
    ) -> str:
        """Press a button with raw callback data (tests may forge it); returns the callback query id."""
        payload = {"user_id": user_id, "message_id": message_id, "data": callback_data, "chat_id": chat_id}
        answer = await self._call("POST", "press", json=payload)
        chat = self._chat(user_id, chat_id)
        self._cursor[chat] = max(self._cursor.get(chat, 0), int(answer["seq"]))
        return str(answer["callback_query_id"])

    async def press_button(
        self, user_id: int, message_id: int, label_contains: str, *, chat_id: int | None = None
    ) -> str:
        """Press the inline button of that bot message whose text contains `label_contains`."""
        messages = await self.messages(user_id, chat_id=chat_id)
        msg = next((m for m in messages if m["message_id"] == message_id), None)
        if msg is None:
            raise SandboxError(f"message {message_id} not found in the chat:\n{describe(messages)}")
        rows = (msg.get("reply_markup") or {}).get("inline_keyboard", [])
        button = next((b for row in rows for b in row if label_contains in b.get("text", "")), None)
        if button is None or "callback_data" not in button:
            raise SandboxError(f"no callback button containing {label_contains!r} in:\n{describe([msg])}")
        return await self.press(user_id, message_id, button["callback_data"], chat_id=chat_id)

    # -- what a person sees ---------------------------------------------------------------------------------
    async def chat(self, user_id: int, *, chat_id: int | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"user_id": user_id}
        if chat_id is not None:
            params["chat_id"] = chat_id
        return dict(await self._call("GET", "chat", params=params))

    async def messages(self, user_id: int, *, chat_id: int | None = None) -> list[dict[str, Any]]:
        return list((await self.chat(user_id, chat_id=chat_id))["messages"])

    async def wait_for(
        self,
        user_id: int,
        predicate: Predicate | None = None,
        *,
        after_message_id: int = 0,
        timeout: float | None = None,  # noqa: ASYNC109
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """The next bot message (new, or an edit of an earlier one) matching `predicate`.

        "Next" means after this client's last action in that chat (send, press...) and after the last
        message an earlier wait_for returned; `after_message_id` also skips messages with smaller ids.
        """
        chat = self._chat(user_id, chat_id)
        cursor, scanned = self._cursor.get(chat, 0), 0

        def check() -> dict[str, Any] | None:
            nonlocal scanned
            events = self.feed.by_chat.get(chat, [])
            while scanned < len(events):
                event, scanned = events[scanned], scanned + 1
                msg = event["message"]
                if event["rev"] <= cursor or not msg["from_bot"] or msg["deleted"]:
                    continue
                if msg["message_id"] > after_message_id and (predicate is None or predicate(msg)):
                    return dict(event)
            return None

        found = await self.feed.wait(
            chat_key(chat), check, self.default_timeout if timeout is None else timeout
        )
        if found is not None:
            self._cursor[chat] = max(self._cursor.get(chat, 0), found["rev"])
            return dict(found["message"])
        so_far = await self.messages(user_id, chat_id=chat_id)
        raise TimeoutError(
            f"no matching bot message in chat {chat} within the timeout; the chat:\n{describe(so_far)}"
        )

    async def callback_answer(self, callback_query_id: str, timeout: float | None = None) -> dict[str, Any]:  # noqa: ASYNC109
        """The bot's answerCallbackQuery for that press: {text, show_alert, url}; TimeoutError if none."""
        wait = self.default_timeout if timeout is None else timeout
        answer = await self.feed.wait(
            callback_key(callback_query_id), lambda: self.feed.answers.get(callback_query_id), wait
        )
        if answer is None:
            raise TimeoutError(f"the bot did not answer callback query {callback_query_id} within {wait} s")
        return dict(answer)

    async def commands(self, user_id: int, *, chat_id: int | None = None) -> list[dict[str, str]]:
        """The commands the bot set that this user sees in that chat (scope and language resolved)."""
        params: dict[str, Any] = {"user_id": user_id}
        if chat_id is not None:
            params["chat_id"] = chat_id
        return list((await self._call("GET", "commands", params=params))["commands"])

    # -- the sandbox itself ---------------------------------------------------------------------------------
    async def requests(self, method: str | None = None) -> list[dict[str, Any]]:
        params = {"method": method} if method else {}
        return list((await self._call("GET", "requests", params=params))["requests"])

    async def configure(
        self, limits: dict[str, Any] | None = None, faults: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return dict(await self._call("POST", "config", json={"limits": limits or {}, "faults": faults or {}}))

    async def stats(self) -> dict[str, Any]:
        return dict(await self._call("GET", "stats"))

    async def reset(self) -> None:
        await self._call("POST", "reset")
        self._cursor.clear()
        self.feed.forget()
