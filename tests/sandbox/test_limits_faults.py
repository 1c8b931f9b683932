"""Flood limits (429 with retry_after) and injected faults (5xx, 403, timeouts, latency), set at run time."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.sandbox import Faults, SandboxClient, SandboxError, SandboxServer, SandboxUser
from tests.sandbox.conftest import LI, ZHANG, BotCall


def too_many(seconds: int) -> dict[str, object]:
    return {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {seconds}",
        "parameters": {"retry_after": seconds},
    }


async def burst(bot_call: BotCall, chat_id: int, count: int) -> list[tuple[int, dict[str, object]]]:
    return list(
        await asyncio.gather(*(bot_call("sendMessage", chat_id=chat_id, text=f"m{i}") for i in range(count)))
    )


async def test_private_chat_burst_gets_429_and_scale_lifts_it(
    sandbox: SandboxServer, bot_call: BotCall
) -> None:
    answers = await burst(bot_call, ZHANG.id, 3)
    limited = [body for status, body in answers if status == 429]
    assert limited and all(body == too_many(1) for body in limited)
    assert sum(status == 200 for status, _ in answers) == 3 - len(limited)
    assert sandbox.stats.rate_limited == len(limited)
    assert sandbox.stats.rate_limited_by_method["sendMessage"] == len(limited)
    assert sandbox.stats.sent["sendMessage"] == 3 - len(limited)
    # Honouring retry_after works: after it, the chat takes a message again.
    await asyncio.sleep(1.0)
    assert (await bot_call("sendMessage", chat_id=ZHANG.id, text="later"))[0] == 200

    sandbox.limits.scale = 100
    assert all(status == 200 for status, _ in await burst(bot_call, ZHANG.id, 3))
    sandbox.limits.scale = 1
    sandbox.limits.enabled = False
    assert all(status == 200 for status, _ in await burst(bot_call, ZHANG.id, 5))


async def test_group_limit_is_twenty_per_minute(sandbox: SandboxServer, bot_call: BotCall) -> None:
    sandbox.add_group(-1001, "班组群", [ZHANG.id])
    answers = await burst(bot_call, -1001, 21)
    assert sum(status == 200 for status, _ in answers) == 20
    [limited] = [body for status, body in answers if status == 429]
    assert limited == too_many(3)  # one message per 3 s refills the bucket
    assert (await bot_call("sendChatAction", chat_id=-1001, action="typing"))[0] == 200  # not counted


async def test_overall_limit_is_thirty_per_second(sandbox: SandboxServer, bot_call: BotCall) -> None:
    for uid in range(5000, 5031):
        sandbox.add_user(SandboxUser(id=uid, first_name=f"U{uid}"))
    answers = await asyncio.gather(
        *(bot_call("sendMessage", chat_id=uid, text="开工") for uid in range(5000, 5031))
    )
    statuses = [status for status, _ in answers]
    assert statuses.count(200) == 30 and statuses.count(429) == 1
    assert [body for status, body in answers if status == 429] == [too_many(1)]


async def test_error_rate_answers_500_for_sending_methods_only(
    sandbox: SandboxServer, bot_call: BotCall
) -> None:
    sandbox.faults.error_rate = 1.0
    assert await bot_call("sendMessage", chat_id=ZHANG.id, text="x") == (
        500,
        {"ok": False, "error_code": 500, "description": "Internal Server Error"},
    )
    assert (await bot_call("getMe"))[0] == 200
    sandbox.faults.methods = None  # every method
    sandbox.faults.error_status = 502
    assert await bot_call("getMe") == (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
    assert sandbox.stats.errors == 2 and sandbox.state.chat_messages(ZHANG.id) == []


async def test_blocked_user_answers_403(sandbox: SandboxServer, bot_call: BotCall) -> None:
    sandbox.faults.blocked_users.add(ZHANG.id)
    forbidden = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
    assert await bot_call("sendMessage", chat_id=ZHANG.id, text="x") == (403, forbidden)
    assert await bot_call("sendChatAction", chat_id=ZHANG.id, action="typing") == (403, forbidden)
    assert (await bot_call("sendMessage", chat_id=LI.id, text="x"))[0] == 200
    assert sandbox.stats.blocked == 2


async def test_timeouts_hold_then_502_and_may_still_deliver(
    sandbox: SandboxServer, bot_call: BotCall
) -> None:
    sandbox.faults.timeout_rate = 1.0
    sandbox.faults.timeout_hold = 0.3
    started = time.monotonic()
    status, body = await bot_call("sendMessage", chat_id=ZHANG.id, text="lost")
    assert (status, body["description"]) == (502, "Bad Gateway")
    assert time.monotonic() - started >= 0.3
    assert sandbox.state.chat_messages(ZHANG.id) == []
    sandbox.faults.timeout_delivers = True
    assert (await bot_call("sendMessage", chat_id=ZHANG.id, text="arrived"))[0] == 502
    assert [m.content["text"] for m in sandbox.state.chat_messages(ZHANG.id)] == ["arrived"]
    assert sandbox.stats.timeouts == 2


async def test_latency_applies_to_every_call(sandbox: SandboxServer, bot_call: BotCall) -> None:
    sandbox.faults.latency = 0.2
    started = time.monotonic()
    assert (await bot_call("getMe"))[0] == 200
    assert time.monotonic() - started >= 0.2


async def test_seeded_faults_repeat(bot_call: BotCall, sandbox: SandboxServer) -> None:
    sandbox.limits.enabled = False

    async def run() -> list[int]:
        sandbox.faults = Faults(error_rate=0.5, seed=42)
        return [(await bot_call("sendMessage", chat_id=ZHANG.id, text=str(i)))[0] for i in range(12)]

    first, second = await run(), await run()
    assert first == second and set(first) == {200, 500}


async def test_config_requests_and_stats_over_http(
    sandbox: SandboxServer, client: SandboxClient, bot_call: BotCall
) -> None:
    config = await client.configure(limits={"scale": 100}, faults={"blocked_users": [LI.id], "methods": None})
    assert config["limits"]["scale"] == 100 and config["faults"]["blocked_users"] == [LI.id]
    assert (
        sandbox.limits.scale == 100
        and sandbox.faults.blocked_users == {LI.id}
        and sandbox.faults.methods is None
    )
    with pytest.raises(SandboxError, match="unknown Limits field 'speed'"):
        await client.configure(limits={"speed": 3})
    with pytest.raises(SandboxError, match="error_rate"):
        await client.configure(faults={"error_rate": "lots"})
    await bot_call("sendMessage", chat_id=LI.id, text="x")
    await bot_call("sendMessage", chat_id=ZHANG.id, text="y")
    recorded = await client.requests("sendMessage")
    assert [(r["params"]["chat_id"], r["status"]) for r in recorded] == [(LI.id, 403), (ZHANG.id, 200)]
    stats = await client.stats()
    assert stats["blocked"] == 1 and stats["sent"] == {"sendMessage": 1}
    await client.reset()
    assert sandbox.requests == [] and sandbox.state.chat_messages(ZHANG.id) == []
