"""Edits through the outbox (a digest updated as people catch up): the person's chat shows the newest text."""

from __future__ import annotations

import asyncio

from bot.sandbox import SandboxServer
from safety.views import View
from storage.db import Database
from tests.delivery.helpers import chat_of, dispatching, envelope, literal, make_team, put, rows

BUTTONS = [[("提醒", "nudge", "7"), ("已处理", "handled", "7")]]


def digest(done: int, buttons: list[list[tuple[str, str, str]]] = BUTTONS) -> View:
    return literal(f"爆破班 07:30 班前确认 {done}/10", buttons)


async def test_an_edit_changes_the_sent_message_and_only_the_newest_edit_is_sent(
    db: Database, sandbox: SandboxServer
) -> None:
    team = await make_team(db, 1, server=sandbox)
    leader = team.leader
    await put(db, [envelope(leader, "digest:1", view=digest(8))])
    async with dispatching(db, sandbox) as dispatcher, asyncio.timeout(15):
        await dispatcher.run_until_idle()
        (original,) = sandbox.state.chat_messages(chat_of(leader))
        assert original.content["text"].endswith("8/10")
        await put(
            db,
            [
                envelope(leader, "digest:1:v2", view=digest(9), edit_of="digest:1"),
                envelope(leader, "digest:1:v3", view=digest(10, []), edit_of="digest:1"),
            ],
        )
        await dispatcher.run_until_idle()
    (shown,) = sandbox.state.chat_messages(chat_of(leader))
    assert shown.message_id == original.message_id and shown.edit_date is not None
    assert shown.content["text"].endswith("10/10") and shown.reply_markup is None, "buttons gone too"
    assert len([r for r in sandbox.requests if r.method == "editMessageText"]) == 1
    stored = await rows(db)
    assert stored["digest:1:v2"].status == "sent" and "superseded" in (stored["digest:1:v2"].error or "")
    assert stored["digest:1:v3"].status == "sent"
    assert stored["digest:1:v3"].sent_message_id == original.message_id


async def test_an_edit_waits_for_its_message_to_be_sent(db: Database, sandbox: SandboxServer) -> None:
    team = await make_team(db, 1, server=sandbox)
    leader = team.leader
    await put(
        db,
        [
            envelope(leader, "digest:2", view=digest(3)),
            envelope(leader, "digest:2:v2", view=digest(4), edit_of="digest:2"),
        ],
    )
    async with dispatching(db, sandbox) as dispatcher, asyncio.timeout(15):
        await dispatcher.run_until_idle()
    (shown,) = sandbox.state.chat_messages(chat_of(leader))
    assert shown.content["text"].endswith("4/10")
    assert {r.status for r in (await rows(db)).values()} == {"sent"}


async def test_an_unchanged_edit_counts_as_done(db: Database, sandbox: SandboxServer) -> None:
    team = await make_team(db, 1, server=sandbox)
    await put(db, [envelope(team.leader, "digest:3", view=digest(5))])
    async with dispatching(db, sandbox) as dispatcher, asyncio.timeout(15):
        await dispatcher.run_until_idle()
        await put(db, [envelope(team.leader, "digest:3:v2", view=digest(5), edit_of="digest:3")])
        await dispatcher.run_until_idle()
    edits = [r for r in sandbox.requests if r.method == "editMessageText"]
    assert [r.status for r in edits] == [400], "Telegram: message is not modified"
    row = (await rows(db))["digest:3:v2"]
    assert (row.status, row.attempts) == ("sent", 0)


async def test_an_edit_of_a_failed_or_unknown_message_fails(db: Database, sandbox: SandboxServer) -> None:
    team = await make_team(db, 1, server=sandbox)
    await put(
        db,
        [
            envelope(team.leader, "refused", ""),  # 400: empty text
            envelope(team.leader, "refused:v2", "now with text", edit_of="refused"),
            envelope(team.leader, "ghost:v2", "edit of nothing", edit_of="ghost"),
        ],
    )
    async with dispatching(db, sandbox) as dispatcher, asyncio.timeout(15):
        await dispatcher.run_until_idle()
    stored = await rows(db)
    assert (stored["refused:v2"].status, stored["refused:v2"].error) == ("failed", "edit target failed")
    assert (stored["ghost:v2"].status, stored["ghost:v2"].error) == ("failed", "edit target unknown")
    assert not [r for r in sandbox.requests if r.method == "editMessageText"]
