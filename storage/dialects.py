"""The few places SQL differs between PostgreSQL and SQLite: which INSERT … ON CONFLICT construct to use."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession


def is_postgresql(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def insert_ignoring_conflicts(session: AsyncSession, model: type, columns: list[str]) -> Any:
    """INSERT … ON CONFLICT (columns) DO NOTHING for the session's backend (both support it)."""
    insert = pg_insert if is_postgresql(session) else sqlite_insert
    return insert(model).on_conflict_do_nothing(index_elements=columns)
