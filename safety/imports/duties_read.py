"""Reading a duty list (safety.imports.duties_file) from YAML or an XLSX workbook into duty specs, every
problem with its line.

What can be checked without the database is checked here: keys and columns, ids (unique in the file),
titles, exactly one of `role` / `person`, known roles, `units` only with a role, the frequency
(safety.duties.frequency) and the evidence kind (safety.duties.evidence). People and units are checked
against the database by the importer.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from yaml.nodes import MappingNode, Node

from safety.duties.evidence import KINDS
from safety.duties.frequency import Frequency, FrequencyError, parse_text, structured
from safety.imports.fields import EMPLOYEE_NO_MAX, check_id, check_name, check_visible
from safety.imports.files import sheet_rows, workbook
from safety.imports.problems import Problem, problem
from safety.imports.tables import header_problems
from safety.imports.yamlnodes import NodeReader, compose, line_of
from safety.roles import ROLES

TOP_KEYS = ("source", "duties")
DUTY_KEYS = ("id", "role", "person", "units", "title", "frequency", "evidence")
REQUIRED = ("id", "title", "frequency", "evidence")
FREQUENCY_KEYS = ("every", "times")
EVERY_FIELD, TIMES_FIELD = "frequency.every", "frequency.times"  # field names in problems
COLUMNS = (*DUTY_KEYS, "source")
SHEET = "duties"
ID_MAX, TITLE_MAX, SOURCE_MAX, FREQUENCY_MAX = 64, 200, 200, 40
MAX_DUTIES = 2000  # a company's list has dozens per role, not thousands


@dataclass(frozen=True)
class DutySpec:
    id: str
    title: str
    role: str | None
    person: str | None  # an employee_no
    units: tuple[str, ...] | None
    frequency: Frequency
    evidence: str
    line: int


@dataclass
class DutiesFile:
    """A read duty list: the duties valid on their own, the problems, and every unit and person the file
    names with its line (also those of invalid duties), for the checks against the database."""

    source: str | None = None
    duties: list[DutySpec] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    units: list[tuple[str, int]] = field(default_factory=list)
    people: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class _Raw:
    """One duty as written: texts with their lines; `frequency` a text or (every, times) of the
    structured form."""

    line: int
    values: dict[str, tuple[str, int]]
    units: list[tuple[str, int]] | None
    structured: tuple[tuple[str, int], tuple[str, int] | None] | None = None


def read_yaml(text: str) -> DutiesFile:
    root, problems = compose(text)
    if root is None:
        return DutiesFile(problems=problems)
    reader = NodeReader()
    top = reader.mapping(root, "file", TOP_KEYS, required=("duties",))
    if top is None or "duties" not in top:
        return DutiesFile(problems=reader.problems)
    source = None
    if "source" in top:
        source = reader.text(top["source"], "source")
        if source is not None:
            source = check_name(source, "source", SOURCE_MAX, line_of(top["source"]), reader.problems)
    items = reader.sequence(top["duties"], "duties")
    if items is not None and not items:
        reader.add(line_of(top["duties"]), "empty_list", field="duties")
    raws: list[_Raw] = []
    for item in items or []:
        raw = _yaml_duty(reader, item)
        if raw is not None:
            raws.append(raw)
    found = _check(raws, reader.problems, len(items or ()))
    found.source = source
    return found


def _yaml_duty(reader: NodeReader, item: Node) -> _Raw | None:
    keys = reader.mapping(item, "duties", DUTY_KEYS, required=REQUIRED)
    if keys is None:
        return None
    values: dict[str, tuple[str, int]] = {}
    for name in ("id", "role", "person", "title", "evidence"):
        if name in keys:
            value = reader.text(keys[name], name)
            if value is not None:
                values[name] = (value, line_of(keys[name]))
    units = reader.texts(keys["units"], "units") if "units" in keys else None
    if units is not None and not units:
        reader.add(line_of(keys["units"]), "empty_list", field="units")
    frequency = keys.get("frequency")
    form = None
    if isinstance(frequency, MappingNode):
        parts = reader.mapping(frequency, "frequency", FREQUENCY_KEYS, required=("every",))
        if parts is None or "every" not in parts:
            return None
        every = reader.text(parts["every"], EVERY_FIELD)
        times = reader.text(parts["times"], TIMES_FIELD) if "times" in parts else None
        if every is None or ("times" in parts and times is None):
            return None
        form = ((every, line_of(parts["every"])), (times, line_of(parts["times"])) if times else None)
    elif frequency is not None:
        value = reader.text(frequency, "frequency", FREQUENCY_MAX)
        if value is None:
            return None
        values["frequency"] = (value, line_of(frequency))
    if any(name not in values for name in ("id", "title", "evidence")) or (
        "frequency" not in values and form is None
    ):
        return None
    return _Raw(line_of(item), values, units, form)


def read_xlsx(path: Path) -> DutiesFile:
    """The duty list of a workbook's sheet `duties`; raises files.Unreadable for a corrupt workbook."""
    with workbook(path) as book:
        names = [str(sheet.title) for sheet in book.worksheets]
        sheet = next((s for s in book.worksheets if str(s.title).strip().lower() == SHEET), None)
        if sheet is None:
            return DutiesFile(
                problems=[problem(0, "missing_sheet", sheet=SHEET, found=", ".join(names) or "-")]
            )
        filled = (row for row in sheet_rows(sheet) if any(cell.strip() for cell in row[1]))
        rows = list(itertools.islice(filled, MAX_DUTIES + 2))
    if not rows:
        return DutiesFile(problems=[problem(1, "empty_file")])
    header_line, header = rows[0][0], [cell.strip().lower() for cell in rows[0][1]]
    while header and not header[-1]:
        header.pop()
    problems = header_problems(header, header_line, COLUMNS, ("id", "title", "frequency", "evidence"))
    if problems:
        return DutiesFile(problems=problems)
    index = {name: header.index(name) for name in COLUMNS if name in header}
    raws: list[_Raw] = []
    source: tuple[str, int] | None = None
    for line, row in rows[1:]:
        cells = {name: (row[i].strip() if i < len(row) else "") for name, i in index.items()}
        problems += [problem(line, "missing_field", field=n) for n in REQUIRED if not cells[n]]
        hidden = [n for n, v in cells.items() if v and check_visible(v, n, line, problems) is None]
        if cells.get("source"):
            if source is None:
                source = (cells["source"], line)
            elif cells["source"] != source[0]:
                problems.append(
                    problem(line, "duty_source_conflict", value=cells["source"], first_line=source[1])
                )
        if hidden or any(not cells[n] for n in REQUIRED):
            continue
        units = [(u.strip(), line) for u in cells.get("units", "").split(";") if u.strip()] or None
        values = {n: (cells[n], line) for n in DUTY_KEYS if n != "units" and cells.get(n)}
        raws.append(_Raw(line, values, units))
    label = None
    if source is not None:
        label = check_name(source[0], "source", SOURCE_MAX, source[1], problems)
    found = _check(raws, problems, len(rows) - 1)
    found.source = label
    return found


