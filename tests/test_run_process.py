"""`safetybot run` as a process: without a token it serves the sandbox page with demo data, and SIGTERM
finishes the update in flight before the process ends cleanly."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from bot.sandbox import SandboxClient
from safety.texts import t

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _read_until(stream: asyncio.StreamReader, pattern: str, seconds: float) -> str:
    seen = []
    async with asyncio.timeout(seconds):
        while True:
            line = (await stream.readline()).decode()
            if not line:
                raise AssertionError("process ended early:\n" + "".join(seen))
            seen.append(line)
            if re.search(pattern, line):
                return line


async def test_run_serves_the_sandbox_and_stops_cleanly_on_sigterm(database_url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFETYBOT_")}
    env |= {
        "SAFETYBOT_SANDBOX_PORT": str(port),
        "SAFETYBOT_DATABASE_URL": database_url,
        "SAFETYBOT_DATA_DIR": str(tmp_path / "data"),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        line = await _read_until(proc.stdout, r"open http://127\.0\.0\.1:\d+/", 90)
        assert f"http://127.0.0.1:{port}/" in line
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            page = await http.get("/")
        assert page.status_code == 200 and 'data-testid="chat"' in page.text
        async with SandboxClient(f"http://127.0.0.1:{port}") as client:
            users = await client.users()
            assert len(users) >= 15, "the demo roster is in the picker"
            zhang = next(u for u in users if u["first_name"] == "张三")
            code = re.search(r"/start (\w+)", zhang["label"])
            assert code, zhang["label"]
            sent = await client.send_text(zhang["id"], f"/start {code.group(1)}")
            welcome = await client.wait_for(zhang["id"], after_message_id=sent["message_id"], timeout=20)
            assert "张三" in welcome["text"]
            # Make the bot's answer slow, ask for /help, and stop the process while that answer is in flight.
            await client.configure(faults={"latency": 2.0})
            sent = await client.send_text(zhang["id"], "/help")
            for _ in range(200):
                sending = await client.requests("sendMessage")
                if any(r["status"] == 0 for r in sending):
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the bot never started answering /help")
            proc.send_signal(signal.SIGTERM)
            title = t("zh-CN", "help.title", name="张三", roles="")[:3]
            reply = await client.wait_for(  # the round's checklist may come in between: today's round is open
                zhang["id"],
                predicate=lambda m: m["from_bot"] and str(m.get("text", "")).startswith(title),
                timeout=20,
            )
            assert reply["message_id"] > sent["message_id"]
        rest = await _read_until(proc.stdout, r"stopped cleanly", 60)
        assert "stopped cleanly" in rest
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
