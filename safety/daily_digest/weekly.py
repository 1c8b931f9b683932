"""Monday's weekly summary's figures for one leader's scope (their units and below, as the daily digest):
last week, Monday to Sunday in local dates, beside the week before it.

- check-in rate by team: the people who answered the team's rounds of the week over the people expected
  (its active people, per round, as the daily digest counts them); a team without rounds has no rate;
  the change is in whole percentage points between the two shown percentages, so the numbers add up;
- hazards found and closed (销号) in the week, and open now; rectifications (any report with a deadline)
  closed in the week on time (closed on or before the deadline, in the unit's local date) or late, and
  overdue now;
- quiz clearance now, and a week ago rebuilt from the clearance history (granted, suspended, expired): a
  person's state then is their last event before then, else the opposite of their first event after it,
  else their state now;
- reminder cards sent in the week to the scope's people, and how many were read (已阅) by now.

A week with nothing to count (no rounds, reports, closures, cards, nothing overdue) is `empty`, so the
message says so in one line instead of a page of zeros."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults
from safety.daily_digest.figures import scope_of
from storage import daily_digest_queries as dq
from storage import weekly_queries as wq
from storage.models import Unit

WEEK = timedelta(days=7)
LOWEST = 3  # teams named as the lowest check-in rates


def percent(value: float) -> int:
    return round(value * 100)


def change(now: float | None, before: float | None) -> int | None:
    """Points from `before` to `now`, between the rounded percentages (None: nothing to compare)."""
    return None if now is None or before is None else percent(now) - percent(before)


def _rate(answered: int, expected: int) -> float | None:
    return min(1.0, answered / expected) if expected else None


@dataclass(frozen=True)
class TeamWeek:
    name: str
    answered: int  # answers over the week's rounds
    expected: int  # people expected over the week's rounds
    before: float | None  # the week before's rate (None: no rounds then)

    @property
    def rate(self) -> float:
        return _rate(self.answered, self.expected) or 0.0

    @property
    def change(self) -> int | None:
        return change(self.rate, self.before)


@dataclass(frozen=True)
class WeekFigures:
    scope: str
    week: str  # ISO week of the summarised week, "2026-W48"
    first: date  # its Monday
    last: date  # its Sunday
    teams: tuple[TeamWeek, ...]  # teams with rounds in the week, in the tree's order
    answered: int
    expected: int
    before: float | None  # the whole scope's rate the week before
    found: int
    closed: int
    open_now: int
    on_time: int
    late: int
    overdue: int
    cleared: int
    people: int
    cleared_before: int  # a week ago, of today's people
    cards_sent: int
    cards_read: int

    @property
    def rate(self) -> float | None:
        return _rate(self.answered, self.expected)

    @property
    def change_total(self) -> int | None:
        return change(self.rate, self.before)

    @property
    def clearance(self) -> float:
        return self.cleared / self.people if self.people else 0.0

    @property
    def clearance_before(self) -> float:
        return self.cleared_before / self.people if self.people else 0.0

    @property
    def cards_rate(self) -> float | None:
        return self.cards_read / self.cards_sent if self.cards_sent else None

    @property
    def lowest(self) -> tuple[TeamWeek, ...]:
        """The teams with the lowest check-in rate, lowest first."""
        return tuple(sorted(self.teams, key=lambda t: (t.rate, t.name))[:LOWEST])

    @property
    def empty(self) -> bool:
        activity = (
            self.teams,
            self.found,
            self.closed,
            self.on_time,
            self.late,
            self.cards_sent,
            self.overdue,
        )
        return not any(activity)


def week_of(monday: date) -> tuple[str, date, date]:
    """The week before `monday`: its ISO name and its first and last local dates."""
    first = monday - WEEK
    year, number, _ = first.isocalendar()
    return f"{year}-W{number:02d}", first, monday - timedelta(days=1)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """The local midnight starting `day`, in UTC (SQLite compares stored UTC times as text)."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite gives stored UTC back naive


def cleared_at(now_cleared: bool, events: list[tuple[str, datetime]], moment: datetime) -> bool:
    """Whether a person was cleared at `moment`, from their events (oldest first) and their state now."""
    before = [event for event, at in events if at <= moment]
    if before:
        return before[-1] == "granted"
    after = [event for event, at in events if at > moment]
    if after:
        return after[0] != "granted"
    return now_cleared


async def gather(
    session: AsyncSession, *, units: list[Unit], tops: list[str], day: date, now: datetime, defaults: Defaults
) -> WeekFigures:
    """The figures of the scope below `tops` for the week before the local Monday `day` (read only)."""
    scope = scope_of(units, tops)
    by_id = {u.id: u for u in units}
    zone = defaults.zone(by_id[tops[0]].timezone if tops and tops[0] in by_id else None)
    name, first, last = week_of(day)
    start, end = _midnight(first, zone), _midnight(day, zone)
    teams = [u for u in scope if by_id[u].checkin]
    counts = await dq.people_counts(session, unit_ids=scope)
    rounds = await dq.rounds_between(session, unit_ids=teams, first=first - WEEK, last=last)
    this: dict[str, list[int]] = {}  # team -> [answered, expected]
    earlier: dict[str, list[int]] = {}
    for unit_id, round_day, n in rounds:
        totals = (this if round_day >= first else earlier).setdefault(unit_id, [0, 0])
        totals[0] += n
        totals[1] += counts.get(unit_id, (0, 0))[0]
    before_total = [sum(a for a, _ in earlier.values()), sum(e for _, e in earlier.values())]
    found, closed, open_now = await wq.hazard_counts(session, unit_ids=scope, start=start, end=end)
    on_time = late = 0
    for unit_id, deadline, closed_at in await wq.rectifications_closed(
        session, unit_ids=scope, start=start, end=end
    ):
        unit_zone = defaults.zone(by_id[unit_id].timezone if unit_id in by_id else None)
        if _aware(closed_at).astimezone(unit_zone).date() <= deadline:
            on_time += 1
        else:
            late += 1
    cleared_now = await wq.people_cleared(session, unit_ids=scope)
    history: dict[int, list[tuple[str, datetime]]] = {}
    for person_id, event, at in await wq.clearance_events(session, person_ids=cleared_now):
        history.setdefault(person_id, []).append((event, _aware(at)))
    week_ago = now - WEEK
    sent, read = await wq.cards_sent(session, unit_ids=scope, start=start, end=end)
    return WeekFigures(
        scope="、".join(by_id[t].name for t in tops if t in by_id),
        week=name,
        first=first,
        last=last,
        teams=tuple(
            TeamWeek(by_id[u].name, this[u][0], this[u][1], _rate(*earlier[u]) if u in earlier else None)
            for u in teams
            if u in this
        ),
        answered=sum(a for a, _ in this.values()),
        expected=sum(e for _, e in this.values()),
        before=_rate(before_total[0], before_total[1]),
        found=found,
        closed=closed,
        open_now=open_now,
        on_time=on_time,
        late=late,
        overdue=await wq.overdue_now(session, unit_ids=scope, before=day),
        cleared=sum(cleared_now.values()),
        people=len(cleared_now),
        cleared_before=sum(cleared_at(c, history.get(p, []), week_ago) for p, c in cleared_now.items()),
        cards_sent=sent,
        cards_read=read,
    )
