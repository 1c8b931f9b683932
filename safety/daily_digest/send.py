"""The daily digest's sending, run by housekeeping (jobs/duty.py, every minute): `run`.

At DIGEST_AT local time (SAFETYBOT_DIGEST_AT, default 17:30; in the leader's unit's time zone) every
active safety officer and manager gets, once per local day, a message with the figures of their units and
below (safety/daily_digest/figures.py) and the chart as a photo (chart.py, written under the data folder).

Three steps so the chart is never drawn inside a transaction nor on the event loop: `due` reads who has
no digest today yet and their figures; `chart.write` runs in a thread; `send_due` writes the outbox rows
(key daily:<date>:<person>, idempotent: a second pass, or another process, writes nothing)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import outbox
from safety.config import Defaults
from safety.daily_digest import chart
from safety.daily_digest.figures import Figures, gather, top_units
from safety.outbox import Envelope
from safety.roles import Role
from safety.views import Attachment, Line, Text, View
from storage import daily_digest_queries as dq
from storage import org_queries as oq

logger = logging.getLogger(__name__)
DIGEST_AT = "17:30"  # the default; SAFETYBOT_DIGEST_AT reaches runs as Services.digest_at
ROLES = (Role.SAFETY_OFFICER.value, Role.MANAGER.value)
FOLDER = "digests"


@dataclass(frozen=True)
class Due:
    """One leader's digest to send: their figures, and where the chart goes under the data folder."""

    person_id: int
    key: str
    figures: Figures
    chart_path: str


def key_of(day: date, person_id: int) -> str:
    return f"daily:{day.isoformat()}:{person_id}"


def _at(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


async def due(
    session: AsyncSession, *, now: datetime, defaults: Defaults, digest_at: str = DIGEST_AT
) -> list[Due]:
    """The leaders whose digest time has come today and who have none yet, with their figures (reads)."""
    leaders = await dq.leader_units(session, roles=ROLES)
    if not leaders:
        return []
    units = await oq.all_units(session)
    by_id = {u.id: u for u in units}
    at = _at(digest_at)
    candidates: list[tuple[int, date, list[str]]] = []
    for person_id, held in sorted(leaders.items()):
        tops = top_units(units, held)
        zone = defaults.zone(by_id[tops[0]].timezone if tops and tops[0] in by_id else None)
        local = now.astimezone(zone)
        if local.time() >= at:
            candidates.append((person_id, local.date(), tops))
    known = await dq.known_keys(session, keys=[key_of(d, p) for p, d, _ in candidates])
    found: list[Due] = []
    shared: dict[tuple[date, tuple[str, ...]], Figures] = {}  # leaders of the same units share figures
    for person_id, day, tops in candidates:
        key = key_of(day, person_id)
        if key in known:
            continue
        scope = (day, tuple(tops))
        if scope not in shared:
            shared[scope] = await gather(session, units=units, tops=tops, day=day, now=now)
        name = re.sub(r"[^A-Za-z0-9_-]", "_", "+".join(tops))[:80] or "scope"
        found.append(Due(person_id, key, shared[scope], f"{FOLDER}/{day.isoformat()}/{name}.png"))
    return found


def _percent(value: float) -> int:
    return round(value * 100)


def view_of(item: Due) -> View:
    f = item.figures
    lines: list[Line] = [Text("daily_digest.title", scope=f.scope, day=f.day.isoformat())]
    lines += [
        Text(
            "daily_digest.checkin_team",
            team=team.name,
            answered=team.answered,
            expected=team.expected,
            rate=_percent(team.rate),
        )
        for team in f.teams
    ] or [Text("daily_digest.checkin_none")]
    fresh, middle, old = f.hazards_by_age
    lines += [
        Text("daily_digest.hazards", fresh=fresh, middle=middle, old=old),
        Text("daily_digest.overdue", count=f.overdue),
        Text("daily_digest.clearance", cleared=f.cleared, people=f.people, rate=_percent(f.clearance)),
        Text("daily_digest.unacknowledged", count=f.unacknowledged),
    ]
    if f.week is not None:
        rate = "—" if f.week.rate is None else _percent(f.week.rate)
        lines.append(Text("daily_digest.week", rate=rate, found=f.week.found, closed=f.week.closed))
    return View(tuple(lines), files=(Attachment("photo", name="digest.png", path=item.chart_path),))


def render(items: Sequence[Due], data_dir: Path) -> None:
    """Write each distinct chart once (blocking: call in a thread)."""
    for path, figures in {i.chart_path: i.figures for i in items}.items():
        chart.write(figures, data_dir, path)


async def send_due(session: AsyncSession, items: Sequence[Due], *, now: datetime, defaults: Defaults) -> int:
    """The outbox rows of digests whose charts are written, in the caller's transaction; returns the count."""
    envelopes = [
        Envelope(key=i.key, kind="daily_digest", view=view_of(i), person_id=i.person_id) for i in items
    ]
    return await outbox.enqueue(session, envelopes, now=now, default_channel=defaults.channel)


async def run(runtime: Any) -> int:
    """Housekeeping's step: read (short transaction), draw in a thread, write the outbox (another)."""
    now: datetime = runtime.now()
    digest_at: str = getattr(runtime, "digest_at", DIGEST_AT)
    async with runtime.reading() as session:
        items = await due(session, now=now, defaults=runtime.defaults, digest_at=digest_at)
    if not items:
        return 0
    try:
        await asyncio.to_thread(render, items, Path(getattr(runtime, "data_dir", "data")))
    except Exception:  # no font, a full disk: housekeeping goes on; the next minute tries again
        logger.exception("daily digest: drawing %s charts failed", len(items))
        return 0
    async with runtime.session(background=True) as session:
        return await send_due(session, items, now=now, defaults=runtime.defaults)
