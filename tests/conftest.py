"""Shared fixtures: a migrated database on SQLite and on PostgreSQL for every test that asks for `db`."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from storage.db import Database
from storage.migrate import upgrade

PG_DSN = os.environ.get("SAFETYBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


async def _pg_admin() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(PG_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        reason = f"PostgreSQL at {PG_DSN} is unreachable: {exc}"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)


def _sa_url(dsn: str, database: str) -> str:
    base = dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}"


async def make_database_url(kind: str, tmp_path: Path, template: str | None = None) -> AsyncIterator[str]:
    """A fresh database: empty, or a copy of `template` (a migrated database of the same backend)."""
    if kind == "sqlite":
        path = tmp_path / "safetybot.db"
        if template is not None:
            shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    admin = await _pg_admin()
    name = f"sb_test_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template is not None else ""
    await admin.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield _sa_url(PG_DSN, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


_TEMPLATES: dict[str, str] = {}  # backend -> a database migrated to head once per test process
_MIGRATED: set[str] = set()  # urls made from a template


async def _template(kind: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrating takes about 0.3 s per database; copying a migrated one is ten times faster (SQLite: a
    file copy; PostgreSQL: CREATE DATABASE ... TEMPLATE). Made once per test process and backend."""
    if kind not in _TEMPLATES:
        if kind == "sqlite":
            path = tmp_path_factory.mktemp("template") / "head.db"
            await upgrade(f"sqlite+aiosqlite:///{path}")
            _TEMPLATES[kind] = str(path)
        else:
            admin = await _pg_admin()
            name = f"sb_tmpl_{uuid.uuid4().hex[:12]}"
            try:
                await admin.execute(f'CREATE DATABASE "{name}"')
            finally:
                await admin.close()
            await upgrade(_sa_url(PG_DSN, name))
            _TEMPLATES[kind] = name
    return _TEMPLATES[kind]


@pytest.fixture(scope="session", autouse=True)
def _drop_templates() -> Iterator[None]:
    yield
    name = _TEMPLATES.pop("postgresql", None)
    if name is not None:  # no event loop runs at the session's end: a loop of its own
        asyncio.run(_drop_database(name))


async def _drop_database(name: str) -> None:
    admin = await _pg_admin()
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """An empty database on each backend; already migrated to head when the test also asks for `db`."""
    template = await _template(request.param, tmp_path_factory) if "db" in request.fixturenames else None
    async for url in make_database_url(request.param, tmp_path, template):
        if template is not None:
            _MIGRATED.add(url)
        yield url
        _MIGRATED.discard(url)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A database migrated to head, on SQLite and on PostgreSQL."""
    if database_url not in _MIGRATED:
        await upgrade(database_url)
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.dispose()
