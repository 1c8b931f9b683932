"""Every migration runs up, down and up again (the stairway test), on both backends."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from storage.db import make_engine
from storage.migrate import MIGRATIONS, alembic_config, downgrade, upgrade


async def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_stairway(database_url: str) -> None:
    script = ScriptDirectory.from_config(alembic_config(database_url))
    revisions = list(reversed(list(script.walk_revisions())))
    assert revisions, f"no migrations under {MIGRATIONS}"
    for revision in revisions:
        await upgrade(database_url, revision.revision)
        await downgrade(database_url, revision.down_revision or "base")
        await upgrade(database_url, revision.revision)
    tables = await _tables(database_url)
    assert {"units", "people", "role_assignments", "chat_identities", "binding_codes", "audit_log"} <= tables
    await downgrade(database_url, "base")
    assert await _tables(database_url) <= {"alembic_version"}
