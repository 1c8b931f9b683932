"""The async engine and sessions. Built once at start, disposed at shutdown.

SQLite as a real embedded default: a write transaction takes the database's write lock at its start
(`BEGIN IMMEDIATE`), so it never fails half-way with `database is locked` when another writer got there
first (a deferred transaction that read first cannot wait for the lock, it can only fail); and within one
process, write sessions queue on one writer lock, so they wait without polling SQLite's busy handler:
in arrival order, sessions for someone waiting (a press, a command) before background ones (the
dispatcher's bookkeeping, the jobs), which wait for a gap. Other processes (the CLI, a second worker)
wait up to the busy timeout. Read-only sessions (`reading()`) take no lock: WAL readers never block and
are never blocked.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the bot loses nothing and
    # the file never corrupts; only a power cut can roll back the last commits. SQLite's own advice for
    # WAL, and it keeps an fsync off every button press (PostgreSQL is the choice for full durability).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Transactions begin with the write lock taken (autocommit connections, the readers, begin nothing)."""
    if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> AsyncEngine:
    """An async engine; for SQLite the folder is created, WAL, a busy timeout and foreign keys are on, and
    transactions begin immediate (the driver's own implicit BEGIN is switched off)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30, "isolation_level": None})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


class WriterLock:
    """One writer at a time: urgent waiters in arrival order, then background ones in arrival order."""

    def __init__(self) -> None:
        self._busy = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._background: deque[asyncio.Future[None]] = deque()

    async def acquire(self, *, urgent: bool) -> None:
        if not self._busy:
            self._busy = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._background
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed the lock just as it was cancelled: pass it on
            else:
                queue.remove(waiter)
            raise

    def release(self) -> None:
        """Hand the lock to the next waiter (it stays busy), or free it."""
        for queue in (self._urgent, self._background):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    return
        self._busy = False


class Database:
    """Owns the engine; hands out sessions that commit on success and roll back on error."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._writer = WriterLock() if self.is_sqlite else None
        self._writing: asyncio.Task[Any] | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def session(self, *, background: bool = False) -> AsyncIterator[AsyncSession]:
        """A transaction: committed when the block ends, rolled back on an error. `background`: no one is
        waiting for it (on SQLite it lets sessions for people go first)."""
        if self._writer is None:
            async with self._transaction() as session:
                yield session
            return
        if self._writing is not None and self._writing is asyncio.current_task():
            raise RuntimeError("a write session inside another one on SQLite would wait for itself")
        await self._writer.acquire(urgent=not background)
        try:
            self._writing = asyncio.current_task()
            async with self._transaction() as session:
                yield session
        finally:
            self._writing = None
            self._writer.release()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only, on an autocommit connection: no BEGIN/COMMIT round trips (the guard
        reads the actor of every update this way). Writes through it would not be atomic: don't."""
        async with self.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            async with AsyncSession(bind=autocommit, expire_on_commit=False) as session:
                yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


_TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available


def is_transient(exc: BaseException | None) -> bool:
    """An error that trying the same work again can cure: SQLite's `database is locked` / busy, a
    PostgreSQL deadlock or serialization failure, a connection that dropped."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        text = str(exc.orig).lower()
        if "database is locked" in text or "database is busy" in text:
            return True
        return getattr(exc.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES or any(
            state in text for state in _TRANSIENT_SQLSTATES
        )
    return False


async def advisory_lock(session: AsyncSession, name: str) -> bool:
    """Try to take a lock named `name` until the transaction ends: True if taken. PostgreSQL: an advisory
    lock (other processes get False at once); SQLite: always True, the write transaction is exclusive."""
    bind = session.bind
    if bind is None or bind.dialect.name != "postgresql":
        return True
    result = await session.exec(select(func.pg_try_advisory_xact_lock(func.hashtext(name))))  # type: ignore[call-overload]
    return bool(result.scalar_one())
