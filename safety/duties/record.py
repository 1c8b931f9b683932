"""Each listed duty (责任清单) of a person over a month, beside the evidence the bot holds: the periods of
its frequency, the evidence counted in each, which periods are met and which are missing (照单履职).

Who a duty applies to: a `person` duty to that person; a `role` duty to every holder of the role, at one of
its `units` or below them (all units when it lists none). A person gets each duty once, however many units
they hold its role at. The duties are those active now, and those deactivated after the month began (a
month's record keeps the duties that were in force in it).

A period is `met` once its evidence reaches the duty's count (even before it ends), `missing` when it is
over without that, `in_progress` while it runs on — a quarter or a year before its last month, or, when
`now` is given, a period not over on the person's local date — and `outside` for evidence kept outside the
bot (`none`). Periods due are the met and the missing ones; the rate is met / due. See
safety.duties.frequency for the periods and safety.duties.evidence for what counts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.calendar import WorkCalendar
from safety.config import Defaults
from safety.duties import evidence as ev
from safety.duties.frequency import Period, periods
from safety.export.rows import Month, rate, zones
from storage import duty_list_queries as dlq
from storage import export_queries as eq
from storage.duty_list_queries import Holder
from storage.models import DutyItem, Unit

MET, MISSING, IN_PROGRESS, OUTSIDE = "met", "missing", "in_progress", "outside"


@dataclass(frozen=True)
class PeriodStatus:
    period: Period
    count: int
    needed: int
    state: str  # met | missing | in_progress | outside


@dataclass(frozen=True)
class DutyStatus:
    """One duty of one person over a month. `role`: the role it applies through (None: a person duty)."""

    duty: DutyItem
    role: str | None
    periods: list[PeriodStatus]
    evidence: list[ev.Evidence]  # what counted, over every period, in date order

    @property
    def met(self) -> int:
        return sum(p.state == MET for p in self.periods)

    @property
    def due(self) -> int:
        return sum(p.state in (MET, MISSING) for p in self.periods)

    @property
    def missing(self) -> list[PeriodStatus]:
        return [p for p in self.periods if p.state == MISSING]

    @property
    def in_progress(self) -> list[PeriodStatus]:
        return [p for p in self.periods if p.state == IN_PROGRESS]

    @property
    def rate(self) -> float | None:
        return rate(self.met, self.due)


@dataclass(frozen=True)
class PersonDuties:
    holder: Holder
    unit_name: str
    duties: list[DutyStatus]


class _Month:
    """The month's duties with their periods, the units' subtrees and the working-day calendar."""

    def __init__(
        self, month: Month, items: list[DutyItem], units: list[Unit], is_workday: Callable[[date], bool]
    ) -> None:
        self.month, self.items = month, items
        self.periods = {item.id: periods(item.every, month, is_workday) for item in items}
        children: dict[str | None, list[str]] = {}
        for unit in units:
            children.setdefault(unit.parent_id, []).append(unit.id)
        self.below: dict[str, set[str]] = {}
        for unit in units:
            found, todo = set(), [unit.id]
            while todo:
                at = todo.pop()
                if at not in found:
                    found.add(at)
                    todo.extend(children.get(at, []))
            self.below[unit.id] = found
        self.scopes: dict[str, set[str] | None] = {  # a role duty's units and below (None: everywhere)
            i.id: None if i.units is None else set().union(*(self.below.get(u, {u}) for u in i.units))
            for i in items
        }

    def span(self, kind: str) -> tuple[date, date] | None:
        """The local dates the duties judged on `kind` count evidence over."""
        spans = [(p.first, p.until) for i in self.items if i.evidence == kind for p in self.periods[i.id]]
        return (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else None

    def applicable(self, holder: Holder) -> list[tuple[DutyItem, str | None]]:
        """The duties of the holder and the role each applies through (None: their own duty)."""
        found: list[tuple[DutyItem, str | None]] = []
        for item in self.items:
            if item.person_id is not None:
                if item.person_id == holder.person_id:
                    found.append((item, None))
                continue
            scope = self.scopes[item.id]
            if any(role == item.role and (scope is None or unit in scope) for role, unit in holder.roles):
                found.append((item, item.role))
        return found


async def _month(session: AsyncSession, month: Month, units: list[Unit]) -> _Month:
    since = datetime.combine(month.first, datetime.min.time(), UTC) - timedelta(days=1)
    items = await dlq.items_in_force(session, since=since)
    calendar = await WorkCalendar.load(session) if any(i.every == "workday" for i in items) else None
    return _Month(month, items, units, calendar.is_workday if calendar else _weekday)


def _weekday(day: date) -> bool:
    return day.weekday() < 5


async def _records(
    session: AsyncSession,
    plan: _Month,
    holders: Sequence[Holder],
    zone: Mapping[str, ZoneInfo],
    now: datetime | None,
) -> dict[int, list[DutyStatus]]:
    duties = {h.person_id: plan.applicable(h) for h in holders}
    people = {h.person_id: zone[h.unit_id] for h in holders if duties[h.person_id]}
    evidence: dict[str, dict[int, list[ev.Evidence]]] = {}
    for kind in {item.evidence for found in duties.values() for item, _ in found} - {ev.NONE}:
        span = plan.span(kind)
        if span is not None and people:
            evidence[kind] = await ev.collect(session, kind=kind, zones=people, first=span[0], last=span[1])
    out: dict[int, list[DutyStatus]] = {}
    for holder in holders:
        today = now.astimezone(zone[holder.unit_id]).date() if now is not None else None
        out[holder.person_id] = [
            _status(
                item,
                role,
                plan.periods[item.id],
                evidence.get(item.evidence, {}).get(holder.person_id, []),
                today,
            )
            for item, role in duties[holder.person_id]
        ]
    return out


def _status(
    item: DutyItem, role: str | None, found: list[Period], items: list[ev.Evidence], today: date | None
) -> DutyStatus:
    statuses: list[PeriodStatus] = []
    counted: list[ev.Evidence] = []
    for period in found:
        mine = ev.in_period(items, period.first, period.until)
        counted.extend(mine)  # the periods of a month do not overlap
        if item.evidence == ev.NONE:
            state = OUTSIDE
        elif len(mine) >= item.times:
            state = MET
        elif not period.judged or (today is not None and period.last >= today):
            state = IN_PROGRESS
        else:
            state = MISSING
        statuses.append(PeriodStatus(period, len(mine), item.times, state))
    return DutyStatus(item, role, statuses, sorted(counted, key=lambda e: e.day))


async def duty_record(
    session: AsyncSession, *, person_id: int, month: Month, defaults: Defaults, now: datetime | None = None
) -> list[DutyStatus]:
    """Each duty that applies to the person over the month with its periods, counts, met and missing (for
    /record and the export). `now`: periods not over by the person's local today are in progress."""
    units = await eq.all_units(session)
    found = await dlq.holders(session, person_id=person_id)
    if not found:
        return []
    plan = await _month(session, month, units)
    return (await _records(session, plan, found, zones(units, defaults), now))[person_id]


async def month_records(
    session: AsyncSession,
    *,
    month: Month,
    units: Sequence[Unit],
    all_units: list[Unit],
    defaults: Defaults,
    now: datetime | None = None,
) -> AsyncIterator[PersonDuties]:
    """The month's duty records of the active people of `units`, unit by unit (in the order given) and by
    employee number, read one unit at a time; people without a listed duty are left out."""
    plan = await _month(session, month, all_units)
    if not plan.items:
        return
    zone = zones(all_units, defaults)
    for unit in units:
        holders = [h for h in await dlq.holders(session, unit_ids=[unit.id]) if h.active]
        records = await _records(session, plan, holders, zone, now)
        for holder in holders:
            if records[holder.person_id]:
                yield PersonDuties(holder, unit.name, records[holder.person_id])
