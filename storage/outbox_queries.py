"""Outbox queries: claiming due rows exactly once across processes, and recording what became of them.

A row is due when it is `pending` and `next_attempt_at <= now`, or `sending` with a claim older than the
lease (its worker died between claim and send). Claiming flips due rows to `sending` with `claimed_at` and
`claimed_by` in one short transaction, never around network I/O:
- PostgreSQL: ``UPDATE … WHERE id IN (SELECT id … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING …``;
- SQLite (SQLAlchemy silently drops the lock clause there): the candidate ids are read first, then a
  compare-and-set ``UPDATE … WHERE id IN (…) AND <still due> RETURNING …`` keeps only the rows still due.
Keyword-only functions, the session passed explicitly; the caller's session commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import is_postgresql
from storage.models import ChatIdentity, OutboxMessage, Person

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
ERROR_CHARS = 500


def _error(text: str) -> str:
    return text[:ERROR_CHARS]


def _pending_due(channel: str, now: datetime) -> ColumnElement[bool]:
    return and_(
        col(OutboxMessage.channel) == channel,
        col(OutboxMessage.status) == PENDING,
        col(OutboxMessage.next_attempt_at) <= now,
    )


def _lease_expired(channel: str, now: datetime, lease: timedelta) -> ColumnElement[bool]:
    return and_(
        col(OutboxMessage.channel) == channel,
        col(OutboxMessage.status) == SENDING,
        col(OutboxMessage.claimed_at) < now - lease,
    )


async def claim_due(
    session: AsyncSession,
    *,
    channel: str,
    now: datetime,
    worker: str,
    limit: int,
    lease: timedelta,
    expired_only: bool = False,
) -> list[OutboxMessage]:
    """Claim up to `limit` due rows of `channel` for `worker`, oldest due first; no other worker gets the
    same row.

    `expired_only` claims only rows whose lease expired (recovery after a crash; cheap to run rarely).
    Both conditions use the ``ix_outbox_due`` (channel, status, next_attempt_at) index."""
    if limit <= 0:
        return []
    due = _lease_expired(channel, now, lease) if expired_only else _pending_due(channel, now)
    candidates = (
        select(OutboxMessage.id)
        .where(due)
        .order_by(col(OutboxMessage.next_attempt_at))  # the index's order: no sort of every due row
        .limit(limit)
    )
    claim = update(OutboxMessage).values(status=SENDING, claimed_at=now, claimed_by=worker)
    if is_postgresql(session):
        statement = claim.where(col(OutboxMessage.id).in_(candidates.with_for_update(skip_locked=True)))
    else:
        ids = list((await session.exec(candidates)).all())
        if not ids:
            return []
        statement = claim.where(col(OutboxMessage.id).in_(ids), due)  # compare-and-set
    result = await session.exec(statement.returning(OutboxMessage))
    rows: list[OutboxMessage] = list(result.scalars().all())
    return sorted(rows, key=lambda r: (r.next_attempt_at, r.id or 0))


async def any_due(
    session: AsyncSession, *, channel: str, now: datetime, lease: timedelta, expired_too: bool
) -> bool:
    """Whether a claim would find anything: a read, so an idle dispatcher never takes a write lock."""
    due = _pending_due(channel, now)
    if expired_too:
        due = or_(due, _lease_expired(channel, now, lease))
    result = await session.exec(select(OutboxMessage.id).where(due).limit(1))
    return result.first() is not None


async def renew_claim(session: AsyncSession, *, row_id: int, worker: str, now: datetime) -> bool:
    """Extend our claim before a late send; False when the row is no longer ours (do not send it)."""
    result = await session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == row_id,
            col(OutboxMessage.status) == SENDING,
            col(OutboxMessage.claimed_by) == worker,
        )
        .values(claimed_at=now)
    )
    return result.rowcount == 1


async def mark_sent(
    session: AsyncSession,
    *,
    row_id: int,
    now: datetime,
    chat_id: str | None,
    message_id: int | None,
    note: str | None = None,
) -> None:
    """Record a delivered row (`note`: e.g. superseded by a newer edit, sent as nothing)."""
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == row_id, col(OutboxMessage.status) != SENT)
        .values(
            status=SENT,
            sent_at=now,
            sent_chat_id=chat_id,
            sent_message_id=message_id,
            error=_error(note) if note else None,
        )
    )


@dataclass(frozen=True)
class SentMark:
    row_id: int
    chat_id: str | None
    message_id: int | None


async def mark_sent_many(session: AsyncSession, *, marks: Sequence[SentMark], now: datetime) -> None:
    """Record many delivered rows with one executemany UPDATE (the dispatcher's group commit)."""
    if not marks:
        return
    table = OutboxMessage.metadata.tables[OutboxMessage.__tablename__]
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.status != SENT)
        .values(
            status=SENT,
            sent_at=now,
            sent_chat_id=bindparam("chat"),
            sent_message_id=bindparam("mid"),
            error=None,
        )
    )
    params = [{"row_id": m.row_id, "chat": m.chat_id, "mid": m.message_id} for m in marks]
    await session.exec(statement, params=params)


