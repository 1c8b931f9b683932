"""A leader's own duty record (履职记录) for one person and one month: `record_of`.

The month is taken in the time zone of the person's unit (its own, else its nearest ancestor's, else the
default), so "this month" and every time shown are theirs. What each group counts, and when an answer is
late, is in safety/leader_record/model.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults
from safety.export.period import Month, parse_month
from safety.export.scope import subtree, zones
from safety.leader_record import collect
from safety.leader_record.model import LeaderRecord, tally, window
from safety.reports.rectification_rights import ASSIGNERS, VERIFIERS
from safety.roles import Role
from storage import export_queries as eq
from storage import leader_record_queries as lq
from storage.models import Person, Unit

RECORD_ROLES = frozenset(
    {Role.TEAM_LEADER, Role.SAFETY_OFFICER, Role.MANAGER}
)  # whose record the sheet lists


def _below(units: list[Unit], roots: set[str]) -> set[str]:
    """The units at or below any of `roots`."""
    found: set[str] = set()
    for root in sorted(roots):
        if any(u.id == root for u in units):
            found |= {u.id for u in subtree(units, root)}
    return found


async def this_month(session: AsyncSession, *, person_id: int, now: datetime, defaults: Defaults) -> Month:
    """The month `now` falls in, in the person's time zone."""
    person = await session.get(Person, person_id)
    everything = await eq.all_units(session)
    zone = zones(everything, defaults).get(person.unit_id if person else "", defaults.zone(None))
    today = now.astimezone(zone).date()
    return parse_month(f"{today:%Y-%m}")


async def record_of(
    session: AsyncSession,
    *,
    person_id: int,
    month: Month,
    now: datetime,
    defaults: Defaults,
    units: list[Unit] | None = None,
) -> LeaderRecord:
    """The person's record for `month` up to `now`. `units` (all units) may be passed by a caller that
    builds many records (the export sheet), to read the tree once."""
    person = await session.get(Person, person_id)
    if person is None:
        raise LookupError(f"no person {person_id}")
    everything = units if units is not None else await eq.all_units(session)
    zone = zones(everything, defaults).get(person.unit_id, defaults.zone(None))
    start, end = window(month, zone)
    scope = collect.Scope(person_id, start, end, now)
    roles = await lq.role_units(session, person_id=person_id)
    found = collect.Found()
    await collect.cards(session, scope, found)
    waiting = await collect.digests(session, scope, found)
    await collect.accidents(session, scope, found, waiting)
    await collect.shifts(session, scope, found, month.first, month.last)
    await collect.leave(session, scope, found)
    await collect.reports(
        session,
        scope,
        found,
        assign_units=_below(everything, {u for r, u in roles if r in ASSIGNERS}),
        verify_units=_below(everything, {u for r, u in roles if r in VERIFIERS}),
    )
    return tally(person_id, person.name, month, zone, found.items, dict(found.parts), dict(found.unanswered))