def _check(raws: list[_Raw], problems: list[Problem], count: int) -> DutiesFile:
    """The duties valid on their own, with every problem of their values."""
    out = DutiesFile(problems=problems)
    if count > MAX_DUTIES:
        problems.append(problem(0, "too_many_rows", max=f"{MAX_DUTIES:,}"))
        return out
    first_line: dict[str, int] = {}
    for raw in raws:
        spec = _spec(raw, out)
        if spec is None:
            continue
        if spec.id in first_line:
            problems.append(problem(spec.line, "duty_duplicate", id=spec.id, first_line=first_line[spec.id]))
            continue
        first_line[spec.id] = spec.line
        out.duties.append(spec)
    out.problems = sorted(problems, key=lambda p: p.line)
    return out


def _spec(raw: _Raw, out: DutiesFile) -> DutySpec | None:
    problems = out.problems
    before = len(problems)
    v = raw.values
    duty_id = check_id(v["id"][0], "id", ID_MAX, v["id"][1], problems)
    title = check_name(v["title"][0], "title", TITLE_MAX, v["title"][1], problems)
    role, person = v.get("role"), v.get("person")
    if role is not None and person is not None:
        problems.append(problem(raw.line, "duty_role_and_person", id=v["id"][0]))
    elif role is None and person is None:
        problems.append(problem(raw.line, "duty_no_holder", id=v["id"][0]))
    if role is not None and role[0] not in ROLES:
        problems.append(problem(role[1], "unknown_role", role=role[0], allowed=", ".join(sorted(ROLES))))
    if person is not None:
        if check_id(person[0], "person", EMPLOYEE_NO_MAX, person[1], problems) is not None:
            out.people.append(person)
        if raw.units is not None:
            problems.append(problem(raw.units[0][1] if raw.units else raw.line, "duty_units_with_person"))
    out.units.extend(raw.units or ())
    frequency = _frequency(raw, problems)
    evidence = v["evidence"]
    if evidence[0] not in KINDS:
        problems.append(
            problem(evidence[1], "duty_unknown_evidence", value=evidence[0], allowed=", ".join(KINDS))
        )
    if len(problems) != before or duty_id is None or title is None or frequency is None:
        return None
    units = tuple(dict.fromkeys(u for u, _ in raw.units)) if raw.units is not None else None
    return DutySpec(
        duty_id,
        title,
        role[0] if role else None,
        person[0] if person else None,
        units,
        frequency,
        evidence[0],
        raw.line,
    )


def _frequency(raw: _Raw, problems: list[Problem]) -> Frequency | None:
    """The text form, or the structured one with each problem on its own line (every, times)."""
    if raw.structured is None:
        value, line = raw.values["frequency"]
        attempts = [(line, lambda: parse_text(value))]
    else:
        every, times = raw.structured
        attempts = [(every[1], lambda: structured(every[0], None))]
        if times is not None:
            attempts.append((times[1], lambda: structured(every[0], times[0])))
    found = None
    for line, attempt in attempts:
        try:
            found = attempt()
        except FrequencyError as exc:
            problems.append(problem(line, exc.code, **exc.params))
            return None
    return found
