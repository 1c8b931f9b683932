"""What one export covers (an `ExportScope`): the month, `--unit`'s subtree (or every unit) and each unit's
time zone, read once at the start; every sheet streams its rows for this scope."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults
from safety.export.period import ExportError, Month
from safety.export.sheet import ExportScope
from storage import export_queries as eq
from storage.models import Unit


async def load_scope(
    session: AsyncSession,
    *,
    month: Month,
    unit: str | None,
    defaults: Defaults,
    now: datetime | None = None,
) -> ExportScope:
    """The scope of an export of `month` for `unit`'s subtree (everyone when None), made at `now`;
    ExportError when no unit has that id or name."""
    everything = await eq.all_units(session)
    return ExportScope(
        month, subtree(everything, unit), everything, zones(everything, defaults), defaults, now
    )


def subtree(units: list[Unit], root: str | None) -> list[Unit]:
    """The unit named by id (or exact name) and every unit below it, in the tree's order; all units when
    `root` is None."""
    if root is None:
        return units
    start = next((u for u in units if u.id == root), None) or next((u for u in units if u.name == root), None)
    if start is None:
        raise ExportError("export.unknown_unit", unit=root[:64])
    children: dict[str | None, list[Unit]] = defaultdict(list)
    for unit in units:
        children[unit.parent_id].append(unit)
    found, todo = [], [start]
    while todo:
        unit = todo.pop(0)
        found.append(unit)
        todo.extend(children[unit.id])
    order = {u.id: n for n, u in enumerate(units)}
    return sorted(found, key=lambda u: order[u.id])


def zones(units: list[Unit], defaults: Defaults) -> dict[str, ZoneInfo]:
    """Each unit's time zone: its own, else its nearest ancestor's, else the default."""
    by_id = {u.id: u for u in units}
    out: dict[str, ZoneInfo] = {}
    for unit in units:
        at: Unit | None = unit
        while at is not None and not at.timezone:
            at = by_id.get(at.parent_id) if at.parent_id else None
        out[unit.id] = defaults.zone(at.timezone if at is not None else None)
    return out
