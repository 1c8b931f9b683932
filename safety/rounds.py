"""Opening check-in rounds: which teams, which day, who is expected, and the checklist they receive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import outbox
from safety.config import Defaults
from safety.kinds import CHECKIN
from safety.outbox import Envelope
from safety.policy import policy_for
from safety.views import Action, Line, Text, View
from storage import duty_queries as dq
from storage import org_queries as oq
from storage.models import Obligation, Round, Unit

DEFAULT_ITEM_KEYS = ("fit", "ppe", "briefing", "equipment", "workplace")


class DayRule(Protocol):
    """The work calendar: does a schedule rule (workdays, everyday, [mon, ...]) run on this day?"""

    def runs_on(self, day: date, rule: str | list[str]) -> bool: ...


@dataclass(frozen=True)
class Schedule:
    days: str | list[str]
    opens: time
    due: time
    items: tuple[str, ...] | None
    require_location: bool

    @classmethod
    def of(cls, unit: Unit) -> Schedule | None:
        raw: dict[str, Any] | None = unit.checkin
        if not raw:
            return None
        return cls(
            days=raw["days"],
            opens=time.fromisoformat(raw["opens"]),
            due=time.fromisoformat(raw["due"]),
            items=tuple(raw["items"]) if raw.get("items") else None,
            require_location=bool(raw.get("require_location")),
        )


def checklist(schedule: Schedule | None) -> list[Line]:
    """The unit's own items (shown as written), else the default items (DOMAIN §5) as catalog texts."""
    if schedule is not None and schedule.items:
        return list(schedule.items)
    return [Text(f"checkin.item_{key}") for key in DEFAULT_ITEM_KEYS]


def local_hhmm(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def round_view(*, round_id: int, unit: Unit, schedule: Schedule, due_at: datetime, tz: ZoneInfo) -> View:
    """The checklist with 全部正常 / 有异常, the same for every member of the round."""
    lines: list[Line] = [Text("checkin.open", unit=unit.name, due=local_hhmm(due_at, tz))]
    lines += [Text("checkin.item_line", n=n, item=item) for n, item in enumerate(checklist(schedule), 1)]
    lines.append(Text("checkin.open_hint"))
    actions = (
        (
            Action(Text("checkin.all_fine"), "ci", f"{round_id}.ok"),
            Action(Text("checkin.something_wrong"), "ci", f"{round_id}.issue"),
        ),
    )
    return View(tuple(lines), actions)


@dataclass(frozen=True)
class OpenedRound:
    round_id: int
    unit_id: str
    day: date
    sent: int
    excused: int


async def open_due_rounds(
    session: AsyncSession, *, now: datetime, calendar: DayRule, defaults: Defaults
) -> tuple[list[OpenedRound], set[tuple[str, date]]]:
    """Create today's round of every team whose window has opened; idempotent per team and local date.
    Returns the rounds opened, and every (unit, day) that needs nothing more today (a round exists, or the
    calendar says the team does not work)."""
    units = [u for u in await oq.all_units(session, active_only=True) if u.checkin]
    days = sorted({defaults.today(now, u.timezone) for u in units})
    existing = await dq.existing_round_keys(session, days=days) if days else set()
    settled = set(existing)
    opened = []
    for unit in units:
        schedule = Schedule.of(unit)
        assert schedule is not None
        tz = defaults.zone(unit.timezone)
        day = now.astimezone(tz).date()
        if (unit.id, day) in existing:
            continue
        if not calendar.runs_on(day, schedule.days):
            settled.add((unit.id, day))
            continue
        opens_at = datetime.combine(day, schedule.opens, tz)
        if now < opens_at:
            continue
        settled.add((unit.id, day))
        due_at = datetime.combine(day, schedule.due, tz)
        created = await dq.insert_round(
            session, round_=Round(unit_id=unit.id, day=day, opens_at=opens_at, due_at=due_at)
        )
        if created is None:
            continue  # another process opened it
        opened.append(
            await _expect_members(
                session, round_=created, unit=unit, schedule=schedule, tz=tz, now=now, defaults=defaults
            )
        )
    return opened, settled


async def _expect_members(
    session: AsyncSession,
    *,
    round_: Round,
    unit: Unit,
    schedule: Schedule,
    tz: ZoneInfo,
    now: datetime,
    defaults: Defaults,
) -> OpenedRound:
    assert round_.id is not None
    members = await dq.expected_members(session, unit_id=unit.id)
    on_leave = await dq.people_on_leave(session, person_ids=[p.id for p in members if p.id], day=round_.day)
    chain = [u.escalation for u in await oq.unit_ancestors(session, unit_id=unit.id)]
    steps = policy_for(chain, CHECKIN)
    first_step = round_.due_at + steps[0].after if steps else None
    view = round_view(round_id=round_.id, unit=unit, schedule=schedule, due_at=round_.due_at, tz=tz)
    envelopes = []
    excused = 0
    for person in members:
        assert person.id is not None
        leave = on_leave.get(person.id)
        session.add(
            Obligation(
                kind=CHECKIN,
                ref=f"round:{round_.id}",
                subject_id=person.id,
                unit_id=unit.id,
                due_at=round_.due_at,
                state="excused" if leave else "open",
                next_step_at=None if leave else first_step,
                closed_by=leave.decided_by if leave else None,
                closed_at=now if leave else None,
                created_at=now,
            )
        )
        if leave:
            excused += 1
            continue
        envelopes.append(
            Envelope(
                key=f"round:{round_.id}:open:{person.id}", kind="round_open", view=view, person_id=person.id
            )
        )
    await outbox.enqueue(session, envelopes, now=now, default_channel=defaults.channel)
    return OpenedRound(
        round_id=round_.id, unit_id=unit.id, day=round_.day, sent=len(envelopes), excused=excused
    )
