"""The items of a leader's record, group by group, from storage.leader_record_queries.

Each function reads one group for one person and a UTC window (the month in the person's time zone) and
returns its answers as `Item`s, the parts counted beside them and how many items were never answered.
Nothing after `now` counts: the current month is the month so far.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.kinds import ACCIDENT_ACK, ACCIDENT_REPORT
from safety.leader_record.model import (
    ACCIDENTS,
    ANSWER_WITHIN,
    ASSIGN,
    AUTHORITY_WITHIN,
    CARDS,
    DIGESTS,
    LEAVE,
    SHIFTS,
    VERIFY,
    Item,
    as_utc,
)
from storage import leader_record_queries as lq

DIGEST_PARTS = {
    "obligation.remind": "remind",
    "obligation.excused": "excuse",
    "obligation.acknowledged": "handled",
}
REPORT_KINDS = frozenset({ACCIDENT_ACK, ACCIDENT_REPORT})  # answered as accidents, not as digest lines
VERIFY_PARTS = {"closed": "accepted", "rejected": "rejected"}


@dataclass
class Found:
    items: list[Item] = field(default_factory=list)
    parts: Counter[tuple[str, str]] = field(default_factory=Counter)
    unanswered: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Scope:
    person_id: int
    start: datetime  # UTC, the month's first moment in the person's zone
    end: datetime  # UTC, the next month's first moment
    now: datetime

    def holds(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= as_utc(moment) < self.end and as_utc(moment) <= self.now


def _item(group: str, part: str, about: str, started: datetime, answered: datetime) -> Item:
    return Item(group, part, about, as_utc(started), as_utc(answered), ANSWER_WITHIN[group])


async def cards(session: AsyncSession, scope: Scope, found: Found) -> None:
    """Cards sent in the month: read (on time or not), deployed, or not read at all."""
    rows = await lq.card_deliveries(session, person_id=scope.person_id, start=scope.start, end=scope.end)
    for title, send_at, read_at, deployed_at in rows:
        if not scope.holds(send_at):
            continue
        if read_at is None or as_utc(read_at) > scope.now:
            found.unanswered[CARDS] += 1
            continue
        item = _item(CARDS, "read", title, send_at, read_at)
        found.items.append(item)
        found.parts[CARDS, "on_time"] += not item.late
        found.parts[CARDS, "deployed"] += deployed_at is not None and as_utc(deployed_at) <= scope.now


async def accidents(
    session: AsyncSession, scope: Scope, found: Found, waiting: list[tuple[int, str, str, datetime]]
) -> None:
    """Accidents and major hazards acknowledged for everyone (已确认) and accidents reported (已上报)."""
    pid, start, end = scope.person_id, scope.start, scope.end
    for number, created, closed in await lq.closed_by(
        session, person_id=pid, kind=ACCIDENT_ACK, start=start, end=end
    ):
        if scope.holds(closed):
            found.items.append(_item(ACCIDENTS, "acknowledged", number, created, closed))
    for number, created, reported in await lq.authority_reports(session, person_id=pid, start=start, end=end):
        if scope.holds(reported):
            found.items.append(
                Item(ACCIDENTS, "reported", number, as_utc(created), as_utc(reported), AUTHORITY_WITHIN)
            )
    for _number, due in await lq.own_open(session, person_id=pid, kind=ACCIDENT_REPORT, start=start, end=end):
        found.unanswered[ACCIDENTS] += scope.holds(due)
    found.unanswered[ACCIDENTS] += sum(1 for _, kind, _, _ in waiting if kind == ACCIDENT_ACK)


async def shifts(session: AsyncSession, scope: Scope, found: Found, first: date, last: date) -> None:
    """Duty shifts of the month's days that have started: 到岗 pressed, or never."""
    for day, starts_at, confirmed_at in await lq.shifts(
        session, person_id=scope.person_id, first=first, last=last
    ):
        if as_utc(starts_at) > scope.now:
            continue
        if confirmed_at is None or as_utc(confirmed_at) > scope.now:
            found.unanswered[SHIFTS] += 1
        else:
            found.items.append(_item(SHIFTS, "confirmed", day.isoformat(), starts_at, confirmed_at))


def _reached(reach: list[tuple[int, datetime, datetime | None]], level: object, at: datetime) -> datetime:
    """When the digest of that level (else the first digest) listing the duty reached the person: sent,
    or written when its sent time is after the press (two processes' clocks); the press
    itself when no digest went to them (a unit group chat's digest)."""
    moments = [(lvl, sent if sent is not None and sent <= at else written) for lvl, written, sent in reach]
    before = [moment for _, moment in moments if moment <= at]
    at_level = [moment for lvl, moment in moments if lvl == level and moment <= at]
    return min(at_level or before or [at])


