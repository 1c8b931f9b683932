"""The two imports end to end: read, validate everything (including against the database), then apply in
the caller's session. The caller's transaction makes it all-or-nothing: nothing is written before the whole
file has been validated, and an exception during apply rolls everything back. One AuditEntry is written
per applied import (`import.org` / `import.roster`, detail = the counts); a refused file writes nothing.

A roster is validated while it is read (row by row), so a large file never sits in memory whole. People
with a `cleared_on` date are recorded as having passed the exam outside the bot after they are stored
(safety.prior_clearance; `rules` gives the clearance period, `now` the clock that refuses a date in the
future). A refusal keeps the first problems by line and counts the rest (`results.rejected`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import prior_clearance
from safety.clearance import QuizRules
from safety.imports.apply import apply_people, apply_units
from safety.imports.files import Unreadable, read_text
from safety.imports.org_file import parse_org
from safety.imports.people import RawPerson, validate_people
from safety.imports.plan import OrgPlan, PersonSpec
from safety.imports.problems import Problem, ProblemLog, problem
from safety.imports.results import (
    EntityCounts,
    ImportRejected,
    ImportReport,
    PriorCounts,
    Progress,
    rejected,
)
from safety.imports.roster_file import RosterReader
from storage import org_queries as q

SUBJECT_MAX = 128


async def import_org_file(
    session: AsyncSession,
    path: Path,
    *,
    channel: str = "cli",
    actor_id: int | None = None,
    progress: Progress | None = None,
    rules: QuizRules | None = None,
    now: datetime | None = None,
) -> ImportReport | ImportRejected:
    try:
        text = read_text(path)
    except Unreadable as exc:
        return rejected([exc.problem])
    return await import_org(
        session,
        text,
        source=path.name,
        channel=channel,
        actor_id=actor_id,
        progress=progress,
        rules=rules,
        now=now,
    )


async def import_org(
    session: AsyncSession,
    text: str,
    *,
    source: str = "org.yaml",
    channel: str = "cli",
    actor_id: int | None = None,
    progress: Progress | None = None,
    rules: QuizRules | None = None,
    now: datetime | None = None,
) -> ImportReport | ImportRejected:
    """Validate the org file text, then upsert its units (and people, if it lists them). `rules` and
    `now` default to the built-in quiz rules and the current time."""
    rules, now = rules or QuizRules(), now or datetime.now(UTC)
    plan = parse_org(text, today_in=lambda zone: rules.defaults.today(now, zone))
    if isinstance(plan, tuple):
        return rejected(plan)
    problems = await _check_removed_units(session, plan)
    if problems:
        return rejected(problems)
    units = await apply_units(session, plan.units)
    people = EntityCounts()
    clearances = None
    if plan.people is not None:
        people = await apply_people(session, plan.people, progress=progress)
        clearances = await _prior_passes(session, plan.people, source, channel, actor_id, now, rules)
    scope = ("units", "people") if plan.people is not None else ("units",)
    report = ImportReport(units=units, people=people, scope=scope, clearances=clearances)
    await _audit(session, "import.org", source, report, channel, actor_id)
    return report


async def _check_removed_units(session: AsyncSession, plan: OrgPlan) -> list[Problem]:
    """Without a `people` list, a unit may only disappear from the tree if nobody active belongs to it."""
    if plan.people is not None:
        return []
    listed = {u.id for u in plan.units}
    removed = [u.id for u in await q.all_units(session, active_only=True) if u.id not in listed]
    counts = await q.count_active_people_in_units(session, unit_ids=removed)
    return [
        problem(plan.units_line, "removed_unit_has_people", id=unit_id, count=count)
        for unit_id, count in sorted(counts.items())
    ]


async def import_roster_file(
    session: AsyncSession,
    path: Path,
    *,
    channel: str = "cli",
    actor_id: int | None = None,
    progress: Progress | None = None,
    rules: QuizRules | None = None,
    now: datetime | None = None,
) -> ImportReport | ImportRejected:
    """Validate a roster (.csv or .xlsx) against the stored units while reading it, then make it the list
    of active people."""
    rules, now = rules or QuizRules(), now or datetime.now(UTC)
    reader = RosterReader(path)
    people, log = await _validate_roster(session, reader, now, rules)
    if reader.unusable:
        return rejected(reader.problems)
    for item in reader.problems:
        log.append(item)
    if log:
        return rejected(log)
    return await _apply_roster(session, people, path.name, channel, actor_id, progress, now, rules)


async def import_roster(
    session: AsyncSession,
    raws: Iterable[RawPerson],
    *,
    source: str = "roster",
    channel: str = "cli",
    actor_id: int | None = None,
    progress: Progress | None = None,
    rules: QuizRules | None = None,
    now: datetime | None = None,
) -> ImportReport | ImportRejected:
    """Validate people (as read from a roster) against the stored units, then make them the active ones."""
    rules, now = rules or QuizRules(), now or datetime.now(UTC)
    people, log = await _validate_roster(session, raws, now, rules)
    if log:
        return rejected(log)
    return await _apply_roster(session, people, source, channel, actor_id, progress, now, rules)


async def _validate_roster(
    session: AsyncSession, raws: Iterable[RawPerson], now: datetime, rules: QuizRules
) -> tuple[list[PersonSpec], ProblemLog]:
    units = {u.id: u for u in await q.all_units(session)}

    def check_unit(unit_id: str, line: int) -> Problem | None:
        if unit_id not in units:
            return problem(line, "unknown_unit", id=unit_id)
        if not units[unit_id].active:
            return problem(line, "inactive_unit", id=unit_id)
        return None

    def today_of(unit_id: str) -> date:
        unit = units.get(unit_id)
        return rules.defaults.today(now, unit.timezone if unit else None)

    log = ProblemLog()
    return validate_people(raws, check_unit, log, today_of=today_of), log


async def _apply_roster(
    session: AsyncSession,
    people: list[PersonSpec],
    source: str,
    channel: str,
    actor_id: int | None,
    progress: Progress | None,
    now: datetime,
    rules: QuizRules,
) -> ImportReport:
    counts = await apply_people(session, people, progress=progress)
    clearances = await _prior_passes(session, people, source, channel, actor_id, now, rules)
    report = ImportReport(people=counts, scope=("people",), clearances=clearances)
    await _audit(session, "import.roster", source, report, channel, actor_id)
    return report


async def _prior_passes(
    session: AsyncSession,
    specs: Sequence[PersonSpec],
    source: str,
    channel: str,
    actor_id: int | None,
    now: datetime,
    rules: QuizRules,
) -> PriorCounts | None:
    """Record the file's cleared_on dates (its people are stored by now); None when it has none."""
    dated = [(s.employee_no, s.cleared_on) for s in specs if s.cleared_on is not None]
    if not dated:
        return None
    people = await prior_clearance.people_by_employee_no(session, [no for no, _ in dated])
    passes = [prior_clearance.PriorPass(people[no], on) for no, on in dated]
    results = await prior_clearance.record(
        session, passes, now=now, rules=rules, source=source, channel=channel, actor_id=actor_id
    )
    return PriorCounts(**Counter(result.outcome.value for result in results))


async def _audit(
    session: AsyncSession, action: str, source: str, report: ImportReport, channel: str, actor_id: int | None
) -> None:
    detail: dict[str, Any] = {"file": source, **report.as_dict()}
    if report.clearances is not None:
        detail["clearances"] = asdict(report.clearances)
    await q.add_audit_entry(
        session,
        action=action,
        channel=channel,
        subject=source[:SUBJECT_MAX],
        detail=detail,
        actor_id=actor_id,
    )
