"""The holiday duty roster (`safetybot import shifts FILE.yaml|.csv`, 值班表), format in DESIGN.md.

```yaml
shifts:
  - {date: 2027-02-06, from: "08:00", to: "08:00", employee_no: M0101, role: 带班领导, unit: proj-pulang}
```
CSV: a header row `date,from,to,employee_no,role,unit` (any order, case ignored), one shift per row.
`role` is 带班领导 (leader on duty, stored `leader`) or 值班员 (duty officer, `officer`); `leader` and
`officer` are accepted too. `from` and `to` are HH:MM in the unit's time zone (else the org's); a `to` not
after `from` is on the next day (08:00 → 08:00: 24 hours).

The whole file is checked before anything is stored and every problem names its line: unknown keys or
columns, a missing value, a bad date, time or role, an unknown or deactivated unit or person, and a row
repeating another (same person, unit, date and start) are errors; one error stores nothing. Applying is
keyed by (person, unit, start): see safety.shifts.replace for what a file replaces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults
from safety.imports.fields import check_time, check_visible, parse_date
from safety.imports.files import Unreadable, csv_file_rows, read_text
from safety.imports.problems import Problem, problem
from safety.imports.results import ImportRejected, rejected
from safety.imports.tables import header_problems
from safety.imports.yamlnodes import NodeReader, compose, line_of
from safety.shifts import rules
from safety.shifts.replace import ShiftSpec, ShiftsReport, apply
from storage import org_queries

COLUMNS = ("date", "from", "to", "employee_no", "role", "unit")
TOP_KEYS = ("shifts",)
SUFFIXES = (".yaml", ".yml", ".csv")
MAX_ROWS = 50_000  # a year of 24-hour shifts for over a hundred units
SUBJECT_MAX = 128
ALLOWED_ROLES = "带班领导, 值班员, leader, officer"


@dataclass(frozen=True)
class RawShift:
    """One row as written, each value with its line (a CSV row: all on the row's line)."""

    line: int
    values: dict[str, str]
    lines: dict[str, int] = field(default_factory=dict)

    def at(self, name: str) -> int:
        return self.lines.get(name, self.line)


def read_yaml(text: str) -> tuple[list[RawShift], list[Problem]]:
    root, problems = compose(text)
    if root is None:
        return [], problems
    reader = NodeReader()
    top = reader.mapping(root, "file", TOP_KEYS, required=TOP_KEYS)
    if top is None or "shifts" not in top:
        return [], reader.problems
    items = reader.sequence(top["shifts"], "shifts")
    if items is not None and not items:
        reader.add(line_of(top["shifts"]), "empty_list", field="shifts")
    rows: list[RawShift] = []
    for item in items or []:
        keys = reader.mapping(item, "shifts", COLUMNS, required=COLUMNS)
        if keys is None or set(keys) != set(COLUMNS):
            continue
        values: dict[str, str] = {}
        for name, node in keys.items():
            value = reader.text(node, name)
            if value is not None and check_visible(value, name, line_of(node), reader.problems):
                values[name] = value
        if len(values) == len(COLUMNS):
            rows.append(RawShift(line_of(item), values, {n: line_of(v) for n, v in keys.items()}))
    return rows, reader.problems


def read_csv(path: Path) -> tuple[list[RawShift], list[Problem]]:
    problems: list[Problem] = []
    rows: list[RawShift] = []
    header: list[str] | None = None
    header_line = 1
    for line, row in csv_file_rows(path):
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header, header_line = [cell.strip().lower() for cell in row], line
            while header and not header[-1]:
                header.pop()
            found = header_problems(header, header_line, COLUMNS, COLUMNS)
            if found:
                return [], found
            continue
        if len(rows) >= MAX_ROWS:
            return rows, [*problems, problem(0, "too_many_rows", max=f"{MAX_ROWS:,}")]
        values = {
            name: (row[header.index(name)].strip() if header.index(name) < len(row) else "")
            for name in COLUMNS
        }
        empty = [name for name in COLUMNS if not values[name]]
        hidden = [n for n in COLUMNS if values[n] and check_visible(values[n], n, line, problems) is None]
        problems += [problem(line, "missing_field", field=name) for name in empty]
        if not empty and not hidden:
            rows.append(RawShift(line, values))
    if header is None or (not rows and not problems):
        problems.append(problem(header_line, "shift_empty"))
    return rows, problems


async def check(
    session: AsyncSession, raw: list[RawShift], defaults: Defaults
) -> tuple[list[ShiftSpec], list[Problem]]:
    """The rows as shifts, with every problem of the values and against the database."""
    units = {u.id: u for u in await org_queries.all_units(session)}
    people = await org_queries.people_by_employee_no(
        session, employee_nos=[r.values["employee_no"] for r in raw]
    )
    problems: list[Problem] = []
    specs: list[ShiftSpec] = []
    first: dict[tuple[str, str, date, str], int] = {}
    for row in raw:
        v = row.values
        day = parse_date(v["date"])
        if day is None:
            problems.append(problem(row.at("date"), "bad_date", field="date", value=v["date"]))
        start = check_time(v["from"], "from", row.at("from"), problems)
        end = check_time(v["to"], "to", row.at("to"), problems)
        role = rules.role_of(v["role"])
        if role is None:
            problems.append(problem(row.at("role"), "shift_bad_role", value=v["role"], allowed=ALLOWED_ROLES))
        unit = units.get(v["unit"])
        if unit is None:
            problems.append(problem(row.at("unit"), "unknown_unit", id=v["unit"]))
        elif not unit.active:
            problems.append(problem(row.at("unit"), "inactive_unit", id=v["unit"]))
        person = people.get(v["employee_no"])
        if person is None:
            problems.append(
                problem(row.at("employee_no"), "shift_unknown_person", employee_no=v["employee_no"])
            )
        elif not person.active:
            problems.append(
                problem(
                    row.at("employee_no"),
                    "shift_inactive_person",
                    employee_no=person.employee_no,
                    name=person.name,
                )
            )
        if day is None or start is None or end is None or role is None or unit is None or person is None:
            continue
        key = (person.employee_no, unit.id, day, start)
        if key in first:
            problems.append(
                problem(row.line, "shift_duplicate", employee_no=key[0], unit=unit.id, first_line=first[key])
            )
            continue
        first[key] = row.line
        if not unit.active or not person.active or person.id is None:
            continue
        starts, ends = rules.window(day, start, end, defaults.zone(unit.timezone))
        specs.append(ShiftSpec(row.line, day, person.id, unit.id, role, starts, ends))
    return specs, problems


async def import_shifts_file(
    session: AsyncSession,
    path: Path,
    *,
    now: datetime,
    defaults: Defaults,
    channel: str = "cli",
    actor_id: int | None = None,
) -> ShiftsReport | ImportRejected:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        allowed = ", ".join(SUFFIXES)
        return rejected([problem(0, "unsupported_file_type", suffix=suffix or path.name, allowed=allowed)])
    try:
        raw, problems = read_csv(path) if suffix == ".csv" else read_yaml(read_text(path))
    except Unreadable as exc:
        return rejected([exc.problem])
    return await _import(session, raw, problems, path.name, now, defaults, channel, actor_id)


async def import_shifts(
    session: AsyncSession,
    text: str,
    *,
    now: datetime,
    defaults: Defaults,
    source: str = "shifts.yaml",
    channel: str = "cli",
    actor_id: int | None = None,
) -> ShiftsReport | ImportRejected:
    """A YAML roster given as text (tests, the sandbox): validated, then applied in the caller's
    transaction."""
    raw, problems = read_yaml(text)
    return await _import(session, raw, problems, source, now, defaults, channel, actor_id)


async def _import(
    session: AsyncSession,
    raw: list[RawShift],
    problems: list[Problem],
    source: str,
    now: datetime,
    defaults: Defaults,
    channel: str,
    actor_id: int | None,
) -> ShiftsReport | ImportRejected:
    specs, found = await check(session, raw, defaults)
    problems = [*problems, *found]
    if problems:
        return rejected(problems)
    report = await apply(session, specs, now=now, defaults=defaults)
    await org_queries.add_audit_entry(
        session,
        action="import.shifts",
        channel=channel,
        subject=source[:SUBJECT_MAX],
        detail={"file": source, **report.as_detail()},
        actor_id=actor_id,
    )
    return report