async def mark_retry(
    session: AsyncSession,
    *,
    row_id: int,
    next_attempt_at: datetime,
    error: str | None,
    count_attempt: bool = True,
) -> None:
    """Back to `pending` for a later attempt; `count_attempt=False` for waits that are not failures."""
    values: dict[str, Any] = {
        "status": PENDING,
        "next_attempt_at": next_attempt_at,
        "claimed_at": None,
        "claimed_by": None,
    }
    if error is not None:
        values["error"] = _error(error)
    if count_attempt:
        values["attempts"] = col(OutboxMessage.attempts) + 1
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == row_id, col(OutboxMessage.status) == SENDING)
        .values(**values)
    )


async def release(session: AsyncSession, *, row_ids: Sequence[int], worker: str, now: datetime) -> int:
    """Hand claimed but unsent rows back (shutdown): due at once for any worker, no attempt counted."""
    if not row_ids:
        return 0
    result = await session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id).in_(list(row_ids)),
            col(OutboxMessage.status) == SENDING,
            col(OutboxMessage.claimed_by) == worker,
        )
        .values(status=PENDING, next_attempt_at=now, claimed_at=None, claimed_by=None)
    )
    return max(result.rowcount or 0, 0)


async def mark_failed(session: AsyncSession, *, row_id: int, error: str, count_attempt: bool = True) -> None:
    values: dict[str, Any] = {"status": FAILED, "error": _error(error)}
    if count_attempt:
        values["attempts"] = col(OutboxMessage.attempts) + 1
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == row_id, col(OutboxMessage.status) != SENT)
        .values(**values)
    )


# recipients and edit targets


async def channels_of_people(session: AsyncSession, *, person_ids: Iterable[int]) -> dict[int, str]:
    """Each person's channel: the preferred one if they are bound there, else the one they bound first."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    found: dict[int, str] = {}
    query: Any = (
        sa_select(col(ChatIdentity.person_id), col(ChatIdentity.channel), col(Person.preferred_channel))
        .join(Person, col(Person.id) == col(ChatIdentity.person_id))
        .order_by(col(ChatIdentity.bound_at), col(ChatIdentity.id))
    )
    for chunk in _chunks(ids):
        for person_id, channel, preferred in (
            await session.exec(query.where(col(ChatIdentity.person_id).in_(chunk)))
        ).all():
            if person_id not in found or channel == preferred:
                found[person_id] = channel
    return found


async def channels_of_keys(session: AsyncSession, *, keys: Iterable[str]) -> dict[str, str]:
    """The channel of each outbox row named by key (an edit goes through the channel of what it edits)."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    query: Any = sa_select(col(OutboxMessage.key), col(OutboxMessage.channel))
    found: dict[str, str] = {}
    for chunk in _chunks(wanted):
        found.update((await session.exec(query.where(col(OutboxMessage.key).in_(chunk)))).all())
    return found


def _chunks(items: Sequence[Any], size: int = 1000) -> Iterable[Sequence[Any]]:
    return (items[start : start + size] for start in range(0, len(items), size))


@dataclass(frozen=True)
class PersonTarget:
    person: Person
    chat_id: str | None  # None: not bound on this channel


async def person_targets(
    session: AsyncSession, *, person_ids: Iterable[int], channel: str
) -> dict[int, PersonTarget]:
    """The people with their chat on `channel` (the identity's chat_id, else its external id)."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    rows = await session.exec(
        select(Person, ChatIdentity)
        .join(
            ChatIdentity,
            and_(col(ChatIdentity.person_id) == col(Person.id), col(ChatIdentity.channel) == channel),
            isouter=True,
        )
        .where(col(Person.id).in_(ids))
    )
    out: dict[int, PersonTarget] = {}
    for person, identity in rows.all():
        chat = (identity.chat_id or identity.external_id) if identity is not None else None
        out[person.id or 0] = PersonTarget(person=person, chat_id=chat)
    return out


async def rows_by_key(session: AsyncSession, *, keys: Iterable[str]) -> dict[str, OutboxMessage]:
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = await session.exec(select(OutboxMessage).where(col(OutboxMessage.key).in_(wanted)))
    return {row.key: row for row in rows.all()}


async def newer_edit_exists(session: AsyncSession, *, row_id: int, edit_of: str) -> bool:
    """Whether a later edit of the same message is waiting, in flight or done (this one is then stale).

    Scans only rows created after this one (primary key range), so it stays cheap as the outbox grows."""
    result = await session.exec(
        select(OutboxMessage.id)
        .where(
            col(OutboxMessage.id) > row_id,
            col(OutboxMessage.edit_of) == edit_of,
            col(OutboxMessage.status).in_([PENDING, SENDING, SENT]),
        )
        .limit(1)
    )
    return result.first() is not None


# progress


async def count_left(session: AsyncSession, *, channel: str, now: datetime, horizon: timedelta) -> int:
    """Rows of `channel` still to do: claimed ones, and pending ones due before now + horizon."""
    result = await session.exec(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            or_(
                and_(col(OutboxMessage.channel) == channel, col(OutboxMessage.status) == SENDING),
                _pending_due(channel, now + horizon),
            )
        )
    )
    return int(result.one())


async def status_counts(session: AsyncSession) -> dict[str, int]:
    result = await session.exec(
        select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
    )
    return {status: int(count) for status, count in result.all()}


async def mark_person_unreachable(session: AsyncSession, *, person_id: int) -> bool:
    """Set `Person.unreachable`; True only for the caller that changed it (so one notice per change)."""
    result = await session.exec(
        update(Person)
        .where(col(Person.id) == person_id, col(Person.unreachable).is_(False))
        .values(unreachable=True)
    )
    return result.rowcount == 1
