"""Applying a validated plan: upserts keyed by unit `id` and person `employee_no`, in the caller's
transaction.

Rows are compared before they are written, so a re-import of the same data writes nothing. Everything is
read with a few whole-table queries and written in batches (no query per row). A person missing from an
authoritative list is deactivated, never deleted (their role rows are kept too; queries that resolve role
holders filter on `Person.active`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.imports.channel_apply import apply_channel_columns, channels_differ
from safety.imports.plan import PersonSpec, UnitSpec
from safety.imports.results import EntityCounts, Progress
from storage import org_queries as q
from storage.models import Unit

BATCH = 1000
UNIT_FIELDS = (
    "name",
    "parent_id",
    "timezone",
    "checkin",
    "escalation",
    "sort_order",
    "group_chat_id",
    "inspection",
)
PERSON_FIELDS = ("name", "phone", "unit_id")


def assign(row: Any, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; True if any did."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _depths(specs: Sequence[UnitSpec]) -> dict[str, int]:
    parents = {s.id: s.parent_id for s in specs}
    depths: dict[str, int] = {}
    for spec in specs:
        chain: list[str] = []
        node: str | None = spec.id
        while node is not None and node in parents and node not in depths and node not in chain:
            chain.append(node)
            node = parents[node]
        base = depths.get(node, -1) if node is not None else -1
        for offset, unit_id in enumerate(reversed(chain), start=1):
            depths[unit_id] = base + offset
    return depths


async def apply_units(session: AsyncSession, specs: Sequence[UnitSpec]) -> EntityCounts:
    """Make the active units exactly `specs`; units not listed are deactivated."""
    counts = EntityCounts()
    existing = {u.id: u for u in await q.all_units(session)}
    depths = _depths(specs)
    new = [s for s in specs if s.id not in existing]
    new.sort(key=lambda s: depths[s.id])  # parents are inserted before their children
    await q.insert_units(
        session,
        units=[
            Unit(
                id=s.id,
                name=s.name,
                parent_id=s.parent_id,
                timezone=s.timezone,
                checkin=s.checkin,
                escalation=s.escalation,
                sort_order=s.sort_order,
                group_chat_id=s.group_chat_id,
                inspection=s.inspection,
            )
            for s in new
        ],
    )
    counts.created = len(new)
    listed = {s.id for s in specs}
    for spec in specs:
        unit = existing.get(spec.id)
        if unit is None:
            continue
        changed = assign(unit, {f: getattr(spec, f) for f in UNIT_FIELDS})
        if not unit.active:
            unit.active = True
            counts.reactivated += 1
        elif changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
    for unit_id, unit in existing.items():
        if unit_id not in listed and unit.active:
            unit.active = False
            counts.deactivated += 1
    await session.flush()
    return counts


async def apply_people(
    session: AsyncSession, specs: Sequence[PersonSpec], *, progress: Progress | None = None
) -> EntityCounts:
    """Make the active people exactly `specs`, each with exactly its roles at its own unit; people not
    listed are deactivated, listed inactive people are reactivated."""
    counts = EntityCounts()
    total = len(specs)
    existing = {p.employee_no: p for p in await q.all_people(session)}
    current_roles: dict[int, dict[tuple[str, str], int]] = {}
    for assignment in await q.all_role_assignments(session):
        if assignment.id is not None:
            current_roles.setdefault(assignment.person_id, {})[(assignment.role, assignment.unit_id)] = (
                assignment.id
            )
    stale_roles: list[int] = []
    new_roles: list[tuple[int, str, str]] = []
    new_ids: dict[str, int] = {}
    done = 0
    for start in range(0, total, BATCH):
        batch = specs[start : start + BATCH]
        created: list[PersonSpec] = []
        for spec in batch:
            person = existing.get(spec.employee_no)
            if person is None:
                created.append(spec)
                continue
            changed = assign(person, {"name": spec.name, "phone": spec.phone, "unit_id": spec.unit_id})
            assert person.id is not None
            have = current_roles.get(person.id, {})
            want = {(role, spec.unit_id) for role in spec.roles}
            stale_roles.extend(i for key, i in have.items() if key not in want)
            new_roles.extend((person.id, r, u) for r, u in sorted(want - have.keys()))
            changed = changed or want != have.keys() or channels_differ(person, spec)
            if not person.active:
                person.active = True
                counts.reactivated += 1
            elif changed:
                counts.updated += 1
            else:
                counts.unchanged += 1
        await session.flush()  # the updates of this batch
        ids = await q.insert_people(
            session, people=[(s.employee_no, s.name, s.phone, s.unit_id) for s in created]
        )
        new_ids.update(ids)
        for spec in created:
            new_roles.extend((ids[spec.employee_no], role, spec.unit_id) for role in spec.roles)
        counts.created += len(created)
        done += len(batch)
        if progress is not None:
            progress("people", done, total)
    listed = {s.employee_no for s in specs}
    for employee_no, person in existing.items():
        if employee_no not in listed and person.active:
            person.active = False
            counts.deactivated += 1
    await session.flush()
    await apply_channel_columns(session, specs, existing=existing, new_ids=new_ids)
    await q.delete_role_assignments(session, ids=stale_roles)
    for start in range(0, len(new_roles), BATCH):
        await q.add_role_assignments(session, rows=new_roles[start : start + BATCH])
        if progress is not None:
            progress("roles", min(start + BATCH, len(new_roles)), len(new_roles))
    return counts
