"""The daily digest's sending, run by housekeeping (jobs/duty.py, every minute): `run`.

At DIGEST_AT local time (SAFETYBOT_DIGEST_AT, default 17:30; in the leader's unit's time zone) every
active safety officer and manager gets, once per local day, a message with the figures of their units and
below (safety/daily_digest/figures.py) and the chart as a photo (chart.py, written under the data folder).

Three steps so the chart is never drawn inside a transaction nor on the event loop: `due` reads who has
no digest today yet and their figures; `chart.write` runs in a thread; `send_due` writes the outbox rows
(key daily:<date>:<person>, idempotent: a second pass, or another process, writes nothing).
The same run then sends Monday's weekly summary (weekly_send.py), at the same time of day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import outbox
from safety.config import Defaults
from safety.daily_digest import chart, weekly_send
from safety.daily_digest.figures import Figures, gather
from safety.daily_digest.leaders import DIGEST_AT, ROLES, at_digest_time, file_name
from safety.daily_digest.steps import read_draw_write
from safety.outbox import Envelope
from safety.views import Attachment, Line, Text, View
from storage import daily_digest_queries as dq

FOLDER = "digests"
__all__ = ["DIGEST_AT", "ROLES", "Due", "due", "key_of", "run", "run_daily", "send_due", "view_of"]


@dataclass(frozen=True)
class Due:
    """One leader's digest to send: their figures, and where the chart goes under the data folder."""

    person_id: int
    key: str
    figures: Figures
    chart_path: str


def key_of(day: date, person_id: int) -> str:
    return f"daily:{day.isoformat()}:{person_id}"


async def due(
    session: AsyncSession, *, now: datetime, defaults: Defaults, digest_at: str = DIGEST_AT
) -> list[Due]:
    """The leaders whose digest time has come today and who have none yet, with their figures (reads)."""
    units, candidates = await at_digest_time(session, now=now, defaults=defaults, digest_at=digest_at)
    known = await dq.known_keys(session, keys=[key_of(c.day, c.person_id) for c in candidates])
    found: list[Due] = []
    shared: dict[tuple[date, tuple[str, ...]], Figures] = {}  # leaders of the same units share figures
    for leader in candidates:
        key = key_of(leader.day, leader.person_id)
        if key in known:
            continue
        scope = (leader.day, leader.tops)
        if scope not in shared:
            shared[scope] = await gather(
                session, units=units, tops=list(leader.tops), day=leader.day, now=now
            )
        path = f"{FOLDER}/{leader.day.isoformat()}/{file_name(leader.tops)}.png"
        found.append(Due(leader.person_id, key, shared[scope], path))
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
    """Housekeeping's step: today's digests, then (on Mondays) last week's summaries; returns the rows."""
    return await run_daily(runtime) + await weekly_send.run(runtime)


async def run_daily(runtime: Any) -> int:
    """Read (short transaction), draw in a thread, write the outbox (another): safety.daily_digest.steps."""
    return await read_draw_write(runtime, what="daily digest", due=due, render=render, send_due=send_due)
