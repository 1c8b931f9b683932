"""Queries on the organisation: units, people, role assignments, and the audit entry of an import.

Keyword-only, typed, the session passed explicitly; everything goes through the ORM with bound parameters
and behaves the same on SQLite and PostgreSQL. Tree walks load the (small) units table once and walk it in
memory, so they are one query and safe against a cycle in stored data. Lists of keys are sent in chunks to
stay below the bound-parameter limits of both backends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlmodel import col, delete, insert, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEntry, Person, RoleAssignment, Unit, utcnow

CHUNK = 1000
T = TypeVar("T")


def _chunks(items: Iterable[T], size: int = CHUNK) -> Iterable[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# units


async def all_units(session: AsyncSession, *, active_only: bool = False) -> list[Unit]:
    """Every unit, in (sort_order, id) order."""
    query = select(Unit).order_by(col(Unit.sort_order), col(Unit.id))
    if active_only:
        query = query.where(col(Unit.active).is_(True))
    return list((await session.exec(query)).all())


async def get_unit(session: AsyncSession, *, unit_id: str) -> Unit | None:
    return await session.get(Unit, unit_id)


async def unit_ancestors(session: AsyncSession, *, unit_id: str) -> list[Unit]:
    """The unit itself, then its parent, and so on up to the root; empty if the unit does not exist."""
    by_id = {u.id: u for u in await all_units(session)}
    chain: list[Unit] = []
    current = by_id.get(unit_id)
    while current is not None and current not in chain:
        chain.append(current)
        current = by_id.get(current.parent_id) if current.parent_id else None
    return chain


async def unit_descendants(session: AsyncSession, *, unit_id: str, active_only: bool = False) -> list[str]:
    """The ids of the unit and every unit below it (breadth first); empty if the unit does not exist."""
    units = await all_units(session, active_only=active_only)
    children: dict[str, list[str]] = {}
    known = {u.id for u in units}
    for unit in units:
        if unit.parent_id is not None:
            children.setdefault(unit.parent_id, []).append(unit.id)
    if unit_id not in known:
        return []
    found = [unit_id]
    seen = {unit_id}
    for current in found:
        for child in children.get(current, []):
            if child not in seen:
                seen.add(child)
                found.append(child)
    return found


async def insert_units(session: AsyncSession, *, units: Sequence[Unit]) -> None:
    """Add new units (parents before children) and flush."""
    session.add_all(units)
    await session.flush()


# people


async def all_people(session: AsyncSession) -> list[Person]:
    return list((await session.exec(select(Person).order_by(col(Person.id)))).all())


async def people_by_employee_no(session: AsyncSession, *, employee_nos: Iterable[str]) -> dict[str, Person]:
    found: dict[str, Person] = {}
    for batch in _chunks(set(employee_nos)):
        rows = await session.exec(select(Person).where(col(Person.employee_no).in_(batch)))
        found.update({p.employee_no: p for p in rows.all()})
    return found


async def people_in_units(
    session: AsyncSession, *, unit_ids: Iterable[str], active_only: bool = True
) -> list[Person]:
    """The people whose own unit is one of `unit_ids`, ordered by employee_no."""
    people: list[Person] = []
    for batch in _chunks(set(unit_ids)):
        query = select(Person).where(col(Person.unit_id).in_(batch))
        if active_only:
            query = query.where(col(Person.active).is_(True))
        people.extend((await session.exec(query)).all())
    return sorted(people, key=lambda p: p.employee_no)


async def count_active_people_in_units(session: AsyncSession, *, unit_ids: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for person in await people_in_units(session, unit_ids=unit_ids, active_only=True):
        counts[person.unit_id] = counts.get(person.unit_id, 0) + 1
    return counts


async def insert_people(
    session: AsyncSession, *, people: Sequence[tuple[str, str, str | None, str]]
) -> dict[str, int]:
    """Insert new people given as (employee_no, name, phone, unit_id), active; returns employee_no -> id.

    One executemany INSERT per chunk (not one statement per person); the ids are read back with one
    SELECT per chunk."""
    ids: dict[str, int] = {}
    for batch in _chunks(people):
        now = utcnow()
        rows = [
            {
                "employee_no": no,
                "name": name,
                "phone": phone,
                "unit_id": unit_id,
                "language": None,
                "active": True,
                "created_at": now,
            }
            for no, name, phone, unit_id in batch
        ]
        await session.exec(insert(Person), params=rows)
        found = await session.exec(
            select(Person.employee_no, Person.id).where(col(Person.employee_no).in_([r[0] for r in batch]))
        )
        ids.update({no: person_id for no, person_id in found.all() if person_id is not None})
    return ids


# roles


async def roles_of(session: AsyncSession, *, person_id: int) -> list[RoleAssignment]:
    query = select(RoleAssignment).where(RoleAssignment.person_id == person_id)
    return list((await session.exec(query.order_by(col(RoleAssignment.id)))).all())


async def all_role_assignments(session: AsyncSession) -> list[RoleAssignment]:
    return list((await session.exec(select(RoleAssignment).order_by(col(RoleAssignment.id)))).all())


async def add_role_assignments(session: AsyncSession, *, rows: Iterable[tuple[int, str, str]]) -> int:
    """Add (person_id, role, unit_id) assignments; returns how many."""
    added = 0
    for batch in _chunks(rows):
        values = [{"person_id": p, "role": r, "unit_id": u} for p, r, u in batch]
        await session.exec(insert(RoleAssignment), params=values)
        added += len(values)
    return added


async def delete_role_assignments(session: AsyncSession, *, ids: Iterable[int]) -> int:
    deleted = 0
    for batch in _chunks(ids):
        await session.exec(delete(RoleAssignment).where(col(RoleAssignment.id).in_(batch)))
        deleted += len(batch)
    return deleted


async def replace_roles(session: AsyncSession, *, person_id: int, roles: Iterable[tuple[str, str]]) -> bool:
    """Make the person's assignments exactly the given (role, unit_id) pairs; True if anything changed."""
    wanted = set(roles)
    current = await roles_of(session, person_id=person_id)
    stale = [a.id for a in current if (a.role, a.unit_id) not in wanted and a.id is not None]
    have = {(a.role, a.unit_id) for a in current}
    missing = sorted(wanted - have)
    await delete_role_assignments(session, ids=stale)
    await add_role_assignments(session, rows=[(person_id, r, u) for r, u in missing])
    return bool(stale or missing)


