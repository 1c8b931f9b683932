"""Read-only roster lookups for leaders' views: unit names and role sets for many people at once."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import RoleAssignment, Unit


async def unit_names(session: AsyncSession, *, unit_ids: Iterable[str]) -> dict[str, str]:
    ids = list(set(unit_ids))
    if not ids:
        return {}
    result = await session.exec(select(Unit.id, Unit.name).where(col(Unit.id).in_(ids)))
    return dict(result.all())


async def roles_by_person(session: AsyncSession, *, person_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = list(set(person_ids))
    if not ids:
        return {}
    result = await session.exec(
        select(RoleAssignment.person_id, RoleAssignment.role).where(col(RoleAssignment.person_id).in_(ids))
    )
    roles: dict[int, list[str]] = {}
    for person_id, role in result.all():
        roles.setdefault(person_id, []).append(role)
    return roles
