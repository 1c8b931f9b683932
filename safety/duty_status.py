"""Today's check-in picture of a leader's units: on time, late, issue, excused, handled and missing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.access import Actor
from safety.checkin_digest import load_round
from safety.roster_status import scope_units
from safety.rounds import zone
from storage import duty_queries as dq
from storage import org_queries as oq


@dataclass
class RoundStatus:
    unit_name: str
    due: str
    on_time: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)
    issue: list[str] = field(default_factory=list)
    excused: list[str] = field(default_factory=list)
    handled: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


async def todays_rounds(
    session: AsyncSession, *, actor: Actor, now: datetime, default_timezone: str
) -> list[RoundStatus]:
    units = await scope_units(session, actor=actor)
    by_id = {u.id: u for u in await oq.all_units(session) if u.id in set(units)}
    days = {uid: now.astimezone(zone(u, default_timezone)).date() for uid, u in by_id.items() if u.checkin}
    rows = []
    for unit_id in units:
        if unit_id not in days:
            continue
        round_ = await dq.round_by_unit_day(session, unit_id=unit_id, day=days[unit_id])
        if round_ is None:
            continue
        picture = await load_round(session, ref=f"round:{round_.id}", default_timezone=default_timezone)
        if picture is None:
            continue
        status = RoundStatus(unit_name=picture.unit.name, due=picture.hhmm(round_.due_at))
        for obligation in picture.obligations:
            name = picture.name(obligation.subject_id)
            checkin = picture.checkins.get(obligation.subject_id)
            if checkin is not None:
                {"on_time": status.on_time, "late": status.late, "issue": status.issue}[
                    checkin.status
                ].append(name)
            elif obligation.state == "excused":
                status.excused.append(name)
            elif obligation.state == "acknowledged":
                status.handled.append(name)
            else:
                status.missing.append(name)
        rows.append(status)
    return rows
