"""The 一岗双责 duty list (`safetybot import duties FILE.yaml|.xlsx`, 责任清单): per role or per person,
the duties with their frequency and the evidence the bot holds for them.

```yaml
source: 示例责任清单（非企业正式文本）    # optional: shown with the list; say "示例" for a sample
duties:
  - id: lead-weekly-check
    role: manager                 # or: person: E1000 (an employee_no); exactly one of role / person
    units: [proj-pulang]          # optional, with a role: its holders in these units and below; default all
    title: 每周带班检查一次
    frequency: 每周1次            # 每天|每个工作日|每周|每月|每季度|每年 + N + 次; {every: week, times: 1}
    evidence: inspections         # safety.duties.evidence.KINDS; `none`: kept outside the bot
```
XLSX: a sheet `duties` with a header row of the same columns (`units` joined by `;`; the frequency as
text) and optionally `source` (written on one row at least; where repeated, the same text).

The whole file is checked before anything is stored and every problem names its line: unknown keys or
columns, missing values, bad or repeated ids, a duty with both or neither of role and person, unknown
roles, units with a person, an unknown frequency or evidence kind, unknown or deactivated people and units.
Applying is keyed by `id` and serialised against a concurrent import (storage.duty_list_queries): a new
duty is created, a changed one updated, a stored duty the file no longer lists is deactivated (kept for
the months it was in force), a deactivated one listed again is reactivated. Importing the same file again
changes nothing (one audit entry `import.duties` per import).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.imports.duties_read import DutiesFile, DutySpec, read_xlsx, read_yaml
from safety.imports.files import Unreadable, read_text
from safety.imports.problems import Problem, problem
from safety.imports.results import ImportRejected, rejected
from storage import duty_list_queries as dlq
from storage import org_queries
from storage.models import DutyItem

SUFFIXES = (".yaml", ".yml", ".xlsx")
SUBJECT_MAX = 128
__all__ = ["DutiesReport", "DutySpec", "import_duties", "import_duties_file"]


@dataclass
class DutiesReport:
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    reactivated: int = 0
    unchanged: int = 0
    source: str | None = None

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if k != "source"}


async def _database_problems(session: AsyncSession, read: DutiesFile) -> tuple[dict[str, int], list[Problem]]:
    """Units must be stored and active; people too (their ids by employee_no)."""
    units = {u.id: u for u in await org_queries.all_units(session)}
    found: list[Problem] = []
    for unit_id, line in read.units:
        unit = units.get(unit_id)
        if unit is None:
            found.append(problem(line, "unknown_unit", id=unit_id))
        elif not unit.active:
            found.append(problem(line, "inactive_unit", id=unit_id))
    people = await org_queries.people_by_employee_no(session, employee_nos=[no for no, _ in read.people])
    ids: dict[str, int] = {}
    for employee_no, line in read.people:
        person = people.get(employee_no)
        if person is None or person.id is None:
            found.append(problem(line, "duty_unknown_person", employee_no=employee_no))
        elif not person.active:
            found.append(problem(line, "duty_inactive_person", employee_no=employee_no, name=person.name))
        else:
            ids[employee_no] = person.id
    return ids, found


def _row(spec: DutySpec, position: int, people: dict[str, int], source: str | None) -> dict[str, Any]:
    return {
        "title": spec.title,
        "role": spec.role,
        "person_id": people[spec.person] if spec.person else None,
        "units": list(spec.units) if spec.units is not None else None,
        "every": spec.frequency.every,
        "times": spec.frequency.times,
        "evidence": spec.evidence,
        "source": source,
        "position": position,
        "active": True,
        "deactivated_at": None,
    }


async def _apply(
    session: AsyncSession, read: DutiesFile, people: dict[str, int], now: datetime
) -> DutiesReport:
    await dlq.lock_duty_lists(session)  # a concurrent import waits here and then reads what this one stored
    stored = {item.id: item for item in await dlq.all_items(session)}
    report = DutiesReport(source=read.source)
    new: list[DutyItem] = []
    for position, spec in enumerate(read.duties):
        values = _row(spec, position, people, read.source)
        before = stored.get(spec.id)
        if before is None:
            new.append(DutyItem(id=spec.id, created_at=now, updated_at=now, **values))
            report.created += 1
            continue
        changed = {k: v for k, v in values.items() if getattr(before, k) != v}
        if not changed:
            report.unchanged += 1
            continue
        if not before.active:
            report.reactivated += 1
        else:
            report.updated += 1
        await dlq.update_item(session, item_id=spec.id, values={**changed, "updated_at": now})
    await dlq.insert_items(session, items=new)
    listed = {spec.id for spec in read.duties}
    gone = [item_id for item_id, item in stored.items() if item_id not in listed and item.active]
    report.deactivated = await dlq.deactivate_items(session, item_ids=gone, now=now)
    return report


async def import_duties_file(
    session: AsyncSession, path: Path, *, now: datetime, channel: str = "cli", actor_id: int | None = None
) -> DutiesReport | ImportRejected:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        allowed = ", ".join(SUFFIXES)
        return rejected([problem(0, "unsupported_file_type", suffix=suffix or path.name, allowed=allowed)])
    try:
        read = read_xlsx(path) if suffix == ".xlsx" else read_yaml(read_text(path))
    except Unreadable as exc:
        return rejected([exc.problem])
    return await _import(session, read, now=now, source=path.name, channel=channel, actor_id=actor_id)


async def import_duties(
    session: AsyncSession,
    text: str,
    *,
    now: datetime,
    source: str = "duties.yaml",
    channel: str = "cli",
    actor_id: int | None = None,
) -> DutiesReport | ImportRejected:
    """A YAML duty list given as text (tests, the sandbox): validated, then applied in the caller's
    transaction; nothing is stored when any problem is found."""
    return await _import(session, read_yaml(text), now=now, source=source, channel=channel, actor_id=actor_id)


async def _import(
    session: AsyncSession,
    read: DutiesFile,
    *,
    now: datetime,
    source: str,
    channel: str,
    actor_id: int | None,
) -> DutiesReport | ImportRejected:
    people, found = await _database_problems(session, read)
    problems = [*read.problems, *found]
    if problems:
        return rejected(problems)
    report = await _apply(session, read, people, now)
    await org_queries.add_audit_entry(
        session,
        action="import.duties",
        channel=channel,
        subject=source[:SUBJECT_MAX],
        detail={"file": source, "duties": len(read.duties), **report.counts()},
        actor_id=actor_id,
    )
    return report
