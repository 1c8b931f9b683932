"""`make run` without a token: the sandbox demo loads the sample card calendar, the 2027 春节 duty roster and
the sample duty list (责任清单) once (a second start changes nothing)."""

from __future__ import annotations

from sqlmodel import func, select

from bot.demo import prepare_sandbox
from bot.sandbox import SandboxServer
from bot.settings import Settings
from storage.db import Database
from storage.models import Card, DutyItem, DutyShift


async def counts(db: Database) -> tuple[int, int, int]:
    async with db.session() as session:
        cards = (await session.exec(select(func.count()).select_from(Card))).one()
        shifts = (await session.exec(select(func.count()).select_from(DutyShift))).one()
        duties = (await session.exec(select(func.count()).select_from(DutyItem))).one()
    return cards, shifts, duties


async def test_the_demo_loads_the_cards_and_the_roster_once(db: Database) -> None:
    server = SandboxServer(token="1:demo", host="127.0.0.1", port=0)
    settings = Settings(database_url=db.url, telegram_token=None, _env_file=None)  # type: ignore[call-arg]
    await prepare_sandbox(settings, server)
    loaded = await counts(db)
    assert loaded[0] >= 15 and loaded[1] > 0 and loaded[2] >= 10
    await prepare_sandbox(settings, server)
    assert await counts(db) == loaded
