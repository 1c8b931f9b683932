"""A burst to 30 people under Telegram's real limits: each message arrives exactly once, none is refused."""

from __future__ import annotations

import asyncio

from bot.sandbox import Limits, SandboxServer
from jobs.dispatcher import DispatchConfig
from jobs.send_budget import SendBudget
from safety import callbacks
from safety.outbox import Envelope
from storage.db import Database
from tests.delivery.helpers import (
    SECRET,
    chat_of,
    dispatching,
    envelope,
    literal,
    make_team,
    put,
    rows,
    texts_in,
)

ROUNDS = 3  # messages per person: more than the sandbox's per-chat burst of 2, so per-chat pacing matters


async def test_burst_to_30_people_arrives_exactly_once_without_429(
    db: Database, sandbox: SandboxServer
) -> None:
    sandbox.limits = Limits()  # Telegram's: 30/s overall, 1/s per private chat (burst 2)
    team = await make_team(db, 29, server=sandbox)
    people = [team.leader, *team.members]
    assert len(people) == 30
    await put(
        db,
        [
            envelope(p, f"round:{r}:person:{p}", f"第{r}轮 班前安全确认 {p}")
            for r in range(ROUNDS)
            for p in people
        ],
    )
    config = DispatchConfig(send_rate=30, poll_interval=0.05)
    async with dispatching(db, sandbox, config, budget=SendBudget(30)) as dispatcher:
        async with asyncio.timeout(30):
            stats = await dispatcher.run_until_idle()
    assert sandbox.stats.rate_limited == 0, sandbox.stats.as_dict()
    for p in people:
        assert texts_in(sandbox, chat_of(p)) == [f"第{r}轮 班前安全确认 {p}" for r in range(ROUNDS)]
    stored = await rows(db)
    assert {r.status for r in stored.values()} == {"sent"}
    assert all(
        r.sent_chat_id == str(chat_of(r.person_id or 0)) and r.sent_message_id for r in stored.values()
    )
    assert stats.sent == 30 * ROUNDS
    # Paced at the limit: 90 messages at 30/s (after the small first burst) take at least ~2.7 s.
    assert stats.first_send is not None and stats.last_send is not None
    assert stats.last_send - stats.first_send >= (30 * ROUNDS - 8) / 30 - 0.1


async def test_buttons_are_signed_for_the_recipient_and_groups_for_nobody(
    db: Database, sandbox: SandboxServer
) -> None:
    team = await make_team(db, 1, server=sandbox)
    group_chat = -100500
    sandbox.add_group(group_chat, "甲班群", [chat_of(team.leader)])
    message = literal("请确认", [[("全部正常", "ck", "12"), ("有异常", "ckx", "12")]])
    await put(db, [envelope(team.members[0], "private", view=message)])
    await put(db, [Envelope(key="group", kind="digest", chat_id=str(group_chat), view=message)])
    async with dispatching(db, sandbox) as dispatcher, asyncio.timeout(10):
        await dispatcher.run_until_idle()
    (private,) = sandbox.state.chat_messages(chat_of(team.members[0]))
    (group,) = sandbox.state.chat_messages(group_chat)
    for msg, signer in ((private, team.members[0]), (group, 0)):
        assert msg.reply_markup is not None
        labels = [b["text"] for row in msg.reply_markup["inline_keyboard"] for b in row]
        assert labels == ["全部正常", "有异常"]
        data = msg.reply_markup["inline_keyboard"][0][0]["callback_data"]
        assert callbacks.decode(SECRET, person_id=signer, data=data) == callbacks.Callback("ck", "12")
        assert callbacks.decode(SECRET, person_id=signer + 1, data=data) is None
