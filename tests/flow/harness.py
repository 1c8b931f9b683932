"""A running bot for flow tests: the real Application polling the sandbox Bot API over loopback HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, func, select, update
from telegram import Update
from telegram.ext import Application

from bot.app import build_application, defaults_from, opened
from bot.sandbox import Limits, SandboxClient, SandboxServer, SandboxUser
from bot.services import Services
from bot.settings import Settings
from jobs import duty
from jobs.dispatcher import DispatchConfig
from jobs.send_budget import ChatShape, SendBudget
from safety import onboarding
from safety.callbacks import derive_secret
from safety.delivery import Channel
from safety.imports.results import ImportReport
from safety.imports.service import import_org_file
from storage import org_queries as oq
from storage.db import Database
from storage.models import ChatIdentity, OutboxMessage, Person

TOKEN = "424242:FLOW-test-token"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
USER_ID_BASE = 7_000_000


@dataclass
class Clock:
    """An explicit clock the bot reads through Services.clock; tests move it instead of sleeping."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 27, 0, 30, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Harness:
    app: Application[Any, Any, Any, Any, Any, Any]
    server: SandboxServer
    client: SandboxClient
    db: Database
    clock: Clock
    people: dict[str, Person]

    def user_id(self, employee_no: str) -> int:
        person = self.people[employee_no]
        assert person.id is not None
        return USER_ID_BASE + person.id

    async def issue_code(self, employee_no: str, *, ttl: timedelta = onboarding.CODE_TTL) -> str:
        async with self.db.session() as session:
            issued = await onboarding.issue_codes(
                session, people=[self.people[employee_no]], now=self.clock(), ttl=ttl
            )
        return issued[0].code

    async def bound_count(self) -> int:
        async with self.db.session() as session:
            return (await session.exec(select(func.count()).select_from(ChatIdentity))).one()

    async def tick(self, *, drain: bool = True) -> tuple[int, int]:
        """One duty pass at the harness clock (rounds, escalation), then wait until the outbox is sent."""
        result = await duty.run_once(self.app.bot_data["services"])
        if drain:
            await self.drain()
        return result

    async def drain(self, seconds: float = 15.0) -> None:
        """Wait until no outbox row is pending or being sent."""
        async with asyncio.timeout(seconds):
            while True:
                async with self.db.session() as session:
                    waiting = (
                        await session.exec(
                            select(func.count())
                            .select_from(OutboxMessage)
                            .where(col(OutboxMessage.status).in_(["pending", "sending"]))
                        )
                    ).one()
                if not waiting:
                    return
                await asyncio.sleep(0.05)

    async def bind(self, employee_no: str) -> dict[str, Any]:
        """Bind a roster person through the chat, as a phone would; returns the welcome message."""
        code = await self.issue_code(employee_no)
        user = self.user_id(employee_no)
        sent = await self.client.send_text(user, f"/start {code}")
        return await self.client.wait_for(user, after_message_id=sent["message_id"])


@asynccontextmanager
async def running_bot(
    db: Database,
    *,
    org_file: Path = EXAMPLES / "org.yaml",
    clock: Clock | None = None,
    tick_seconds: float = 3600.0,
    cleared: bool = True,
    extra_channels: Sequence[Channel] = (),
) -> AsyncIterator[Harness]:
    """The bot with the org imported. Duty ticks run on the JobQueue every `tick_seconds` (rarely, by
    default: tests call Harness.tick() with the clock where they want it)."""
    clock = clock or Clock()
    async with db.session() as session:
        report = await import_org_file(session, org_file)
        assert isinstance(report, ImportReport), report
        if cleared:  # these workers passed the quiz before the test begins
            await session.exec(update(Person).values(cleared=True))
        people = {p.employee_no: p for p in await oq.all_people(session)}
    server = SandboxServer(token=TOKEN, host="127.0.0.1", port=0, limits=Limits(scale=100))
    await server.start()
    for person in people.values():
        assert person.id is not None
        server.add_user(
            SandboxUser(
                id=USER_ID_BASE + person.id, first_name=person.name, phone=person.phone, label=person.name
            )
        )
    settings = Settings(database_url=db.url, telegram_token=None, _env_file=None)  # type: ignore[call-arg]
    services = Services(
        database_url=db.url,
        callback_secret=derive_secret(TOKEN),
        defaults=defaults_from(settings),
        clock=clock,
        tick_seconds=tick_seconds,
        round_seconds=tick_seconds,
        send_rate=3000,
        extra_channels=list(extra_channels),
    )
    # The send budget paced for the sandbox's limits (scaled by 100), the dispatcher polling often.
    services.budget = SendBudget(3000, private=ChatShape(100.0, 2.0), group=ChatShape(2000 / 60, 20.0))
    app = build_application(settings, token=TOKEN, base_url=server.bot_api_base, services=services)
    app.bot_data["dispatch_config"] = DispatchConfig(send_rate=3000, poll_interval=0.05)
    client = SandboxClient(server.url)
    try:
        async with opened(app), client:
            assert app.updater is not None
            await app.updater.start_polling(timeout=2, poll_interval=0.0, allowed_updates=Update.ALL_TYPES)
            await app.start()
            try:
                yield Harness(app=app, server=server, client=client, db=db, clock=clock, people=people)
            finally:
                await app.updater.stop()
                await app.stop()
    finally:
        await server.stop()
