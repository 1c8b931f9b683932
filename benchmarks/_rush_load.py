"""The rush's load generator, in its own process: presses buttons in the sandbox on an open-loop schedule.

    python -m benchmarks._rush_load PLAN.json OUT.json

PLAN: {"base": URL, "spread": seconds, "presses": [[user_id, message_id, callback_data], ...]}. It prints
`loadgen ready`, waits for a line `go` on stdin, then sends press i at go + i·spread/N whether or not the
earlier presses were answered (open loop: a slow bot cannot slow the offered load down). Each press is a
`POST /sandbox/api/press` over a small pool of keep-alive HTTP/1.1 connections written with asyncio streams
(cheaper than an HTTP library, so the generator takes little CPU from the bot). OUT gets, per press:
user_id, the scheduled and actual send times (time.monotonic, the same CLOCK_MONOTONIC the sandbox's
request records use), the answer time, the HTTP status and the callback query id.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CONNECTIONS = 32


class Pool:
    """Keep-alive HTTP/1.1 connections to one host; one request at a time per connection."""

    def __init__(self, base: str, size: int) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.size = size
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened = 0
        self.free = asyncio.Semaphore(size)

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.idle:
            return self.idle.pop()
        self.opened += 1
        return await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        async with self.free:
            reader, writer = await self._connection()
            try:
                head = (
                    f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                ).encode()
                writer.write(head + body)
                status_line = await reader.readline()
                status = int(status_line.split()[1])
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                payload = await reader.readexactly(length)
            except BaseException:
                writer.close()
                raise
            self.idle.append((reader, writer))
            return status, payload

    async def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


async def run(plan: dict[str, Any]) -> list[dict[str, Any]]:
    pool = Pool(plan["base"], CONNECTIONS)
    presses = plan["presses"]
    spread = float(plan["spread"])
    step = spread / max(1, len(presses))
    await pool.request("GET", "/sandbox/api/stats")  # one connection open before the clock starts
    print("loadgen ready", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    if (await reader.readline()).strip() != b"go":
        raise SystemExit("expected 'go'")
    start = time.monotonic()
    results: list[dict[str, Any]] = [{} for _ in presses]

    async def press(index: int, user_id: int, message_id: int, data: str) -> None:
        body = json.dumps({"user_id": user_id, "message_id": message_id, "data": data}).encode()
        sent = time.monotonic()
        try:
            status, payload = await pool.request("POST", "/sandbox/api/press", body)
            query_id = json.loads(payload).get("callback_query_id") if status == 200 else None
            error = None if status == 200 else payload.decode("utf-8", "replace")[:200]
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            status, query_id, error = 0, None, repr(exc)
        results[index] = {
            "user_id": user_id,
            "scheduled": start + index * step,
            "sent": sent,
            "answered": time.monotonic(),
            "status": status,
            "query_id": query_id,
            "error": error,
        }

    tasks = []
    for index, (user_id, message_id, data) in enumerate(presses):
        delay = start + index * step - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(press(index, user_id, message_id, data)))
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=spread + 120)
    await pool.close()
    return results


def main(argv: list[str]) -> None:
    plan_path, out_path = Path(argv[0]), Path(argv[1])
    results = asyncio.run(run(json.loads(plan_path.read_text())))
    out_path.write_text(json.dumps(results))
    print("loadgen done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
