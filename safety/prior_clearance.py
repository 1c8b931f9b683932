"""Passes of the ten-prohibitions exam recorded outside the bot: a paper exam, another system.

They come from the org file and the roster (`cleared_on`) and from `safetybot clear EMPLOYEE_NO --on DATE`.
Recording one clears the person as a passed quiz does: `Person.cleared`, `Person.cleared_until` = the
exam's date + SAFETYBOT_CLEARANCE_DAYS (None when that is 0), a `Clearance` row (event granted, no
attempt), an audit entry `clearance.prior` (the date, until, the source, the note), and their open quiz
requirements closed; being cleared, they are asked for no quiz by `clearance.ensure_requirements`.

Whether a pass on day D is recorded (`Outcome`), checked in this order, "today" and the days of past
events being those of the person's unit's time zone:
1. LAPSED when D + clearance_days is before today: the pass cleared once but not any more. Nothing is
   recorded; the person stays uncleared and is asked for the quiz like anyone uncleared.
2. UNCHANGED when a pass on D or later is already counted: a granted clearance whose exam day is D or later.
   The exam day of a granted row is its `until` minus clearance_days (for a pass in the bot that is the day
   of the attempt, for a recorded pass its own D), or the day of the row when clearance does not expire
   (for a recorded pass: the day it was recorded, which is D or later). So re-importing the same file or
   repeating the command changes nothing, and an older paper date never shortens a newer clearance.
3. SUPERSEDED when a violation suspended the person on a day after D: the exam came before the violation
   and does not count (after a violation: study, then pass again). A violation on D itself is taken to
   precede the exam (the retake on the same day).
4. RECORDED otherwise.
Imports count the outcomes; the `clear` command refuses LAPSED and SUPERSEDED, and then records nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from safety.clearance import QuizRules, clearance_until, close_requirements
from safety.kinds import QUIZ
from storage import identity_queries as iq
from storage import quiz_queries as qq
from storage.models import Clearance, Obligation, Person, Unit

ACTION = "clearance.prior"
BATCH = 1000  # ids per IN (...) list


class Outcome(StrEnum):
    RECORDED = "recorded"
    UNCHANGED = "unchanged"
    LAPSED = "lapsed"
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class PriorPass:
    person: Person
    on: date


@dataclass(frozen=True)
class Assessment:
    outcome: Outcome
    until: date | None  # what the pass clears until; None: no expiry
    suspended: date | None = None  # SUPERSEDED: the day of the violation after the exam


def _batches(items: Sequence[int]) -> list[list[int]]:
    return [list(items[i : i + BATCH]) for i in range(0, len(items), BATCH)]


async def people_by_employee_no(session: AsyncSession, employee_nos: Sequence[str]) -> dict[str, Person]:
    found: dict[str, Person] = {}
    for start in range(0, len(employee_nos), BATCH):
        batch = list(employee_nos[start : start + BATCH])
        result = await session.exec(select(Person).where(col(Person.employee_no).in_(batch)))
        found.update((p.employee_no, p) for p in result.all())
    return found


async def _history(session: AsyncSession, person_ids: Sequence[int]) -> dict[int, list[Clearance]]:
    rows: dict[int, list[Clearance]] = {}
    for batch in _batches(person_ids):
        result = await session.exec(
            select(Clearance).where(
                col(Clearance.person_id).in_(batch), col(Clearance.event).in_(["granted", "suspended"])
            )
        )
        for row in result.all():
            rows.setdefault(row.person_id, []).append(row)
    return rows


def _exam_day(row: Clearance, zone: ZoneInfo, rules: QuizRules) -> date:
    if rules.clearance_days and row.until is not None:
        return row.until - timedelta(days=rules.clearance_days)
    return row.at.astimezone(zone).date()


def _judge(on: date, rows: list[Clearance], zone: ZoneInfo, now: datetime, rules: QuizRules) -> Assessment:
    until = clearance_until(on, rules)
    if until is not None and until < now.astimezone(zone).date():
        return Assessment(Outcome.LAPSED, until)
    counted = max((_exam_day(r, zone, rules) for r in rows if r.event == "granted"), default=None)
    if counted is not None and counted >= on:
        return Assessment(Outcome.UNCHANGED, until)
    suspended = max((r.at.astimezone(zone).date() for r in rows if r.event == "suspended"), default=None)
    if suspended is not None and suspended > on:
        return Assessment(Outcome.SUPERSEDED, until, suspended)
    return Assessment(Outcome.RECORDED, until)


async def assess(
    session: AsyncSession, passes: Sequence[PriorPass], *, now: datetime, rules: QuizRules
) -> list[Assessment]:
    """What recording each pass would do (see the module's rules); reads only."""
    if not passes:
        return []
    zones = {u.id: u.timezone for u in (await session.exec(select(Unit))).all()}
    history = await _history(session, [p.person.id for p in passes if p.person.id is not None])
    return [
        _judge(
            p.on,
            history.get(p.person.id or 0, []),
            rules.defaults.zone(zones.get(p.person.unit_id)),
            now,
            rules,
        )
        for p in passes
    ]


async def record(
    session: AsyncSession,
    passes: Sequence[PriorPass],
    *,
    now: datetime,
    rules: QuizRules,
    source: str,
    channel: str,
    actor_id: int | None = None,
    note: str | None = None,
) -> list[Assessment]:
    """Record the passes that count (Outcome.RECORDED), in the caller's transaction; returns what became of
    each. `source`: the file's name, or "cli"."""
    results = await assess(session, passes, now=now, rules=rules)
    recorded: list[Person] = []
    for item, result in zip(passes, results, strict=True):
        if result.outcome is not Outcome.RECORDED:
            continue
        person = item.person
        assert person.id is not None
        if not (person.cleared and _outlasts(person.cleared_until, result.until)):
            person.cleared_until = result.until
        person.cleared = True
        session.add(person)
        qq.add_clearance(session, person_id=person.id, event="granted", at=now, until=result.until)
        detail = {"cleared_on": item.on.isoformat(), "until": _iso(result.until), "source": source}
        if note:
            detail["note"] = note
        iq.add_audit(
            session,
            at=now,
            actor_id=actor_id,
            channel=channel,
            action=ACTION,
            subject=person.employee_no,
            detail=detail,
        )
        recorded.append(person)
    await session.flush()
    waiting = await _with_open_requirements(session, [p.id for p in recorded if p.id is not None])
    for person in recorded:
        if person.id in waiting:
            await close_requirements(session, person=person, now=now, rules=rules)
    return results


def _outlasts(current: date | None, new: date | None) -> bool:
    """A clearance until `current` lasts longer than one until `new` (None: no expiry)."""
    return current is None or (new is not None and current > new)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


async def _with_open_requirements(session: AsyncSession, person_ids: Sequence[int]) -> set[int]:
    waiting: set[int] = set()
    for batch in _batches(person_ids):
        result = await session.exec(
            select(Obligation.subject_id).where(
                Obligation.kind == QUIZ, Obligation.state == "open", col(Obligation.subject_id).in_(batch)
            )
        )
        waiting.update(result.all())
    return waiting


@dataclass(frozen=True)
class Named:
    """An employee number named to `safetybot clear`, and what became (or would become) of it. `refusal`:
    unknown, inactive, lapsed or superseded (then nothing at all was recorded)."""

    employee_no: str
    person: Person | None
    assessment: Assessment | None
    refusal: str | None


async def clear_named(
    session: AsyncSession,
    employee_nos: Sequence[str],
    *,
    on: date,
    now: datetime,
    rules: QuizRules,
    channel: str = "cli",
    actor_id: int | None = None,
    note: str | None = None,
) -> list[Named]:
    """A pass on `on` for each named person (repeats ignored), all or nothing: when any of them is unknown,
    inactive, or their pass lapsed or came before a violation, nothing is recorded."""
    employee_nos = list(dict.fromkeys(employee_nos))
    people = await people_by_employee_no(session, employee_nos)
    passes = [PriorPass(people[n], on) for n in employee_nos if n in people and people[n].active]
    assessments = await assess(session, passes, now=now, rules=rules)
    judged = {p.person.employee_no: a for p, a in zip(passes, assessments, strict=True)}
    named: list[Named] = []
    for employee_no in employee_nos:
        person, assessment = people.get(employee_no), judged.get(employee_no)
        refusal = None
        if person is None:
            refusal = "unknown"
        elif assessment is None:
            refusal = "inactive"
        elif assessment.outcome in (Outcome.LAPSED, Outcome.SUPERSEDED):
            refusal = assessment.outcome.value
        named.append(Named(employee_no, person, assessment, refusal))
    if not any(n.refusal for n in named):
        await record(
            session, passes, now=now, rules=rules, source="cli", channel=channel, actor_id=actor_id, note=note
        )
    return named
