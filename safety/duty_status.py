"""Today's check-in picture of a leader's units: on time, late, issue, excused, handled and missing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import duty_pictures
from safety.access import Actor
from safety.config import Defaults
from safety.kinds import CHECKIN
from safety.kinds.checkin import RoundExtra, round_ref
from safety.roster_status import scope_units
from storage import duty_queries as dq
from storage import org_queries as oq
from storage.models import Unit


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
    session: AsyncSession, *, actor: Actor, now: datetime, defaults: Defaults
) -> list[RoundStatus]:
    """Each unit's round of its own today (the unit's time zone)."""
    units = await scope_units(session, actor=actor)
    by_id = {u.id: u for u in await oq.all_units(session) if u.id in set(units)}
    days = {uid: defaults.today(now, u.timezone) for uid, u in by_id.items() if u.checkin}
    rows = []
    for unit_id in units:
        if unit_id not in days:
            continue
        round_ = await dq.round_by_unit_day(session, unit_id=unit_id, day=days[unit_id])
        if round_ is None or round_.id is None:
            continue
        ref = round_ref(round_.id)
        picture = (await duty_pictures.load(session, kind=CHECKIN, refs=[ref], defaults=defaults)).get(ref)
        if picture is None:
            continue
        extra: RoundExtra = picture.extra
        status = RoundStatus(unit_name=picture.unit_name(unit_id), due=picture.hhmm(round_.due_at, unit_id))
        for obligation in picture.duties:
            name = picture.name(obligation.subject_id)
            checkin = extra.checkins.get(obligation.subject_id)
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


async def today_of(session: AsyncSession, *, actor: Actor, now: datetime, defaults: Defaults) -> str:
    """The actor's date (their unit's time zone), as /status shows it."""
    unit = await session.get(Unit, actor.unit_id)
    return defaults.today(now, unit.timezone if unit else None).isoformat()
