"""What handlers reach through the context: the runtime built at start (the assembly's `Services`, seen
through the `Runtime` protocol) and the actor of this update."""

from __future__ import annotations

import asyncio
import random
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import User
from telegram.ext import Application, CallbackContext, ExtBot

from safety.access import Actor
from safety.clearance import QuizRules
from safety.config import Defaults
from safety.reports.rectification_rights import ReportRules
from safety.texts import normalize_language, t

CHANNEL = "telegram"  # the channel of an Application without bot_data["channel"]


class Runtime(Protocol):
    """The long-lived services handlers use (bot.services.Services implements it)."""

    callback_secret: bytes
    defaults: Defaults
    quiz_rules: QuizRules
    report_rules: ReportRules
    data_dir: Path
    rng: random.Random

    def now(self) -> datetime: ...

    def session(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A transaction for a domain call (committed at the end of the block)."""
        ...

    def reading(self) -> AbstractAsyncContextManager[AsyncSession]:
        """Reads only, no transaction."""
        ...

    def wake_dispatchers(self) -> None: ...

    def person_hint(self, account: str) -> int | None:
        """The person this chat account was last seen as (a hint; None: not seen)."""
        ...

    def remember_account(self, account: str, person_id: int) -> None: ...

    def retryable(self, error: BaseException | None) -> bool:
        """Whether processing the update again can cure this error (a transient database error)."""
        ...


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB creates one context per update and shares it across handler groups, so the guard's actor sticks."""

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any], **kwargs: Any) -> None:
        super().__init__(application=application, **kwargs)
        self.actor: Actor | None = None
        self.language: str = "zh-CN"
        self.via_group = False  # the pressed button came from a group chat (signed for no one person)
        self.early_ack: asyncio.Task[bool] | None = None  # the press answered before the actor was read

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.application.bot_data["services"]
        return runtime

    @property
    def channel(self) -> str:
        """The channel this Application serves ("telegram", or "wecom" for the WeCom bridge's)."""
        return str(self.application.bot_data.get("channel", CHANNEL))

    def account_id(self, user: User) -> str:
        """The chat account as `ChatIdentity.external_id` holds it: Telegram's user id; on a bridged channel
        the account id its bridge puts in the user's username (WeCom: the member's userid)."""
        if self.channel == CHANNEL or not user.username:
            return str(user.id)
        return user.username

    @property
    def now(self) -> datetime:
        return self.runtime.now()

    @property
    def defaults(self) -> Defaults:
        return self.runtime.defaults

    def text(self, key: str, /, **params: object) -> str:
        return t(self.language, key, **params)

    def use_language(self, stored: str | None, telegram_code: str | None) -> None:
        default = self.runtime.defaults.language
        self.language = stored or normalize_language(telegram_code, default)
