"""Who gets a digest now, shared by the daily digest (send.py) and the Monday weekly summary (weekly_send.py):
the active safety officers and managers whose DIGEST_AT has come in their top unit's time zone, each with
the units their scope is named after. Kept apart so that both steps read the leaders the same way."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults
from safety.daily_digest.figures import top_units
from safety.roles import Role
from storage import daily_digest_queries as dq
from storage import org_queries as oq
from storage.models import Unit

DIGEST_AT = "17:30"  # the default; SAFETYBOT_DIGEST_AT reaches runs as Services.digest_at
ROLES = (Role.SAFETY_OFFICER.value, Role.MANAGER.value)


@dataclass(frozen=True)
class Leader:
    """A leader whose digest time has come: their local date there and the top units of their scope."""

    person_id: int
    day: date
    tops: tuple[str, ...]


def time_of(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def file_name(tops: Iterable[str]) -> str:
    """A scope's chart file name (without the folder): safe on every file system."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", "+".join(tops))[:80] or "scope"


async def at_digest_time(
    session: AsyncSession, *, now: datetime, defaults: Defaults, digest_at: str = DIGEST_AT
) -> tuple[list[Unit], list[Leader]]:
    """Every unit (for the figures), and the leaders whose local time is at or past `digest_at` (reads)."""
    leaders = await dq.leader_units(session, roles=ROLES)
    if not leaders:
        return [], []
    units = await oq.all_units(session)
    by_id = {u.id: u for u in units}
    at = time_of(digest_at)
    found: list[Leader] = []
    for person_id, held in sorted(leaders.items()):
        tops = top_units(units, held)
        zone = defaults.zone(by_id[tops[0]].timezone if tops and tops[0] in by_id else None)
        local = now.astimezone(zone)
        if local.time() >= at:
            found.append(Leader(person_id, local.date(), tuple(tops)))
    return units, found
