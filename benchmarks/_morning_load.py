"""The morning's load generator, in its own process: the members, reacting to what our bot sends them.

    python -m benchmarks._morning_load PLAN.json OUT.json

PLAN: {"ours": URL, "echo": URL, "members": N, "seed": int, "delay": [low, high], "reply_wait": s,
"idle": s, "limit": s}. At start it reads the echo sandbox's events for the echo bot's 「全部正常」 buttons
(one per chat, handed out before), then prints `loadgen ready` and from then on long-polls both sandboxes'
event streams (`GET /sandbox/api/events?since=…&timeout=…`). When our bot's checklist with a 「全部正常」
button appears in member i's chat, member i presses it after a human reaction delay drawn uniformly from
[low, high] seconds (seeded per chat: the same member reacts the same way in every run), and at the same
moment presses member i's button in the echo sandbox (`POST /sandbox/api/press` to both at once). The run
ends when all N members have pressed and both bots' answers (our receipt 「✅ 已确认…」, the echo's
reply) have been seen for every press; or `reply_wait` s after the last press; or when no checklist has
come for `idle` s; or after `limit` s. OUT: per member the time our checklist was seen, the scheduled
press, and per sandbox the press's send time (time.monotonic, the clock of the sandboxes' request
records), HTTP status and callback query id; plus how the run ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks._rush_load import Pool

ALL_FINE = "全部正常"
CONFIRMED = "✅ 已确认"
ECHO_REPLY = "✅ 已确认（echo）"
PRESS_CONNECTIONS = 16  # per sandbox
POLL_SECONDS = 5.0
LINGER = 1.0  # after the last answer, so late extras are recorded before the bot is stopped


def button_of(message: dict[str, Any]) -> str | None:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return next((str(b["callback_data"]) for r in rows for b in r if ALL_FINE in b.get("text", "")), None)


async def events(pool: Pool, since: int, timeout: float) -> list[dict[str, Any]]:  # noqa: ASYNC109
    status, payload = await pool.request("GET", f"/sandbox/api/events?since={since}&timeout={timeout:g}")
    if status != 200:
        raise RuntimeError(f"events answered {status}: {payload[:200]!r}")
    return list(json.loads(payload)["events"])


async def drain(pool: Pool, since: int = 0) -> tuple[int, list[dict[str, Any]]]:
    """Every event so far (no waiting); (last revision, events)."""
    found: list[dict[str, Any]] = []
    while batch := await events(pool, since, 0):
        found += batch
        since = int(batch[-1]["rev"])
    return since, found


class Morning:
    def __init__(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        self.members = int(plan["members"])
        self.low, self.high = (float(x) for x in plan["delay"])
        self.ours_press = Pool(plan["ours"], PRESS_CONNECTIONS)
        self.echo_press = Pool(plan["echo"], PRESS_CONNECTIONS)
        self.echo_buttons: dict[int, tuple[int, str]] = {}
        self.out: dict[int, dict[str, Any]] = {}  # chat → what happened
        self.pressed: set[int] = set()
        self.receipts: set[int] = set()
        self.replies: set[int] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.last_checklist = self.last_press = 0.0
        self.changed = asyncio.Event()

    def delay(self, chat: int) -> float:
        return random.Random(int(self.plan["seed"]) * 1_000_003 + chat).uniform(self.low, self.high)

    async def press(self, pool: Pool, chat: int, message_id: int, data: str) -> dict[str, Any]:
        body = json.dumps({"user_id": chat, "message_id": message_id, "data": data}).encode()
        sent = time.monotonic()
        try:
            status, payload = await pool.request("POST", "/sandbox/api/press", body)
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            return {"sent": sent, "status": 0, "query_id": None, "error": repr(exc)}
        ok = status == 200
        return {
            "sent": sent,
            "answered": time.monotonic(),
            "status": status,
            "query_id": json.loads(payload).get("callback_query_id") if ok else None,
            "error": None if ok else payload.decode("utf-8", "replace")[:200],
        }

    async def member(self, chat: int, message_id: int, data: str, seen: float) -> None:
        scheduled = seen + self.delay(chat)
        self.out[chat] = {"chat": chat, "seen": seen, "scheduled": scheduled, "message_id": message_id}
        await asyncio.sleep(max(0.0, scheduled - time.monotonic()))
        echo_message, echo_data = self.echo_buttons[chat]
        ours, echo = await asyncio.gather(
            self.press(self.ours_press, chat, message_id, data),
            self.press(self.echo_press, chat, echo_message, echo_data),
        )
        self.out[chat] |= {"ours": ours, "echo": echo}
        self.pressed.add(chat)
        self.last_press = time.monotonic()
        self.changed.set()

    async def watch_ours(self, pool: Pool, since: int) -> None:
        while True:
            batch = await events(pool, since, POLL_SECONDS)
            now = time.monotonic()
            for event in batch:
                since = int(event["rev"])
                message = event.get("message") if event["kind"] == "message" else None
                if not message or not message.get("from_bot"):
                    continue
                chat = int(event["chat_id"])
                data = button_of(message)
                if data is not None and chat not in self.out and chat in self.echo_buttons:
                    self.last_checklist = now
                    task = asyncio.create_task(self.member(chat, int(message["message_id"]), data, now))
                    self.tasks.add(task)
                    task.add_done_callback(self.tasks.discard)
                elif chat in self.out and str(message.get("text", "")).startswith(CONFIRMED):
                    # `out`, not `pressed`: the receipt can be recorded before the press's own answer returns
                    self.receipts.add(chat)
                    self.changed.set()

    async def watch_echo(self, pool: Pool, since: int) -> None:
        while True:
            for event in await events(pool, since, POLL_SECONDS):
                since = int(event["rev"])
                message = event.get("message") if event["kind"] == "message" else None
                if message and message.get("from_bot") and message.get("text") == ECHO_REPLY:
                    self.replies.add(int(event["chat_id"]))
                    self.changed.set()

    def ending(self, started: float) -> str | None:
        now = time.monotonic()
        if now - started > float(self.plan["limit"]):
            return "time limit"
        if len(self.pressed) >= self.members:
            if self.pressed <= self.receipts and self.pressed <= self.replies:
                return "all answered"
            if now - self.last_press > float(self.plan["reply_wait"]):
                return "answers still missing after the reply wait"
        elif self.out and not self.tasks and now - self.last_checklist > float(self.plan["idle"]):
            return "checklists stopped coming"
        return None

    async def run(self) -> dict[str, Any]:
        ours_poll, echo_poll = Pool(self.plan["ours"], 1), Pool(self.plan["echo"], 1)
        echo_since, found = await drain(echo_poll)
        for event in found:
            message = event.get("message") if event["kind"] == "message" else None
            if message and message.get("from_bot") and (data := button_of(message)) is not None:
                self.echo_buttons[int(event["chat_id"])] = (int(message["message_id"]), data)
        ours_since, _ = await drain(ours_poll)
        for pool in (self.ours_press, self.echo_press):  # one open connection each before the morning
            await pool.request("GET", "/sandbox/api/stats")
        print("loadgen ready", flush=True)
        started = time.monotonic()
        watchers = [
            asyncio.create_task(self.watch_ours(ours_poll, ours_since)),
            asyncio.create_task(self.watch_echo(echo_poll, echo_since)),
        ]
        try:
            while (reason := self.ending(started)) is None:
                if any(w.done() for w in watchers):
                    for w in watchers:
                        if w.done():
                            w.result()  # a watcher's error ends the run with it
                self.changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), 0.25)
            await asyncio.sleep(LINGER)
        finally:
            for task in [*watchers, *self.tasks]:
                task.cancel()
            await asyncio.gather(*watchers, *self.tasks, return_exceptions=True)
        for pool in (ours_poll, echo_poll, self.ours_press, self.echo_press):
            await pool.close()
        return {
            "end": reason,
            "echo_buttons": len(self.echo_buttons),
            "members": sorted(self.out.values(), key=lambda m: m["chat"]),
            "receipts_seen": len(self.receipts),
            "replies_seen": len(self.replies),
        }


def main(argv: list[str]) -> None:
    plan_path, out_path = Path(argv[0]), Path(argv[1])
    result = asyncio.run(Morning(json.loads(plan_path.read_text())).run())
    out_path.write_text(json.dumps(result))
    print("loadgen done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
