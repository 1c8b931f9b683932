"""What leaders see of their units' roster: who is on it and who has bound a chat account (on any channel)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.access import Actor
from safety.roles import LEADER_ROLES
from storage import identity_queries as iq
from storage import org_queries as oq
from storage import roster_queries as rq


@dataclass(frozen=True)
class UnitBinding:
    unit_id: str
    name: str
    total: int
    bound: int


@dataclass(frozen=True)
class MemberView:
    name: str
    roles: tuple[str, ...]
    bound: bool


async def scope_units(session: AsyncSession, *, actor: Actor) -> list[str]:
    """Units the actor leads: each unit where they hold a leader role, and everything below it."""
    seen: list[str] = []
    for unit_id in sorted(actor.units_with(LEADER_ROLES)):
        for descendant in await oq.unit_descendants(session, unit_id=unit_id):
            if descendant not in seen:
                seen.append(descendant)
    return seen


async def binding_overview(session: AsyncSession, *, actor: Actor) -> list[UnitBinding]:
    """Per unit in scope that has people: how many are on the roster and how many are bound."""
    units = await scope_units(session, actor=actor)
    names = await rq.unit_names(session, unit_ids=units)
    people = await oq.people_in_units(session, unit_ids=units)
    identities = await iq.bound_people(session, person_ids=[p.id for p in people if p.id is not None])
    rows = []
    for unit_id in units:
        members = [p for p in people if p.unit_id == unit_id]
        if members:
            bound = sum(1 for p in members if p.id in identities)
            rows.append(
                UnitBinding(
                    unit_id=unit_id, name=names.get(unit_id, unit_id), total=len(members), bound=bound
                )
            )
    return rows


@dataclass(frozen=True)
class UnitMembers:
    unit_name: str
    members: list[MemberView]


async def unit_members(session: AsyncSession, *, actor: Actor, unit_id: str) -> UnitMembers | None:
    """The members of one unit, or None when the unit is outside the actor's scope now."""
    if unit_id not in await scope_units(session, actor=actor):
        return None
    names = await rq.unit_names(session, unit_ids=[unit_id])
    people = await oq.people_in_units(session, unit_ids=[unit_id])
    ids = [p.id for p in people if p.id is not None]
    identities = await iq.bound_people(session, person_ids=ids)
    roles = await rq.roles_by_person(session, person_ids=ids)
    members = [
        MemberView(name=p.name, roles=tuple(sorted(roles.get(p.id or 0, []))), bound=p.id in identities)
        for p in people
    ]
    return UnitMembers(unit_name=names.get(unit_id, unit_id), members=members)
