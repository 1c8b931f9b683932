"""Who is on duty now: `on_duty` for a unit (accident routing can reach the person on duty), and the
`/onduty` view of a person's units.

`on_duty(unit_id)` looks at the unit and the units above it, nearest first: a team without a roster of
its own is covered by its project's 带班领导 and 值班员. `/onduty` shows every shift covering now at the
reader's units (their own unit and the units of their roles), the units above them and the units below
them, with the role, the name, whether 到岗 was confirmed, and the phone number — only to a reader in the
same branch (the top unit of the tree), since a phone number is personal data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.access import Actor
from safety.config import Defaults
from safety.escalation import UnitTree
from safety.shifts.rules import LEADER, as_utc, role_text
from safety.shifts.views import hhmm, times
from safety.views import Line, Text, View
from storage import shift_queries as sq


@dataclass(frozen=True)
class OnDuty:
    """One person on duty now."""

    shift_id: int
    unit_id: str
    unit_name: str
    role: str  # leader | officer
    person_id: int
    name: str
    phone: str | None
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    confirmed_at: datetime | None
    zone: ZoneInfo  # the unit's


async def on_duty(
    session: AsyncSession, *, unit_id: str, now: datetime, defaults: Defaults | None = None
) -> list[OnDuty]:
    """The people on duty now for this unit: its own roster, then the rosters of the units above it
    (nearest first; 带班领导 before 值班员). Empty when nobody on the chain is on the roster now.
    `defaults` gives the time zone of units without one (each `OnDuty.zone`)."""
    tree = await UnitTree.load(session)
    order = {u.id: depth for depth, u in enumerate(tree.chain(unit_id))}
    found = await _covering(session, order.keys(), now, defaults or Defaults())
    return sorted(found, key=lambda d: (order[d.unit_id], d.role != LEADER, d.starts_at, d.shift_id))


async def view_for(session: AsyncSession, *, actor: Actor, now: datetime, defaults: Defaults) -> View:
    """/onduty: who is on duty now for the reader's units, above and below them."""
    tree = await UnitTree.load(session)
    mine = {actor.unit_id} | {unit for _, unit in actor.roles}
    scope: dict[str, None] = {}
    for unit_id in sorted(mine):
        for unit in reversed(tree.chain(unit_id)):
            scope.setdefault(unit.id)
        for below in _below(tree, unit_id):
            scope.setdefault(below)
    branches = {_root(tree, unit_id) for unit_id in mine}
    found = await _covering(session, scope.keys(), now, defaults)
    position = {unit_id: i for i, unit_id in enumerate(scope)}
    found.sort(key=lambda d: (position[d.unit_id], d.role != LEADER, d.starts_at, d.shift_id))
    own_zone = defaults.zone(tree.units[actor.unit_id].timezone if actor.unit_id in tree.units else None)
    lines: list[Line] = [Text("shifts.onduty_title", time=hhmm(now, own_zone))]
    if not found:
        lines.append(Text("shifts.onduty_none"))
    for duty in found:
        phone = duty.phone if duty.phone and _root(tree, duty.unit_id) in branches else None
        lines.append(
            Text(
                "shifts.onduty_line",
                unit=duty.unit_name,
                role=role_text(duty.role),
                name=duty.name,
                phone=Text("shifts.onduty_phone", phone=phone) if phone else "",
                **times(duty.starts_at, duty.ends_at, duty.zone),
                state=(
                    Text("shifts.state_confirmed", time=hhmm(duty.confirmed_at, duty.zone))
                    if duty.confirmed_at
                    else Text("shifts.state_unconfirmed")
                ),
            )
        )
    return View(tuple(lines))


async def _covering(
    session: AsyncSession, unit_ids: Iterable[str], now: datetime, defaults: Defaults
) -> list[OnDuty]:
    rows = await sq.covering(session, unit_ids=unit_ids, now=now)
    return [
        OnDuty(
            shift_id=row.shift.id or 0,
            unit_id=row.unit.id,
            unit_name=row.unit.name,
            role=row.shift.role,
            person_id=row.shift.person_id,
            name=row.name,
            phone=row.phone,
            starts_at=as_utc(row.shift.starts_at),
            ends_at=as_utc(row.shift.ends_at),
            confirmed_at=as_utc(row.shift.confirmed_at) if row.shift.confirmed_at else None,
            zone=defaults.zone(row.unit.timezone),
        )
        for row in rows
    ]


def _root(tree: UnitTree, unit_id: str) -> str:
    chain = tree.chain(unit_id)
    return chain[-1].id if chain else unit_id


def _below(tree: UnitTree, unit_id: str) -> list[str]:
    """The units under this one (not itself), breadth first."""
    children: dict[str, list[str]] = {}
    for unit in sorted(tree.units.values(), key=lambda u: (u.sort_order, u.id)):
        if unit.parent_id is not None:
            children.setdefault(unit.parent_id, []).append(unit.id)
    found: list[str] = []
    queue, seen = [unit_id], {unit_id}
    for current in queue:
        for child in children.get(current, []):
            if child not in seen:
                seen.add(child)
                queue.append(child)
                found.append(child)
    return found
