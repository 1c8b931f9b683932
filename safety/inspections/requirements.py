"""The inspections a unit requires (daily or monthly): a missing one is an `inspection` obligation.

A unit of the org file may carry `inspection: {every: daily|monthly, due: "HH:MM", by: ROLE}`. For each
period (a local day, or a local month) `open_due` opens one obligation per nearest holder of `by`, with the
reference `inspect:<unit>:<YYYY-MM-DD>` (or `…:<YYYY-MM>`), due at `due` on the day (monthly: on the last
day of the month). Daily requirements respect the unit's days off when it has a check-in schedule (its
`checkin.days` by the official work calendar); a unit without a schedule requires one every day. Monthly
ones run every month. Opening is idempotent (insert ignoring (kind, ref, subject) conflicts) and only looks
at the current period: after downtime the missed periods are not opened afterwards.

A finished inspection at the unit, at a location of it or anywhere below it, within the period, closes the
period's obligations as done (`close_done`, called when an inspection is recorded); one finished before the
period's obligations were opened makes them open as done.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import digests
from safety.calendar import WorkCalendar
from safety.config import Defaults
from safety.escalation import UnitTree
from safety.kinds import INSPECTION
from storage import inspection_queries as iq
from storage.models import Unit

DAILY, MONTHLY = "daily", "monthly"
PREFIX = "inspect"
REF_MAX = 64  # Obligation.ref


@dataclass(frozen=True)
class Period:
    """One period of a requirement (the unit's local day or month), as UTC datetimes."""

    every: str
    label: str  # YYYY-MM-DD (daily) or YYYY-MM (monthly)
    start: datetime
    end: datetime
    due: datetime


def rule_of(unit: Unit) -> Mapping[str, Any] | None:
    """The unit's required inspection as stored by the org import, or None."""
    rule = unit.inspection
    if not rule or rule.get("every") not in (DAILY, MONTHLY) or not rule.get("due") or not rule.get("by"):
        return None
    return rule


def _at(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=zone).astimezone(UTC)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def period_at(rule: Mapping[str, Any], now: datetime, zone: ZoneInfo) -> Period:
    """The period of `rule` that contains `now` (local to `zone`)."""
    today = now.astimezone(zone).date()
    if rule["every"] == DAILY:
        following = today + timedelta(days=1)
        return Period(
            DAILY,
            today.isoformat(),
            _midnight(today, zone),
            _midnight(following, zone),
            _at(today, rule["due"], zone),
        )
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    last = following - timedelta(days=1)
    return Period(
        MONTHLY,
        first.strftime("%Y-%m"),
        _midnight(first, zone),
        _midnight(following, zone),
        _at(last, rule["due"], zone),
    )


def ref_for(unit_id: str, label: str) -> str:
    """`inspect:<unit>:<period>`; a unit id too long for the column is replaced by a short hash of it."""
    ref = f"{PREFIX}:{unit_id}:{label}"
    if len(ref) <= REF_MAX:
        return ref
    digest = hashlib.sha256(unit_id.encode()).hexdigest()[:16]
    return f"{PREFIX}:#{digest}:{label}"


def label_of(ref: str) -> str:
    """The period part of a reference (YYYY-MM-DD or YYYY-MM)."""
    return ref.rsplit(":", 1)[-1]


def below(tree: UnitTree, unit_id: str) -> list[str]:
    """The unit and every unit below it."""
    children: dict[str, list[str]] = {}
    for unit in tree.units.values():
        if unit.parent_id is not None:
            children.setdefault(unit.parent_id, []).append(unit.id)
    found, seen = [unit_id], {unit_id}
    for current in found:
        for child in children.get(current, []):
            if child not in seen:
                seen.add(child)
                found.append(child)
    return found


async def open_due(session: AsyncSession, *, now: datetime, defaults: Defaults) -> int:
    """Open the obligations of required inspections whose period has begun (idempotent); returns how many."""
    tree = await UnitTree.load(session)
    calendar: WorkCalendar | None = None
    planned: list[tuple[Unit, Mapping[str, Any], Period, str]] = []
    for unit in tree.units.values():
        rule = rule_of(unit) if unit.active else None
        if rule is None:
            continue
        zone = defaults.zone(unit.timezone)
        period = period_at(rule, now, zone)
        if period.every == DAILY and unit.checkin and unit.checkin.get("days"):
            calendar = calendar or await WorkCalendar.load(session)
            if not calendar.runs_on(now.astimezone(zone).date(), unit.checkin["days"]):
                continue
        planned.append((unit, rule, period, ref_for(unit.id, period.label)))
    if not planned:
        return 0
    present = await iq.refs_present(session, kind=INSPECTION, refs=[ref for *_, ref in planned])
    rows: list[dict[str, Any]] = []
    for unit, rule, period, ref in planned:
        if ref in present:
            continue
        subjects = (await tree.audience(unit.id, str(rule["by"]))).people
        if not subjects:
            continue
        done = bool(
            await iq.finished_in_units(
                session, unit_ids=below(tree, unit.id), start=period.start, end=period.end
            )
        )
        steps = tree.steps(unit.id, INSPECTION)
        first = period.due + steps[0].after if steps and not done else None
        for person in subjects:
            rows.append(
                {
                    "kind": INSPECTION,
                    "ref": ref,
                    "subject_id": person.id,
                    "unit_id": unit.id,
                    "due_at": period.due,
                    "state": "done" if done else "open",
                    "level": -1,
                    "next_step_at": first,
                    "closed_at": now if done else None,
                    "created_at": now,
                }
            )
    return await iq.insert_obligations(session, rows=rows) if rows else 0


async def close_done(
    session: AsyncSession, *, unit_id: str, inspector_id: int, now: datetime, defaults: Defaults
) -> list[str]:
    """An inspection finished at `unit_id` now: close the current period's obligations of the unit and of
    every unit above it that requires one, and edit their digests; returns the references closed."""
    tree = await UnitTree.load(session)
    closed: list[str] = []
    for unit in tree.chain(unit_id):
        rule = rule_of(unit)
        if rule is None:
            continue
        period = period_at(rule, now, defaults.zone(unit.timezone))
        ref = ref_for(unit.id, period.label)
        if await iq.close_open(session, kind=INSPECTION, ref=ref, by=inspector_id, now=now):
            closed.append(ref)
    for ref in closed:
        await digests.refresh(session, kind=INSPECTION, ref=ref, now=now, defaults=defaults)
    return closed
