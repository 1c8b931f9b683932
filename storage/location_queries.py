"""Queries on site locations (the places a QR poster hangs; `safetybot import locations`, `safetybot qr`).

Keyword-only, typed, the session passed explicitly. A location is never deleted: reports refer to it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Location

CHUNK = 1000


async def get_location(session: AsyncSession, *, location_id: str) -> Location | None:
    return await session.get(Location, location_id)


async def all_locations(session: AsyncSession) -> list[Location]:
    """Every stored location, active or not, by id."""
    return list((await session.exec(select(Location).order_by(col(Location.id)))).all())


async def active_locations_in_units(session: AsyncSession, *, unit_ids: Sequence[str]) -> list[Location]:
    """The active locations of these units, by unit (in the order given), then name and id."""
    order = {unit_id: index for index, unit_id in enumerate(unit_ids)}
    found: list[Location] = []
    for start in range(0, len(unit_ids), CHUNK):
        query = select(Location).where(
            col(Location.unit_id).in_(list(unit_ids[start : start + CHUNK])), col(Location.active).is_(True)
        )
        found.extend((await session.exec(query)).all())
    return sorted(found, key=lambda loc: (order.get(loc.unit_id, len(order)), loc.name, loc.id))


async def insert_locations(session: AsyncSession, *, locations: Sequence[Location]) -> None:
    """Add new locations (their ids must not exist yet) and flush."""
    session.add_all(locations)
    await session.flush()


async def update_location(
    session: AsyncSession, *, location_id: str, name: str, unit_id: str, active: bool
) -> None:
    """One UPDATE statement: the stored row becomes the file's."""
    await session.exec(
        update(Location)
        .where(col(Location.id) == location_id)
        .values(name=name, unit_id=unit_id, active=active)
    )
