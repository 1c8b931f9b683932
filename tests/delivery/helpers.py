"""Shared pieces of the delivery tests: a team of bound people, outbox rows, what the sandbox delivered."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, insert, select

from bot.channels.telegram import TelegramChannel
from bot.sandbox import SandboxServer, SandboxUser
from jobs.dispatcher import DispatchConfig, Dispatcher
from jobs.send_budget import ChatShape, SendBudget
from safety.callbacks import derive_secret
from safety.outbox import Envelope, enqueue
from safety.views import Action, Text, View
from storage import org_queries
from storage.db import Database
from storage.models import ChatIdentity, OutboxMessage, Person, Unit

TOKEN = "777000:DELIVERY-test-token"
SECRET = derive_secret(TOKEN)
USER_BASE = 6_000_000  # sandbox user id (= private chat id) of person p: USER_BASE + p
ROOT = Path(__file__).resolve().parents[2]
# Quick retries and recovery, so that faults cost tests seconds, not minutes.
FAST = DispatchConfig(
    send_rate=300,
    backoff_base=0.05,
    backoff_cap=0.4,
    poll_interval=0.05,
    recover_every=0.5,
    lease=timedelta(seconds=5),
)
TELEGRAM = "telegram"


def scaled_budget(rate: float, scale: float = 10.0) -> SendBudget:
    """The send budget for a sandbox whose limits are scaled by `scale` (per chat too)."""
    return SendBudget(rate, private=ChatShape(scale, 2.0), group=ChatShape(scale * 20 / 60, 3.0))


def literal(text: str, buttons: Iterable[Iterable[tuple[str, str, str]]] = ()) -> View:
    """A view of plain text and buttons with plain labels (label, action, arg)."""
    rows = tuple(
        tuple(Action(Text("delivery.raw", value=label), a, arg) for label, a, arg in row) for row in buttons
    )
    return View((text,), rows)


def utcnow() -> datetime:
    return datetime.now(UTC)


def chat_of(person_id: int) -> int:
    return USER_BASE + person_id


@dataclass
class Team:
    unit_id: str
    leader: int
    members: list[int]


async def make_team(
    db: Database,
    members: int,
    *,
    unit_id: str = "team-a",
    server: SandboxServer | None = None,
    leader_language: str | None = None,
) -> Team:
    """A site with one team: a bound team leader and `members` bound staff (bulk inserts)."""
    async with db.session() as session:
        if await session.get(Unit, "site") is None:
            await org_queries.insert_units(session, units=[Unit(id="site", name="工地")])
        await org_queries.insert_units(session, units=[Unit(id=unit_id, name=unit_id, parent_id="site")])
        rows = [(f"{unit_id}-L", "班长老李", None, unit_id)]
        rows += [(f"{unit_id}-{i:05d}", f"工人{i}", None, unit_id) for i in range(members)]
        ids = await org_queries.insert_people(session, people=rows)
        leader = ids.pop(f"{unit_id}-L")
        if leader_language:
            person = await session.get(Person, leader)
            assert person is not None
            person.language = leader_language
        staff = sorted(ids.values())
        roles = [(leader, "team_leader", unit_id)] + [(p, "staff", unit_id) for p in staff]
        await org_queries.add_role_assignments(session, rows=roles)
        now = utcnow()
        identities = [
            {
                "person_id": p,
                "channel": "telegram",
                "external_id": str(chat_of(p)),
                "chat_id": str(chat_of(p)),
                "bound_at": now,
            }
            for p in [leader, *staff]
        ]
        for start in range(0, len(identities), 1000):
            await session.exec(insert(ChatIdentity), params=identities[start : start + 1000])
    if server is not None:
        for p in [leader, *staff]:
            server.add_user(SandboxUser(id=chat_of(p), first_name=f"P{p}"))
    return Team(unit_id=unit_id, leader=leader, members=staff)


def envelope(
    person_id: int, key: str, text: str | None = None, *, view: View | None = None, **kwargs: Any
) -> Envelope:
    view = view or literal(key if text is None else text)
    return Envelope(key=key, kind="test", person_id=person_id, view=view, **kwargs)


async def put(db: Database, envelopes: Iterable[Envelope]) -> int:
    async with db.session() as session:
        return await enqueue(session, list(envelopes), now=utcnow(), default_channel=TELEGRAM)


async def rows(db: Database) -> dict[str, OutboxMessage]:
    async with db.session() as session:
        return {r.key: r for r in (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))}


async def person(db: Database, person_id: int) -> Person:
    async with db.session() as session:
        found = await session.get(Person, person_id)
    assert found is not None
    return found


def delivered(server: SandboxServer, method: str = "sendMessage") -> list[dict[str, Any]]:
    """Parameters of the calls the sandbox carried out (answered 200, or timed out after delivering)."""
    return [r.params for r in server.requests if r.method == method and r.status == 200]


def per_chat(server: SandboxServer) -> Counter[int]:
    """Messages that arrived in each chat (what people saw), whatever the bot was told."""
    return Counter({chat_id: len(server.state.chat_messages(chat_id)) for chat_id in server.state.chats})


def texts_in(server: SandboxServer, chat_id: int) -> list[str]:
    return [m.content.get("text", "") for m in server.state.chat_messages(chat_id)]


@asynccontextmanager
async def dispatching(
    db: Database,
    server: SandboxServer,
    config: DispatchConfig = FAST,
    *,
    read_timeout: float = 10.0,
    **kwargs: Any,
) -> AsyncIterator[Dispatcher]:
    """A dispatcher with its Telegram channel against the sandbox (not started: the test runs it)."""
    channel = TelegramChannel.create(
        token=TOKEN, base_url=server.bot_api_base, secret=SECRET, read_timeout=read_timeout
    )
    await channel.start()
    kwargs.setdefault("budget", scaled_budget(config.send_rate))
    try:
        yield Dispatcher(db, channel, config, **kwargs)
    finally:
        await channel.stop()


def worker_command(database_url: str, server: SandboxServer, *extra: str) -> tuple[list[str], dict[str, str]]:
    """argv and environment of a worker process (the token goes through the environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFETYBOT_")}
    env |= {"SAFETYBOT_TELEGRAM_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    argv = [
        sys.executable,
        "-m",
        "bot.channels.worker",
        "--database-url",
        database_url,
        "--base-url",
        server.bot_api_base,
        *extra,
    ]
    return argv, env
