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


async def test_migrations_match_the_models(database_url: str) -> None:
    """A model change without its migration fails here (autogenerate finds nothing left to do)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    import storage.models  # noqa: F401

    await upgrade(database_url)
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:

            def diff(sync_conn: object) -> list[object]:
                context = MigrationContext.configure(sync_conn, opts={"compare_type": False})  # type: ignore[arg-type]
                return list(compare_metadata(context, SQLModel.metadata))

            changes = await conn.run_sync(diff)
    finally:
        await engine.dispose()
    assert changes == []
