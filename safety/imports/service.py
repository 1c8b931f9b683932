"""The two imports end to end: read, validate everything (including against the database), then apply in
the caller's session. The caller's transaction makes it all-or-nothing: nothing is written before the whole
file has been validated, and an exception during apply rolls everything back. One AuditEntry is written
per applied import (`import.org` / `import.roster`, detail = the counts); a refused file writes nothing.
"""

from __future__ import annotations

from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.imports.apply import apply_people, apply_units
from safety.imports.org_file import parse_org
from safety.imports.people import RawPerson, validate_people
from safety.imports.plan import OrgPlan
from safety.imports.problems import Problem, problem, sorted_problems
from safety.imports.results import EntityCounts, ImportRejected, ImportReport, Progress
from safety.imports.roster_file import read_roster
from storage import org_queries as q

SUBJECT_MAX = 128


def read_text(path: Path) -> str | tuple[Problem, ...]:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return (problem(0, "unreadable_file", detail=exc.strerror or str(exc)),)
    except UnicodeDecodeError:
        return (problem(0, "bad_encoding"),)


async def import_org_file(
    session: AsyncSession,
    path: Path,
    *,
    channel: str = "cli",
    actor_id: int | None = None,
    progress: Progress | None = None,
) -> ImportReport | ImportRejected:
    text = read_text(path)
    if isinstance(text, tuple):
        return ImportRejected(text)
    return await import_org(
        session, text, source=path.name, channel=channel, actor_id=actor_id, progress=progress
    )


async def import_org(
    session: AsyncSession,
    text: str,
    *,
    source: str = "org.yaml",
    channel: str = "cli",
    actor_id: int | None = None,
    progress: Progress | None = None,
) -> ImportReport | ImportRejected:
    """Validate the org file text, then upsert its units (and people, if it lists them)."""
    plan = parse_org(text)
    if isinstance(plan, tuple):
        return ImportRejected(plan)
    problems = await _check_removed_units(session, plan)
    if problems:
        return ImportRejected(sorted_problems(problems))
    units = await apply_units(session, plan.units)
    people = EntityCounts()
    if plan.people is not None:
        people = await apply_people(session, plan.people, progress=progress)
    scope = ("units", "people") if plan.people is not None else ("units",)
    report = ImportReport(units=units, people=people, scope=scope)
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
) -> ImportReport | ImportRejected:
    """Validate a roster (.csv or .xlsx) against the stored units, then make it the list of active people."""
    raws = read_roster(path)
    if isinstance(raws, tuple):
        return ImportRejected(sorted_problems(raws))
    return await import_roster(
        session, raws, source=path.name, channel=channel, actor_id=actor_id, progress=progress
    )


async def import_roster(
    session: AsyncSession,
    raws: list[RawPerson],
    *,
    source: str = "roster",
    channel: str = "cli",
    actor_id: int | None = None,
    progress: Progress | None = None,
) -> ImportReport | ImportRejected:
    units = {u.id: u.active for u in await q.all_units(session)}

    def check_unit(unit_id: str, line: int) -> Problem | None:
        if unit_id not in units:
            return problem(line, "unknown_unit", id=unit_id)
        if not units[unit_id]:
            return problem(line, "inactive_unit", id=unit_id)
        return None

    people, problems = validate_people(raws, check_unit)
    if problems:
        return ImportRejected(sorted_problems(problems))
    counts = await apply_people(session, people, progress=progress)
    report = ImportReport(people=counts, scope=("people",))
    await _audit(session, "import.roster", source, report, channel, actor_id)
    return report


async def _audit(
    session: AsyncSession, action: str, source: str, report: ImportReport, channel: str, actor_id: int | None
) -> None:
    detail = {"file": source, **report.as_dict()}
    await q.add_audit_entry(
        session,
        action=action,
        channel=channel,
        subject=source[:SUBJECT_MAX],
        detail=detail,
        actor_id=actor_id,
    )