async def digests(session: AsyncSession, scope: Scope, found: Found) -> list[tuple[int, str, str, datetime]]:
    """Presses on escalation digest lines (提醒 / 请假 / 已处理), timed from the digest that listed the duty
    to them; returns the duties still waiting on them at their current step (id, kind, subject, reached),
    those of every kind: accidents count theirs."""
    pid = scope.person_id
    actions = [
        (as_utc(at), action, subject or "", detail or {})
        for at, action, subject, detail in await lq.digest_actions(
            session, person_id=pid, start=scope.start, end=scope.end
        )
        if scope.holds(at) and (detail or {}).get("kind") not in REPORT_KINDS
    ]
    ids = {int(d["obligation"]) for _, _, _, d in actions if str(d.get("obligation", "")).isdigit()}
    reach: dict[int, list[tuple[int, datetime, datetime | None]]] = {}
    for obligation_id, level, written, sent in await lq.digest_reach(
        session, person_id=pid, obligation_ids=sorted(ids)
    ):
        reach.setdefault(obligation_id, []).append((level, as_utc(written), as_utc(sent) if sent else None))
    for at, action, subject, detail in actions:
        obligation_id = int(detail.get("obligation", 0) or 0)
        started = _reached(reach.get(obligation_id, []), detail.get("level"), at)
        found.items.append(_item(DIGESTS, DIGEST_PARTS[action], subject, started, at))
    waiting: dict[int, tuple[int, str, str, datetime]] = {}
    for obligation_id, kind, subject, written, sent in await lq.waiting_on(session, person_id=pid):
        reached = as_utc(sent or written)
        if obligation_id in ids or not scope.holds(reached):
            continue
        if obligation_id not in waiting or reached < waiting[obligation_id][3]:
            waiting[obligation_id] = (obligation_id, kind, subject, reached)
    listed = list(waiting.values())
    found.unanswered[DIGESTS] += sum(1 for _, kind, _, _ in listed if kind not in REPORT_KINDS)
    return listed


async def leave(session: AsyncSession, scope: Scope, found: Found) -> None:
    for status, asked, decided, name in await lq.leave_decided(
        session, person_id=scope.person_id, start=scope.start, end=scope.end
    ):
        if scope.holds(decided) and status in ("approved", "rejected"):
            found.items.append(_item(LEAVE, status, name, asked, decided))


async def reports(
    session: AsyncSession,
    scope: Scope,
    found: Found,
    *,
    assign_units: Collection[str],
    verify_units: Collection[str],
) -> None:
    """First assignments (指派) timed from the report; verifications (通过 / 驳回) timed from the submission
    they answer; the reports of their scope still waiting for either."""
    pid, start, end = scope.person_id, scope.start, scope.end
    assigned = [
        row
        for row in await lq.report_steps(session, person_id=pid, actions=["assigned"], start=start, end=end)
        if scope.holds(row[4])
    ]
    firsts: dict[int, datetime] = {}
    for report_id, at in await lq.report_event_times(
        session, report_ids=sorted({r[0] for r in assigned}), action="assigned"
    ):
        firsts.setdefault(report_id, as_utc(at))
    for report_id, number, created, _action, at in assigned:
        if firsts.get(report_id) == as_utc(at):
            found.items.append(_item(ASSIGN, "assigned", number, created, at))
    verified = [
        row
        for row in await lq.report_steps(
            session, person_id=pid, actions=list(VERIFY_PARTS), start=start, end=end
        )
        if scope.holds(row[4])
    ]
    submitted: dict[int, list[datetime]] = {}
    for report_id, at in await lq.report_event_times(
        session, report_ids=sorted({r[0] for r in verified}), action="submitted"
    ):
        submitted.setdefault(report_id, []).append(as_utc(at))
    for report_id, number, created, action, at in verified:
        before = [s for s in submitted.get(report_id, []) if s <= as_utc(at)]
        found.items.append(_item(VERIFY, VERIFY_PARTS[action], number, max(before or [created]), at))
    for _number, created, _submitted in await lq.open_reports(
        session, unit_ids=sorted(assign_units), state="reported"
    ):
        found.unanswered[ASSIGN] += scope.holds(created)
    for _number, _created, submitted_at in await lq.open_reports(
        session, unit_ids=sorted(verify_units), state="submitted"
    ):
        found.unanswered[VERIFY] += scope.holds(submitted_at)
