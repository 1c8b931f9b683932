"""Leave: a person asks, their team leader approves or rejects with buttons; approved days are excused."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from safety import digests, outbox, textcheck
from safety.access import Actor
from safety.config import Defaults
from safety.kinds import CHECKIN
from safety.outbox import Envelope
from safety.roles import Role
from safety.views import Action, Text, View
from storage import duty_queries as dq
from storage import identity_queries as iq
from storage import org_queries as oq
from storage.models import Leave, Person, Round, Unit

MAX_DAYS = 31
REASON_LIMIT = 200
_FULL = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SHORT = re.compile(r"^(\d{1,2})-(\d{1,2})$")


class LeaveError(Exception):
    """A request that cannot be accepted; `key` and `params` name the catalog text."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def parse_day(text: str, today: date) -> date:
    """2026-12-01, 2026/12/01 or 12-01 (this year, or next year when that day has passed)."""
    value = text.strip().replace("/", "-").replace(".", "-")
    try:
        if m := _FULL.match(value):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _SHORT.match(value):
            day = date(today.year, int(m[1]), int(m[2]))
            return day if day >= today else date(today.year + 1, day.month, day.day)
    except ValueError:
        pass
    raise LeaveError("leave.bad_date", value=text[:20])


def parse_request(args: list[str], today: date) -> tuple[date, date, str]:
    """`FROM [TO] REASON`: one or two dates, then the reason."""
    if not args:
        raise LeaveError("leave.usage")
    first = parse_day(args[0], today)
    rest = args[1:]
    last = first
    if rest and (_FULL.match(rest[0].replace("/", "-")) or _SHORT.match(rest[0].replace("/", "-"))):
        last = parse_day(rest[0], today)
        rest = rest[1:]
    reason = " ".join(rest).strip()
    check_range(first, last, today)
    return first, last, check_reason(reason)


def check_first(first: date, today: date) -> date:
    """A first day that some last day can still follow under `check_range` (within MAX_DAYS of today)."""
    if (today - first).days >= MAX_DAYS:
        raise LeaveError("leave.in_past")
    return first


def check_range(first: date, last: date, today: date) -> None:
    """The range rules: the last day not before the first, at most MAX_DAYS days, not all in the past."""
    if last < first or (last - first).days >= MAX_DAYS:
        raise LeaveError("leave.bad_range", days=MAX_DAYS)
    if last < today:
        raise LeaveError("leave.in_past")


def check_reason(reason: str) -> str:
    """The reason as given, refused when blank once invisible characters are gone, or too long."""
    if textcheck.is_blank(reason):
        raise LeaveError("leave.reason_missing")
    if len(reason) > REASON_LIMIT:
        raise LeaveError("leave.reason_too_long", limit=REASON_LIMIT)
    return reason


def last_day_choices(first: date, today: date, count: int = 7) -> list[date]:
    """Last days to offer as buttons: from the first day (or today, when it has passed) on, within range."""
    start = max(first, today)
    end = first + timedelta(days=MAX_DAYS - 1)
    return [start + timedelta(days=n) for n in range(count) if start + timedelta(days=n) <= end]


async def request_leave(
    session: AsyncSession,
    *,
    person: Person,
    first: date,
    last: date,
    reason: str,
    now: datetime,
    defaults: Defaults,
    channel: str,
) -> Leave:
    """Store the request and send it to the person's team leader(s) with approve / reject buttons."""
    leaders = [
        p
        for p in await oq.nearest_role_holders(session, unit_id=person.unit_id, role=Role.TEAM_LEADER)
        if p.active and p.id != person.id
    ]
    if not leaders:
        leaders = [
            p
            for p in await oq.nearest_role_holders(session, unit_id=person.unit_id, role=Role.SAFETY_OFFICER)
            if p.active
        ]
    if not leaders:
        raise LeaveError("leave.no_leader")
    assert person.id is not None
    leave = Leave(person_id=person.id, first_day=first, last_day=last, reason=reason, created_at=now)
    session.add(leave)
    await session.flush()
    unit = await session.get(Unit, person.unit_id)
    view = View(
        (
            Text(
                "leave.request",
                name=person.name,
                unit=unit.name if unit else "",
                first=str(first),
                last=str(last),
                reason=reason,
            ),
        ),
        (
            (
                Action(Text("leave.approve"), "lv", f"{leave.id}.a"),
                Action(Text("leave.reject"), "lv", f"{leave.id}.r"),
            ),
        ),
    )
    envelopes = [
        Envelope(key=f"leave:{leave.id}:ask:{leader.id}", kind="leave", view=view, person_id=leader.id)
        for leader in leaders
    ]
    await outbox.enqueue(session, envelopes, now=now, default_channel=defaults.channel)
    iq.add_audit(
        session,
        at=now,
        actor_id=person.id,
        channel=channel,
        action="leave.request",
        subject=person.employee_no,
        detail={"first": str(first), "last": str(last)},
    )
    return leave


