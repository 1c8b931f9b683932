"""Queries for conversation state (chat_states): one row per person, every change a compare-and-set."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_ignoring_conflicts
from storage.models import ChatState


async def get(session: AsyncSession, *, person_id: int) -> ChatState | None:
    result = await session.exec(
        select(ChatState)
        .where(col(ChatState.person_id) == person_id)
        .execution_options(populate_existing=True)
    )
    return result.first()


async def put(
    session: AsyncSession, *, person_id: int, kind: str, data: dict[str, Any], now: datetime
) -> int:
    """Start a state whatever was there (a new flow replaces the old one); returns its version."""
    inserted = await session.exec(
        insert_ignoring_conflicts(session, ChatState, ["person_id"])
        .values(person_id=person_id, kind=kind, data=data, version=1, updated_at=now)
        .returning(col(ChatState.version))
    )
    version = inserted.scalar_one_or_none()
    if version is not None:
        return int(version)
    result = await session.exec(
        update(ChatState)
        .where(col(ChatState.person_id) == person_id)
        .values(kind=kind, data=data, version=col(ChatState.version) + 1, updated_at=now)
        .returning(col(ChatState.version))
        .execution_options(synchronize_session=False)
    )
    return int(result.scalar_one())


async def replace(
    session: AsyncSession, *, person_id: int, version: int, kind: str, data: dict[str, Any], now: datetime
) -> int | None:
    """Compare-and-set: change the state only if it is still at `version`; the new version, else None."""
    result = await session.exec(
        update(ChatState)
        .where(col(ChatState.person_id) == person_id, col(ChatState.version) == version)
        .values(kind=kind, data=data, version=version + 1, updated_at=now)
        .returning(col(ChatState.version))
        .execution_options(synchronize_session=False)
    )
    value = result.scalar_one_or_none()
    return int(value) if value is not None else None


async def delete_state(session: AsyncSession, *, person_id: int, version: int) -> bool:
    result = await session.exec(
        delete(ChatState).where(col(ChatState.person_id) == person_id, col(ChatState.version) == version)
    )
    return result.rowcount == 1


async def idle_since(session: AsyncSession, *, before: datetime, limit: int = 500) -> Sequence[ChatState]:
    result = await session.exec(
        select(ChatState)
        .where(col(ChatState.updated_at) < before)
        .order_by(col(ChatState.updated_at))
        .limit(limit)
    )
    return result.all()
