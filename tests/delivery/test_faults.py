"""Faults on the way out: what people receive and what is stored when Telegram answers 429, 5xx, times
out, says the person blocked the bot (403), or refuses a message (400)."""

from __future__ import annotations

import asyncio
import dataclasses

from sqlmodel import delete, update

from bot.sandbox import Faults, SandboxServer
from safety.texts import t
from storage.db import Database
from storage.models import ChatIdentity, Person
from tests.delivery.helpers import (
    FAST,
    chat_of,
    dispatching,
    envelope,
    make_team,
    per_chat,
    person,
    put,
    rows,
    texts_in,
)

IN_FLIGHT = 0.25  # seconds after a 429's answer in which sends already on their way may still arrive


async def test_429_pauses_every_send_and_everything_still_arrives_once(
    db: Database, sandbox: SandboxServer
) -> None:
    team = await make_team(db, 15, server=sandbox)
    sandbox.faults = Faults(error_rate=0.25, error_status=429, seed=3)  # answers "retry after 1"
    await put(db, [envelope(p, f"open:{p}") for p in team.members])
    async with dispatching(db, sandbox) as dispatcher, asyncio.timeout(30):
        stats = await dispatcher.run_until_idle()
    refused = [r for r in sandbox.requests if r.method == "sendMessage" and r.status == 429]
    assert refused and stats.rate_limited == len(refused) == sandbox.stats.errors
    assert all(per_chat(sandbox)[chat_of(p)] == 1 for p in team.members)
    stored = await rows(db)
    assert {r.status for r in stored.values()} == {"sent"}
    assert {r.attempts for r in stored.values()} == {0}, "waiting for a 429 is not a failed attempt"
    # The whole bot paused: after a 429 came back only the sends already in flight arrived (fewer than
    # `concurrency`, each ~10 ms of CPU apart on a busy machine), then none for the rest of the second.
    starts = sorted(r.at for r in sandbox.requests if r.method == "sendMessage")
    for r in refused:
        answered = r.at + r.duration
        in_flight = [s for s in starts if answered < s <= answered + IN_FLIGHT]
        assert len(in_flight) < FAST.concurrency, "sends that were not in flight went on"
        assert not [s for s in starts if answered + IN_FLIGHT < s < answered + 0.95], "a send did not pause"


async def test_server_errors_are_retried_with_backoff_until_delivered(
    db: Database, sandbox: SandboxServer
) -> None:
    team = await make_team(db, 20, server=sandbox)
    sandbox.faults = Faults(error_rate=0.3, error_status=500, seed=5)
    await put(db, [envelope(p, f"open:{p}") for p in team.members])
    async with dispatching(db, sandbox) as dispatcher, asyncio.timeout(30):
        stats = await dispatcher.run_until_idle()
    assert sandbox.stats.errors > 0
    assert all(per_chat(sandbox)[chat_of(p)] == 1 for p in team.members)
    stored = await rows(db)
    assert {r.status for r in stored.values()} == {"sent"}
    assert sum(r.attempts for r in stored.values()) == sandbox.stats.errors == stats.retried


async def test_a_row_that_keeps_failing_gives_up_after_max_attempts(
    db: Database, sandbox: SandboxServer
) -> None:
    team = await make_team(db, 1, server=sandbox)
    sandbox.faults = Faults(error_rate=1.0, error_status=503)
    await put(db, [envelope(team.members[0], "doomed")])
    config = dataclasses.replace(FAST, max_attempts=3)
    async with dispatching(db, sandbox, config) as dispatcher, asyncio.timeout(20):
        await dispatcher.run_until_idle()
    row = (await rows(db))["doomed"]
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.error and "Service Unavailable" in row.error
    assert len([r for r in sandbox.requests if r.method == "sendMessage"]) == 3


