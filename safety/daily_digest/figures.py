"""The daily digest's figures for one leader's scope (the units they hold safety_officer or manager at, and
every unit below): today's check-in rate by team, the last 14 days' rate, open hazards by age, overdue
rectifications, the quiz clearance rate and unacknowledged cards. Last week's summary is a message of its own
on Mondays (weekly.py).

A team's rate is the people who answered its round over its active people (a team without a round that
day — a day off — has no rate, not 0 %). Hazards' ages are whole days since they were reported."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import daily_digest_queries as dq
from storage.models import Unit

HISTORY_DAYS = 14
AGE_BUCKETS = (3, 7)  # open hazards: under 3 days, 3–7 days, over 7 days


@dataclass(frozen=True)
class TeamRate:
    name: str
    answered: int
    expected: int

    @property
    def rate(self) -> float:
        return min(1.0, self.answered / self.expected) if self.expected else 0.0


@dataclass(frozen=True)
class Figures:
    scope: str  # the scope's name: its top units' names
    day: date
    teams: tuple[TeamRate, ...]  # today's rounds
    history: tuple[tuple[date, float | None], ...]  # oldest first; None: no round that day
    hazards_by_age: tuple[int, int, int]
    overdue: int
    cleared: int
    people: int
    unacknowledged: int

    @property
    def clearance(self) -> float:
        return self.cleared / self.people if self.people else 0.0


def scope_of(units: list[Unit], tops: Iterable[str]) -> list[str]:
    """The active units at or below any of `tops` (top units first, in the tree's order)."""
    children: dict[str, list[Unit]] = {}
    for unit in sorted(units, key=lambda u: (u.sort_order, u.id)):
        if unit.parent_id is not None:
            children.setdefault(unit.parent_id, []).append(unit)
    known = {u.id: u for u in units if u.active}
    found: list[str] = [t for t in sorted(set(tops)) if t in known]
    seen = set(found)
    for current in found:
        for child in children.get(current, []):
            if child.active and child.id not in seen:
                seen.add(child.id)
                found.append(child.id)
    return found


def top_units(units: list[Unit], held: Iterable[str]) -> list[str]:
    """The held units that are not below another held unit (a scope is named after these)."""
    parent = {u.id: u.parent_id for u in units}
    held_set = set(held)

    def below_another(unit_id: str) -> bool:
        current = parent.get(unit_id)
        while current is not None:
            if current in held_set:
                return True
            current = parent.get(current)
        return False

    return sorted(u for u in held_set if not below_another(u))


async def gather(
    session: AsyncSession, *, units: list[Unit], tops: list[str], day: date, now: datetime
) -> Figures:
    """The figures of the scope below `tops` for the local `day` (read only)."""
    scope = scope_of(units, tops)
    by_id = {u.id: u for u in units}
    teams = [u for u in scope if by_id[u].checkin]
    counts = await dq.people_counts(session, unit_ids=scope)
    first = day - timedelta(days=HISTORY_DAYS - 1)
    rounds = await dq.rounds_between(session, unit_ids=teams, first=first, last=day)
    answered: dict[date, int] = {}
    expected: dict[date, int] = {}
    today: dict[str, int] = {}
    for unit_id, round_day, n in rounds:
        answered[round_day] = answered.get(round_day, 0) + n
        expected[round_day] = expected.get(round_day, 0) + counts.get(unit_id, (0, 0))[0]
        if round_day == day:
            today[unit_id] = n
    history = tuple(
        (d, min(1.0, answered[d] / expected[d]) if expected.get(d) else None)
        for d in (first + timedelta(days=i) for i in range(HISTORY_DAYS))
    )
    ages = [0, 0, 0]
    overdue = 0
    for reported_at, deadline, _state in await dq.open_hazards(session, unit_ids=scope):
        age = (now - reported_at).days
        ages[0 if age < AGE_BUCKETS[0] else 1 if age <= AGE_BUCKETS[1] else 2] += 1
        if deadline is not None and deadline < day:  # due at the end of its local day
            overdue += 1
    return Figures(
        scope="、".join(by_id[t].name for t in tops if t in by_id),
        day=day,
        teams=tuple(TeamRate(by_id[u].name, today[u], counts.get(u, (0, 0))[0]) for u in teams if u in today),
        history=history,
        hazards_by_age=(ages[0], ages[1], ages[2]),
        overdue=overdue,
        cleared=sum(c for _, c in (counts.get(u, (0, 0)) for u in scope)),
        people=sum(n for n, _ in (counts.get(u, (0, 0)) for u in scope)),
        unacknowledged=await dq.unacknowledged_cards(session, unit_ids=scope),
    )
