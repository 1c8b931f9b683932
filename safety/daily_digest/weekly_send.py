"""Monday's weekly summary, a message of its own beside the daily digest: `run`, called by the daily
digest's step (send.run, from housekeeping every minute).

On Monday at DIGEST_AT local time (the leader's top unit's time zone, as the daily digest) every active
safety officer and manager gets, once per week, last week's summary of their scope (weekly.py) with its
chart as a photo (weekly_chart.py). Only on Monday: a bot that was down all Monday does not send it on
Tuesday, when it would be old news beside that day's digest. Leaders of the same scope share the figures
and the chart file. The outbox key is weekly:<ISO week summarised>:<person>, so a second pass or another
process writes nothing. A week with nothing to count is one line and no chart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import outbox
from safety.config import Defaults
from safety.daily_digest import weekly_chart
from safety.daily_digest.leaders import DIGEST_AT, at_digest_time, file_name
from safety.daily_digest.steps import read_draw_write
from safety.daily_digest.weekly import TeamWeek, WeekFigures, gather, percent, week_of
from safety.outbox import Envelope
from safety.views import Attachment, Join, Line, Text, View
from storage import daily_digest_queries as dq

KIND = "weekly_summary"
FOLDER = "digests/weekly"
MONDAY = 0


@dataclass(frozen=True)
class Due:
    """One leader's summary to send: their figures, and where the chart goes (None: nothing to draw)."""

    person_id: int
    key: str
    figures: WeekFigures
    chart_path: str | None


def key_of(week: str, person_id: int) -> str:
    return f"weekly:{week}:{person_id}"


async def due(
    session: AsyncSession, *, now: datetime, defaults: Defaults, digest_at: str = DIGEST_AT
) -> list[Due]:
    """The leaders whose Monday digest time has come and who have no summary of last week yet (reads)."""
    units, leaders = await at_digest_time(session, now=now, defaults=defaults, digest_at=digest_at)
    mondays = [leader for leader in leaders if leader.day.weekday() == MONDAY]
    keys = {leader.person_id: key_of(week_of(leader.day)[0], leader.person_id) for leader in mondays}
    known = await dq.known_keys(session, keys=keys.values())
    found: list[Due] = []
    shared: dict[tuple[date, tuple[str, ...]], WeekFigures] = {}  # leaders of the same units share figures
    for leader in mondays:
        key = keys[leader.person_id]
        if key in known:
            continue
        scope = (leader.day, leader.tops)
        if scope not in shared:
            shared[scope] = await gather(
                session, units=units, tops=list(leader.tops), day=leader.day, now=now, defaults=defaults
            )
        figures = shared[scope]
        path = None if figures.empty else f"{FOLDER}/{figures.week}/{file_name(leader.tops)}.png"
        found.append(Due(leader.person_id, key, figures, path))
    return found


def _change(points: int | None) -> Text:
    """The change from the week before, as a text to put after a rate."""
    if points is None:
        return Text("weekly.change_none")
    if points > 0:
        return Text("weekly.change_up", points=points)
    if points < 0:
        return Text("weekly.change_down", points=-points)
    return Text("weekly.change_same")


def _team(team: TeamWeek) -> Text:
    return Text(
        "weekly.checkin_team",
        team=team.name,
        answered=team.answered,
        expected=team.expected,
        rate=percent(team.rate),
        change=_change(team.change),
    )


def view_of(item: Due) -> View:
    f = item.figures
    first, last = f.first.strftime("%m-%d"), f.last.strftime("%m-%d")
    lines: list[Line] = [Text("weekly.title", scope=f.scope, week=f.week, first=first, last=last)]
    if f.empty:
        return View((*lines, Text("weekly.no_data")))
    if f.rate is None:
        lines.append(Text("weekly.checkin_none"))
    else:
        total = Text("weekly.checkin_total", rate=percent(f.rate), change=_change(f.change_total))
        lines += [total, *(_team(team) for team in f.teams)]
        worst = tuple(Text("weekly.lowest_team", team=t.name, rate=percent(t.rate)) for t in f.lowest)
        lines.append(Text("weekly.lowest", teams=Join(worst)))
    lines += [
        Text("weekly.hazards", found=f.found, closed=f.closed, open=f.open_now),
        Text("weekly.rectification", on_time=f.on_time, late=f.late, overdue=f.overdue),
        Text(
            "weekly.clearance",
            cleared=f.cleared,
            people=f.people,
            rate=percent(f.clearance),
            change=_change(percent(f.clearance) - percent(f.clearance_before)),
        ),
    ]
    if f.cards_rate is None:
        lines.append(Text("weekly.cards_none"))
    else:
        lines.append(Text("weekly.cards", sent=f.cards_sent, read=f.cards_read, rate=percent(f.cards_rate)))
    files = () if item.chart_path is None else (Attachment("photo", name="weekly.png", path=item.chart_path),)
    return View(tuple(lines), files=files)


def render(items: Sequence[Due], data_dir: Path) -> None:
    """Write each distinct chart once (blocking: call in a thread)."""
    for path, figures in {i.chart_path: i.figures for i in items if i.chart_path is not None}.items():
        weekly_chart.write(figures, data_dir, path)


async def send_due(session: AsyncSession, items: Sequence[Due], *, now: datetime, defaults: Defaults) -> int:
    """The outbox rows of summaries whose charts are written, in the caller's transaction; the count."""
    envelopes = [Envelope(key=i.key, kind=KIND, view=view_of(i), person_id=i.person_id) for i in items]
    return await outbox.enqueue(session, envelopes, now=now, default_channel=defaults.channel)


async def run(runtime: Any) -> int:
    """Read (short transaction), draw in a thread, write the outbox (another): safety.daily_digest.steps."""
    return await read_draw_write(runtime, what="weekly summary", due=due, render=render, send_due=send_due)
