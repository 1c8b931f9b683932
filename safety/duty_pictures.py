"""Loading the pictures of many references' duties at once (the escalation tick's batch, a digest edit).

A handful of statements whatever the number of references: the obligations with their subjects' names, the
closers' names, their units, and the kind's own part (`DutyKind.load_extra`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from safety import kinds
from safety.config import Defaults
from safety.kinds.base import Picture
from storage import escalation_queries as eq
from storage.models import Unit


async def load(
    session: AsyncSession, *, kind: str, refs: Sequence[str], defaults: Defaults
) -> dict[str, Picture]:
    """The picture of each reference that still exists (a vanished round has none)."""
    wanted = sorted(set(refs))
    if not wanted:
        return {}
    duty_kind = kinds.get(kind)
    extra = await duty_kind.load_extra(session, wanted, defaults)
    duties = await eq.duties_of_refs(session, kind=kind, refs=wanted)
    names = {d.subject_id: d.name for d in duties}
    closers = {d.closed_by for d in duties if d.closed_by} - names.keys()
    names.update((p.id, p.name) for p in await eq.names_of(session, ids=closers))
    unit_ids = sorted({d.unit_id for d in duties} | set(_extra_units(extra)))
    units = (
        {u.id: u for u in (await session.exec(select(Unit).where(col(Unit.id).in_(unit_ids)))).all()}
        if unit_ids
        else {}
    )
    by_ref: dict[str, list] = {ref: [] for ref in wanted}
    for duty in duties:
        by_ref[duty.ref].append(duty)
    return {
        ref: Picture(kind, ref, by_ref[ref], units, names, defaults, extra.get(ref))
        for ref in wanted
        if ref in extra or by_ref[ref]
    }


def _extra_units(extra: dict[str, object]) -> list[str]:
    """Units the kind's own part names (a round's unit, even before anyone is expected in it)."""
    return [unit for value in extra.values() if (unit := getattr(value, "unit_id", None))]
