"""The long-lived objects of one bot process, built at start and closed at shutdown (`bot.app.opened`):
the database, the channels' send budgets and dispatchers, and what the domain is told (defaults, quiz
rules). Handlers and jobs see them through their own protocols (handlers.context.Runtime,
jobs.duty.DutyRuntime), so neither imports the assembly."""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.dispatcher import Dispatcher
from jobs.send_budget import SendBudget
from safety.calendar import WorkCalendar
from safety.clearance import QuizRules
from safety.config import Defaults
from safety.delivery import Channel
from safety.reports.rectification_rights import ReportRules
from storage.db import Database, is_transient


def utc_now() -> datetime:
    return datetime.now(UTC)


class AccountHints:
    """Which person a chat account is, as last seen (a send to them, their last update): a bounded LRU map.
    Only a hint, for answering a press before the database is read; the press is still authorised
    against the database."""

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._people: OrderedDict[str, int] = OrderedDict()

    def get(self, account: str) -> int | None:
        return self._people.get(account)

    def put(self, account: str, person_id: int) -> None:
        self._people[account] = person_id
        self._people.move_to_end(account)
        while len(self._people) > self.size:
            self._people.popitem(last=False)


@dataclass
class Services:
    database_url: str
    callback_secret: bytes
    defaults: Defaults = field(default_factory=Defaults)
    data_dir: Path = Path("data")
    clock: Callable[[], datetime] = utc_now
    tick_seconds: float = 5.0  # how often escalation steps fire
    round_seconds: float = 0.25  # how often opened windows are looked for (rounds open within this)
    send_rate: float = 30.0  # the Telegram account's limit, replies and bulk together
    quiz_rules: QuizRules = field(default_factory=QuizRules)
    report_rules: ReportRules = field(default_factory=ReportRules)
    digest_at: str = "17:30"  # local time of the daily digest to safety officers and managers
    rng: random.Random = field(default_factory=random.Random, repr=False)
    calendar: WorkCalendar = field(default_factory=WorkCalendar, repr=False)
    extra_channels: list[Channel] = field(default_factory=list, repr=False)  # besides Telegram (tests)
    db: Database | None = field(default=None, repr=False)
    budget: SendBudget | None = field(default=None, repr=False)  # the Telegram account's
    dispatchers: list[Dispatcher] = field(default_factory=list, repr=False)
    accounts: AccountHints = field(default_factory=AccountHints, repr=False)

    @property
    def database(self) -> Database:
        if self.db is None:
            raise RuntimeError("the database is not open: start the Application with bot.app.opened()")
        return self.db

    def now(self) -> datetime:
        return self.clock()

    @asynccontextmanager
    async def session(self, *, background: bool = False) -> AsyncIterator[AsyncSession]:
        async with self.database.session(background=background) as session:
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        async with self.database.reading() as session:
            yield session

    def person_hint(self, account: str) -> int | None:
        return self.accounts.get(account)

    def remember_account(self, account: str, person_id: int) -> None:
        self.accounts.put(account, person_id)

    def retryable(self, error: BaseException | None) -> bool:
        return is_transient(error)

    def wake_dispatchers(self) -> None:
        """New outbox rows were committed: send them now rather than at the next poll."""
        for dispatcher in self.dispatchers:
            dispatcher.wake()
