"""Queries for chat identities, binding codes, bind failures and the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import channel_queries
from storage.dialects import is_postgresql
from storage.models import (
    AuditEntry,
    BindFailure,
    BindingCode,
    ChatIdentity,
    ChatState,
    Person,
    RoleAssignment,
)


async def identity_by_external(
    session: AsyncSession, *, channel: str, external_id: str
) -> ChatIdentity | None:
    result = await session.exec(
        select(ChatIdentity).where(ChatIdentity.channel == channel, ChatIdentity.external_id == external_id)
    )
    return result.first()


async def identity_of_person(session: AsyncSession, *, person_id: int, channel: str) -> ChatIdentity | None:
    result = await session.exec(
        select(ChatIdentity).where(ChatIdentity.person_id == person_id, ChatIdentity.channel == channel)
    )
    return result.first()


async def bound_people(session: AsyncSession, *, person_ids: Sequence[int]) -> set[int]:
    """Which of these people have bound a chat account on any channel."""
    if not person_ids:
        return set()
    result = await session.exec(
        select(ChatIdentity.person_id).where(col(ChatIdentity.person_id).in_(list(person_ids))).distinct()
    )
    return set(result.all())


async def delete_identity(session: AsyncSession, *, identity_id: int) -> None:
    await session.exec(delete(ChatIdentity).where(col(ChatIdentity.id) == identity_id))


async def person_by_id(session: AsyncSession, *, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


async def people_by_phone(session: AsyncSession, *, phone: str) -> list[Person]:
    result = await session.exec(select(Person).where(Person.phone == phone, col(Person.active).is_(True)))
    return list(result)


class PersonRow(NamedTuple):
    """The columns of a person that every update needs (plain values: the guard runs for each update)."""

    id: int
    employee_no: str
    name: str
    unit_id: str
    language: str | None
    active: bool
    cleared: bool
    unreachable: bool


async def person_with_roles(
    session: AsyncSession, *, channel: str, external_id: str
) -> tuple[PersonRow, list[tuple[str, str]], str | None] | None:
    """The person bound to a chat account, their (role, unit) pairs and the kind of chat state the bot
    keeps for them (what it waits for next), in one statement. `PersonRow.unreachable` is true when the
    person or this account is unreachable (a send on this channel failed for good)."""
    query: Any = (
        sa_select(
            *(col(getattr(Person, name)) for name in PersonRow._fields),
            col(RoleAssignment.role),
            col(RoleAssignment.unit_id),
            col(ChatState.kind),
            col(ChatIdentity.unreachable),
        )
        .join(ChatIdentity, col(ChatIdentity.person_id) == col(Person.id))
        .outerjoin(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
        .outerjoin(ChatState, col(ChatState.person_id) == col(Person.id))
        .where(col(ChatIdentity.channel) == channel, col(ChatIdentity.external_id) == external_id)
    )
    rows = (await session.exec(query)).all()
    if not rows:
        return None
    width = len(PersonRow._fields)
    roles = [(r[width], r[width + 1]) for r in rows if r[width] is not None and r[width + 1] is not None]
    person = PersonRow._make(rows[0][:width])
    if rows[0][width + 3]:
        person = person._replace(unreachable=True)
    return person, roles, rows[0][width + 2]


async def lock_account(session: AsyncSession, *, channel: str, external_id: str) -> None:
    """Serialise binding tries of one chat account until the transaction ends, across processes, so the
    failure count the lockout reads cannot be raced past. PostgreSQL: a transaction-scoped advisory lock;
    SQLite: every write transaction holds the database's write lock from its start (storage.db)."""
    if is_postgresql(session):
        await session.exec(
            sa_select(func.pg_advisory_xact_lock(func.hashtext(f"bind|{channel}|{external_id}")))  # type: ignore[call-overload]
        )


async def code_by_hash(session: AsyncSession, *, code_hash: str) -> BindingCode | None:
    result = await session.exec(select(BindingCode).where(BindingCode.code_hash == code_hash))
    return result.first()


async def claim_code(session: AsyncSession, *, code_id: int, now: datetime) -> bool:
    """Mark a code used, compare-and-set: True only for the one caller that won it."""
    result = await session.exec(
        update(BindingCode)
        .where(col(BindingCode.id) == code_id, col(BindingCode.used_at).is_(None))
        .values(used_at=now)
    )
    return result.rowcount == 1


async def void_open_codes(session: AsyncSession, *, person_id: int, now: datetime) -> None:
    """Earlier unused codes of a person stop working when a new one is issued."""
    await session.exec(
        update(BindingCode)
        .where(col(BindingCode.person_id) == person_id, col(BindingCode.used_at).is_(None))
        .values(used_at=now)
    )


async def recent_failures(
    session: AsyncSession, *, channel: str, external_id: str, since: datetime
) -> list[datetime]:
    result = await session.exec(
        select(BindFailure.at)
        .where(
            BindFailure.channel == channel, BindFailure.external_id == external_id, BindFailure.at >= since
        )
        .order_by(col(BindFailure.at))
    )
    return list(result)


def add_audit(
    session: AsyncSession,
    *,
    at: datetime,
    actor_id: int | None,
    channel: str,
    action: str,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(at=at, actor_id=actor_id, channel=channel, action=action, subject=subject, detail=detail)
    )


async def mark_reachable(session: AsyncSession, *, person_id: int, channel: str | None = None) -> None:
    """The person wrote to the bot, so it is not blocked any more (a 403 had marked them unreachable), nor
    is their account on the channel they wrote on."""
    await session.exec(
        update(Person)
        .where(col(Person.id) == person_id, col(Person.unreachable).is_(True))
        .values(unreachable=False)
    )
    if channel is not None:
        await channel_queries.mark_identity_reachable(session, person_id=person_id, channel=channel)