async def role_holders(
    session: AsyncSession, *, unit_ids: Iterable[str], role: str, active_only: bool = True
) -> list[tuple[Person, RoleAssignment]]:
    """Who holds `role` at one of `unit_ids` (active people only by default)."""
    found: list[tuple[Person, RoleAssignment]] = []
    for batch in _chunks(set(unit_ids)):
        query = (
            select(Person, RoleAssignment)
            .join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
            .where(RoleAssignment.role == role, col(RoleAssignment.unit_id).in_(batch))
        )
        if active_only:
            query = query.where(col(Person.active).is_(True))
        found.extend((p, a) for p, a in (await session.exec(query)).all())
    return sorted(found, key=lambda pa: pa[0].employee_no)


async def nearest_role_holders(session: AsyncSession, *, unit_id: str, role: str) -> list[Person]:
    """The active holders of `role` at the unit, else at the nearest unit above it that has any."""
    chain = await unit_ancestors(session, unit_id=unit_id)
    holders = await role_holders(session, unit_ids=[u.id for u in chain], role=role)
    by_unit: dict[str, list[Person]] = {}
    for person, assignment in holders:
        by_unit.setdefault(assignment.unit_id, []).append(person)
    for unit in chain:
        if unit.id in by_unit:
            return by_unit[unit.id]
    return []


# audit


async def add_audit_entry(
    session: AsyncSession,
    *,
    action: str,
    channel: str,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
    actor_id: int | None = None,
) -> AuditEntry:
    entry = AuditEntry(action=action, channel=channel, subject=subject, detail=detail, actor_id=actor_id)
    session.add(entry)
    await session.flush()
    return entry
