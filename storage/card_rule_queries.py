"""Queries on card rules (`safetybot import cards`, `safetybot calendar`) and the once-only calendar notices.

Keyword-only, typed, the session passed explicitly. A card is never deleted: occurrences and the record
(照单履职) refer to it; `active: false` in the file stops it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_many
from storage.models import CalendarNotice, Card, Person, RoleAssignment


async def all_cards(session: AsyncSession) -> list[Card]:
    """Every stored card, file and ad-hoc, active or not, by id."""
    return list((await session.exec(select(Card).order_by(col(Card.id)))).all())


async def active_cards(session: AsyncSession) -> list[Card]:
    """The active cards, by id."""
    query = select(Card).where(col(Card.active).is_(True)).order_by(col(Card.id))
    return list((await session.exec(query)).all())


async def insert_cards(session: AsyncSession, *, cards: Sequence[Card]) -> None:
    """Add new cards (their ids must not exist yet) and flush."""
    session.add_all(cards)
    await session.flush()


async def update_card(session: AsyncSession, *, card_id: str, values: dict[str, Any]) -> None:
    """One UPDATE statement: the stored card takes `values` (column name → value)."""
    await session.exec(update(Card).where(col(Card.id) == card_id).values(**values))


async def notice_recorded(session: AsyncSession, *, key: str) -> bool:
    return await session.get(CalendarNotice, key) is not None


async def record_notice(session: AsyncSession, *, key: str, at: datetime) -> bool:
    """Record the notice `key` once: True when this call recorded it (two processes: exactly one wins)."""
    inserted = await insert_many(
        session, CalendarNotice, [{"key": key, "at": at}], conflict=["key"], returning="key"
    )
    return bool(inserted)


async def active_admins(session: AsyncSession) -> list[Person]:
    """The active people holding the admin role at any unit, by employee number, each once."""
    query = (
        select(Person)
        .join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
        .where(RoleAssignment.role == "admin", col(Person.active).is_(True))
    )
    people = {p.id: p for p in (await session.exec(query)).all()}
    return sorted(people.values(), key=lambda p: p.employee_no)
