"""What handlers reach through the context: the services built at start and the actor of this update."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram.ext import Application, CallbackContext, ExtBot

from safety.access import Actor
from safety.calendar import WorkCalendar
from safety.checkin import Defaults
from safety.clearance import QuizRules
from safety.texts import normalize_language, t
from storage.db import Database
from storage.models import Person

CHANNEL = "telegram"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """Long-lived objects, opened with the Application (bot.app.opened) and closed at shutdown."""

    database_url: str
    callback_secret: bytes
    default_language: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    data_dir: Path = Path("data")
    clock: Callable[[], datetime] = utc_now
    tick_seconds: float = 5.0  # how often rounds open and escalation steps fire
    quiz_rules: QuizRules = field(default_factory=QuizRules)
    rng: random.Random = field(default_factory=random.Random, repr=False)
    calendar: WorkCalendar = field(default_factory=WorkCalendar, repr=False)
    db: Database | None = field(default=None, repr=False)

    @property
    def database(self) -> Database:
        if self.db is None:
            raise RuntimeError("the database is not open: start the Application with bot.app.opened()")
        return self.db


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB creates one context per update and shares it across handler groups, so the guard's actor sticks."""

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any], **kwargs: Any) -> None:
        super().__init__(application=application, **kwargs)
        self.actor: Actor | None = None
        self.language: str = "zh-CN"
        self.via_group = False  # the pressed button came from a group chat (signed for no one person)

    @property
    def services(self) -> Services:
        services = self.application.bot_data["services"]
        assert isinstance(services, Services)
        return services

    @property
    def now(self) -> datetime:
        return self.services.clock()

    @property
    def defaults(self) -> Defaults:
        return Defaults(
            default_language=self.services.default_language, default_timezone=self.services.timezone
        )

    async def person(self, session: AsyncSession) -> Person:
        """The actor's own row, in the caller's session (for domain calls that change it)."""
        assert self.actor is not None
        person = await session.get(Person, self.actor.person_id)
        assert person is not None
        return person

    def text(self, key: str, /, **params: object) -> str:
        return t(self.language, key, **params)

    def use_language(self, stored: str | None, telegram_code: str | None) -> None:
        default = self.services.default_language
        self.language = stored or normalize_language(telegram_code, default)