async def test_timeouts_are_retried_and_duplicates_never_exceed_the_timeouts(
    db: Database, sandbox: SandboxServer
) -> None:
    team = await make_team(db, 20, server=sandbox)
    # A timed-out call is carried out before the answer is lost: the message arrives, the bot cannot know.
    # The read timeout is well above a loaded machine's slowest answer, so only the sandbox's holds time out.
    sandbox.faults = Faults(timeout_rate=0.25, timeout_hold=2.0, timeout_delivers=True, seed=7)
    await put(db, [envelope(p, f"open:{p}") for p in team.members])
    async with dispatching(db, sandbox, read_timeout=1.0) as dispatcher, asyncio.timeout(40):
        stats = await dispatcher.run_until_idle()
    received = per_chat(sandbox)
    assert all(received[chat_of(p)] >= 1 for p in team.members), "at least once"
    duplicates = sum(received[chat_of(p)] - 1 for p in team.members)
    assert sandbox.stats.timeouts > 0 and stats.retried == sandbox.stats.timeouts
    assert duplicates == sandbox.stats.timeouts, "each timeout that delivered adds one copy, no more"
    stored = await rows(db)
    assert {r.status for r in stored.values()} == {"sent"}
    for row in stored.values():  # a row is duplicated at most once per timed-out attempt
        assert received[chat_of(row.person_id or 0)] - 1 <= row.attempts


async def test_blocked_person_is_marked_unreachable_and_the_team_leader_is_told(
    db: Database, sandbox: SandboxServer
) -> None:
    team = await make_team(db, 3, server=sandbox, leader_language="en")
    blocked = team.members[0]
    sandbox.faults = Faults(blocked_users={chat_of(blocked)})
    await put(db, [envelope(p, f"open:{p}", "班前安全确认") for p in team.members])
    async with dispatching(db, sandbox) as dispatcher, asyncio.timeout(20):
        stats = await dispatcher.run_until_idle()
        assert stats.unreachable == 1
        stored = await rows(db)
        assert stored[f"open:{blocked}"].status == "failed"
        assert "unreachable" in (stored[f"open:{blocked}"].error or "")
        assert (await person(db, blocked)).unreachable
        assert not any([(await person(db, p)).unreachable for p in team.members[1:]])
        for p in team.members[1:]:
            assert texts_in(sandbox, chat_of(p)) == ["班前安全确认"]
        blocked_person = await person(db, blocked)
        notice = t(
            "en",
            "delivery.unreachable_notice",
            name=blocked_person.name,
            employee_no=blocked_person.employee_no,
        )
        assert texts_in(sandbox, chat_of(team.leader)) == [notice], "the leader, in the leader's language"
        # Later messages to that person fail at once, without asking Telegram, and tell nobody again.
        await put(db, [envelope(blocked, "reminder")])
        await dispatcher.run_until_idle()
    assert (await rows(db))["reminder"].status == "failed"
    assert sandbox.stats.blocked == 1
    assert texts_in(sandbox, chat_of(team.leader)) == [notice]


async def test_a_refused_message_is_recorded_and_not_retried(db: Database, sandbox: SandboxServer) -> None:
    team = await make_team(db, 3, server=sandbox)
    empty, long, fine = team.members
    await put(db, [envelope(empty, "empty", ""), envelope(long, "long", "长" * 5000), envelope(fine, "fine")])
    async with dispatching(db, sandbox) as dispatcher, asyncio.timeout(20):
        stats = await dispatcher.run_until_idle()
    stored = await rows(db)
    assert stored["empty"].status == "failed" and (stored["empty"].error or "").startswith("rejected:")
    assert stored["empty"].attempts == 1 and "empty" in (stored["empty"].error or "")
    assert stats.rejected == 1
    (cut,) = texts_in(sandbox, chat_of(long))  # over Telegram's 4096 characters: cut, not lost
    assert stored["long"].status == "sent" and len(cut) == 4096 and cut.endswith("…")
    sends = [r.params["chat_id"] for r in sandbox.requests if r.method == "sendMessage"]
    assert sorted(sends) == sorted([chat_of(empty), chat_of(long), chat_of(fine)]), "one try each"
    assert texts_in(sandbox, chat_of(fine)) == ["fine"]


async def test_unbound_and_inactive_people_fail_without_a_send(db: Database, sandbox: SandboxServer) -> None:
    team = await make_team(db, 2, server=sandbox)
    async with db.session() as session:
        await session.exec(delete(ChatIdentity).where(ChatIdentity.person_id == team.members[0]))
        await session.exec(update(Person).where(Person.id == team.members[1]).values(active=False))
    await put(db, [envelope(team.members[0], "unbound"), envelope(team.members[1], "inactive")])
    async with dispatching(db, sandbox) as dispatcher, asyncio.timeout(10):
        await dispatcher.run_until_idle()
    stored = await rows(db)
    assert (stored["unbound"].status, stored["unbound"].error) == ("failed", "unbound")
    assert (stored["inactive"].status, stored["inactive"].error) == ("failed", "inactive")
    assert not [r for r in sandbox.requests if r.method == "sendMessage"]