async def request_from_args(
    session: AsyncSession, *, actor: Actor, args: list[str], now: datetime, defaults: Defaults, channel: str
) -> tuple[date, date]:
    """`/leave FROM [TO] REASON` of the actor, dates read in their unit's time zone; LeaveError if refused."""
    person = await session.get(Person, actor.person_id)
    assert person is not None
    today = await today_of(session, actor=actor, now=now, defaults=defaults)
    first, last, reason = parse_request(args, today)
    await request_leave(
        session,
        person=person,
        first=first,
        last=last,
        reason=reason,
        now=now,
        defaults=defaults,
        channel=channel,
    )
    return first, last


async def today_of(session: AsyncSession, *, actor: Actor, now: datetime, defaults: Defaults) -> date:
    """Today in the actor's unit's time zone (the dates of a leave request are the unit's)."""
    unit = await session.get(Unit, actor.unit_id)
    return defaults.today(now, unit.timezone if unit else None)


async def request_days(
    session: AsyncSession,
    *,
    actor: Actor,
    first: date,
    last: date,
    reason: str,
    now: datetime,
    defaults: Defaults,
    channel: str,
) -> Leave:
    """The guided `/leave`: the same rules as the argument form, checked again at the moment of sending
    (a day may have passed since it was picked), then stored and sent like it; LeaveError if refused."""
    person = await session.get(Person, actor.person_id)
    assert person is not None
    check_range(first, last, await today_of(session, actor=actor, now=now, defaults=defaults))
    return await request_leave(
        session,
        person=person,
        first=first,
        last=last,
        reason=check_reason(reason),
        now=now,
        defaults=defaults,
        channel=channel,
    )


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    ALREADY = "already_decided"
    NOT_ALLOWED = "not_allowed"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class DecisionOutcome:
    decision: Decision
    leave: Leave | None = None
    subject: Person | None = None


async def _may_decide(session: AsyncSession, actor: Actor, subject: Person) -> bool:
    chain = {u.id for u in await oq.unit_ancestors(session, unit_id=subject.unit_id)}
    roles = {Role.TEAM_LEADER, Role.SAFETY_OFFICER, Role.MANAGER}
    return actor.person_id != subject.id and bool(actor.units_with(roles) & chain)


async def decide(
    session: AsyncSession,
    *,
    leave_id: int,
    approve: bool,
    actor: Actor,
    now: datetime,
    defaults: Defaults,
    channel: str,
) -> DecisionOutcome:
    """Approve or reject, once: the decision is a compare-and-set on the pending request, so of two leaders
    (or ten presses) deciding at once exactly one wins and the others are told it was decided. Approval
    excuses the person's open check-ins on those days."""
    leave = await session.get(Leave, leave_id)
    subject = await session.get(Person, leave.person_id) if leave else None
    if leave is None or subject is None:
        return DecisionOutcome(Decision.NOT_FOUND)
    if not await _may_decide(session, actor, subject):
        return DecisionOutcome(Decision.NOT_ALLOWED, leave, subject)
    status = "approved" if approve else "rejected"
    if not await dq.decide_leave(session, leave_id=leave_id, status=status, by=actor.person_id, now=now):
        return DecisionOutcome(Decision.ALREADY, leave, subject)
    key = "leave.approved_notice" if approve else "leave.rejected_notice"
    view = View((Text(key, first=str(leave.first_day), last=str(leave.last_day), by=actor.name),))
    envelope = Envelope(key=f"leave:{leave.id}:decided", kind="leave", view=view, person_id=subject.id)
    await outbox.enqueue(session, [envelope], now=now, default_channel=defaults.channel)
    iq.add_audit(
        session,
        at=now,
        actor_id=actor.person_id,
        channel=channel,
        action=f"leave.{status}",
        subject=subject.employee_no,
        detail={"leave": leave.id},
    )
    if approve:
        await _excuse_rounds(session, leave, actor, now=now, defaults=defaults)
    return DecisionOutcome(Decision.APPROVED if approve else Decision.REJECTED, leave, subject)


async def _excuse_rounds(
    session: AsyncSession,
    leave: Leave,
    actor: Actor,
    *,
    now: datetime,
    defaults: Defaults,
) -> None:
    days = [leave.first_day + timedelta(days=n) for n in range((leave.last_day - leave.first_day).days + 1)]
    rounds = (await session.exec(select(Round).where(col(Round.day).in_(days)))).all()
    refs = [f"round:{r.id}" for r in rounds]
    for obligation in await dq.open_obligations_of_subject(
        session, kind=CHECKIN, subject_id=leave.person_id, refs=refs
    ):
        assert obligation.id is not None
        if await dq.close_obligation(
            session, obligation_id=obligation.id, state="excused", by=actor.person_id, now=now, note="leave"
        ):
            await digests.refresh(session, kind=CHECKIN, ref=obligation.ref, now=now, defaults=defaults)
