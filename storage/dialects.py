"""The few places SQL differs between PostgreSQL and SQLite: INSERT … ON CONFLICT, and bulk inserts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Text, bindparam, cast, func
from sqlalchemy import insert as sa_insert
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession


def is_postgresql(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def insert_ignoring_conflicts(session: AsyncSession, model: type, columns: list[str] | None) -> Any:
    """INSERT … ON CONFLICT (columns) DO NOTHING for the session's backend (both support it); `None`: a
    conflict on any unique constraint is ignored (a row unique in two ways, both of which a racing insert
    of the same row violates)."""
    insert = pg_insert if is_postgresql(session) else sqlite_insert
    return insert(model).on_conflict_do_nothing(index_elements=columns)


async def insert_many(
    session: AsyncSession,
    model: type,
    rows: Sequence[dict[str, Any]],
    *,
    conflict: list[str] | None = None,
    returning: str | None = None,
) -> list[Any]:
    """Insert many rows (all with the same keys), skipping conflicts on `conflict` when given; returns the
    `returning` column of the rows inserted.

    On PostgreSQL it is one statement whatever the count: each column goes as one array parameter and is
    unnested (`INSERT … SELECT FROM unnest(…)`), and a JSON value shared by many rows is encoded once. A
    multi-row VALUES list cost the escalation tick more Python than the database spent inserting."""
    if not rows:
        return []
    if not is_postgresql(session):
        statement = insert_ignoring_conflicts(session, model, conflict) if conflict else sa_insert(model)
        if returning is None:
            await session.exec(statement, params=list(rows))
            return []
        result = await session.exec(statement.returning(getattr(model, returning)), params=list(rows))
        return list(result.scalars())
    table: Any = getattr(model, "__table__")  # noqa: B009 - SQLModel declares it only at runtime
    names = list(rows[0])
    params = []
    encoded: dict[int, tuple[Any, str | None]] = {}
    for name in names:
        kind = table.c[name].type
        values = [row[name] for row in rows]
        if isinstance(kind, JSON):
            values = [_encoded(value, encoded) for value in values]
            kind = Text()
        params.append(bindparam(f"p_{name}", values, type_=ARRAY(kind)))
    unnested = func.unnest(*params).table_valued(*names).render_derived()  # AS t(col, …)
    columns = [
        cast(unnested.c[name], table.c[name].type)
        if isinstance(table.c[name].type, JSON)
        else unnested.c[name]
        for name in names
    ]
    statement = pg_insert(table).from_select(names, sa_select(*columns))
    if conflict:
        statement = statement.on_conflict_do_nothing(index_elements=conflict)
    if returning is None:
        await session.exec(statement)
        return []
    return list((await session.exec(statement.returning(table.c[returning]))).scalars())


def _encoded(value: Any, cache: dict[int, tuple[Any, str | None]]) -> str | None:
    """JSON text of a value, once per distinct object (a round's reminder goes to hundreds of people)."""
    if value is None:
        return None
    if id(value) not in cache:
        cache[id(value)] = (value, json.dumps(value))  # keep the value: its id stays unique meanwhile
    return cache[id(value)][1]
