"""The kinds of evidence a listed duty can be judged on: what of the bot's own records counts for it.

| kind | counts | dated by |
| --- | --- | --- |
| `cards_deployed` | the person's 已部署落实 answers to reminder cards | the answer |
| `cards_read` | the person's 已阅 answers to reminder cards | the answer |
| `hazards_verified` | reports whose rectification the person accepted (通过, 销号) | the acceptance |
| `reports_assigned` | reports the person assigned for rectification (指派) | the assignment |
| `digests_handled` | the person's presses on escalation digests: 提醒, 请假, 已处理, 已上报 | the press |
| `duty_shifts` | duty shifts (值班表) the person confirmed with 到岗 | the roster day |
| `inspections` | inspections by checklist the person finished (/inspect) | the finish |
| `reports_made` | reports the person made (hazards, near misses, accidents, violations) | the report |
| `checkins` | the person's pre-shift check-ins (on time, late or with an issue) | the round's day |
| `none` | nothing: the duty is kept outside the bot and is listed without a judgement | — |

Every piece of evidence is turned into a local date in the time zone of the person's unit and shown as a
short text (a catalog key `duties.item.<kind>` with its values); anonymous reports show no number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import duty_evidence_queries as evq

NONE = "none"
KINDS = (
    "cards_deployed",
    "cards_read",
    "hazards_verified",
    "reports_assigned",
    "digests_handled",
    "duty_shifts",
    "inspections",
    "reports_made",
    "checkins",
    NONE,
)
DIGEST_WORDS = {  # audit action of a digest press → the word the record shows
    "obligation.remind": "duties.digest_action.remind",
    "obligation.excused": "duties.digest_action.excused",
    "obligation.acknowledged": "duties.digest_action.acknowledged",
    "obligation.authority_reported": "duties.digest_action.authority_reported",
}
SHIFT_WORDS = {"leader": "shifts.role_leader", "officer": "shifts.role_officer"}


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence on a local date: its text is the catalog key `key` with `params`; the params
    named in `keyed` are catalog keys themselves (words shown in the reader's language)."""

    day: date
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    keyed: tuple[str, ...] = ()


@cache
def digest_actions() -> tuple[str, ...]:
    """The audit actions of every digest button of every duty kind (safety.kinds)."""
    from safety import kinds

    found = {a.audit for name in kinds.KIND_NAMES for a in kinds.get(name).actions}
    return tuple(sorted(found | set(DIGEST_WORDS)))


def _local(moment: datetime, zone: ZoneInfo) -> date:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).date()


async def collect(
    session: AsyncSession,
    *,
    kind: str,
    zones: Mapping[int, ZoneInfo],
    first: date,
    last: date,
) -> dict[int, list[Evidence]]:
    """The evidence of `kind` of these people (`zones`: each person's time zone) on the local dates from
    `first` to `last`, by person, in time order."""
    people = sorted(zones)
    found: dict[int, list[Evidence]] = defaultdict(list)
    if kind == NONE or not people:
        return found
    start = datetime.combine(first, datetime.min.time(), UTC) - timedelta(days=1)
    end = datetime.combine(last, datetime.min.time(), UTC) + timedelta(days=2)
    window = {"person_ids": people, "start": start, "end": end}
    made = await _rows(session, kind, window, first, last)
    for pid, when, params, keyed in made:
        day = _local(when, zones[pid]) if isinstance(when, datetime) else when
        if first <= day <= last:
            anonymous = kind == "reports_made" and not params["number"]
            key = f"duties.item.{kind}_anonymous" if anonymous else f"duties.item.{kind}"
            found[pid].append(Evidence(day, key, params, keyed))
    return found


Made = list[tuple[int, datetime | date, dict[str, Any], tuple[str, ...]]]


async def _rows(session: AsyncSession, kind: str, window: dict[str, Any], first: date, last: date) -> Made:
    """(person, moment or local date, params, keyed params) of the evidence of `kind` in the window."""
    people = window["person_ids"]
    if kind in ("cards_deployed", "cards_read"):
        action = "deployed" if kind == "cards_deployed" else "read"
        rows = await evq.card_answers(session, action=action, **window)
        return [(pid, at, {"title": title}, ()) for pid, at, title in rows]
    if kind in ("hazards_verified", "reports_assigned"):
        action = "closed" if kind == "hazards_verified" else "assigned"
        rows = await evq.report_steps(session, action=action, **window)
        return [(pid, at, {"number": number}, ()) for pid, at, number in rows]
    if kind == "reports_made":
        rows = await evq.reports_made(session, **window)
        return [(pid, at, {"number": "" if hidden else number}, ()) for pid, at, number, hidden in rows]
    if kind == "digests_handled":
        rows = await evq.audited_actions(session, actions=digest_actions(), **window)
        other = "duties.digest_action.other"
        return [
            (pid, at, {"action": DIGEST_WORDS.get(action, other), "name": who or ""}, ("action",))
            for pid, at, action, who in rows
        ]
    if kind == "inspections":
        rows = await evq.inspections_done(session, **window)
        return [(pid, at, {"place": place or "", "checklist": title}, ()) for pid, at, place, title in rows]
    if kind == "duty_shifts":
        rows = await evq.confirmed_shifts(session, person_ids=people, first=first, last=last)
        return [
            (pid, day, {"role": SHIFT_WORDS.get(role, "shifts.role_officer"), "unit": unit}, ("role",))
            for pid, day, role, unit in rows
        ]
    if kind == "checkins":
        rows = await evq.checkins(session, person_ids=people, first=first, last=last)
        return [(pid, day, {"status": f"export.checkin.{status}"}, ("status",)) for pid, day, status in rows]
    raise ValueError(f"unknown evidence kind {kind!r}")


def in_period(items: Sequence[Evidence], first: date, last: date) -> list[Evidence]:
    return [item for item in items if first <= item.day <= last]
