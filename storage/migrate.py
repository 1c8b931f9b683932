"""Apply Alembic migrations programmatically (used by `safetybot run`, `safetybot db upgrade` and tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from storage.db import make_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def _run(url: str, action: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_apply, url, action, revision)
    finally:
        await engine.dispose()


def _apply(sync_conn: object, url: str, action: str, revision: str) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = sync_conn
    if action == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


async def upgrade(url: str, revision: str = "head") -> None:
    await _run(url, "upgrade", revision)


async def downgrade(url: str, revision: str) -> None:
    await _run(url, "downgrade", revision)


def upgrade_sync(url: str, revision: str = "head") -> None:
    asyncio.run(upgrade(url, revision))
