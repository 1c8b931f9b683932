"""Reading the roster (`safetybot import roster`): CSV (UTF-8, with or without BOM) or XLSX (first sheet).

A header row is required with exactly the columns employee_no, name, phone, unit, roles (any order, case
and surrounding spaces ignored; unknown columns are errors, like unknown keys in the org file). Roles are
joined by `;` (the full-width `；` is accepted too). Line numbers are the CSV line where the record starts,
or the spreadsheet row. Blank rows are skipped.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from openpyxl.utils.exceptions import InvalidFileException

from safety.imports.people import RawPerson
from safety.imports.problems import Problem, problem
from safety.imports.tables import cell_text, csv_rows, header_problems

COLUMNS = ("employee_no", "name", "phone", "unit", "roles")
SUFFIXES = (".csv", ".xlsx")
_ROLE_SPLIT = re.compile(r"[;；]")


def read_roster(path: Path) -> list[RawPerson] | tuple[Problem, ...]:
    """The rows of a roster file, or the problem(s) that make it unreadable."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        return (problem(0, "unsupported_file_type", suffix=suffix or path.name, allowed=", ".join(SUFFIXES)),)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return (problem(0, "unreadable_file", detail=exc.strerror or str(exc)),)
    if suffix == ".csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return (problem(0, "bad_encoding"),)
        try:
            return rows_to_people(csv_rows(text))
        except csv.Error as exc:
            return (problem(0, "unreadable_file", detail=str(exc)),)
    try:
        return rows_to_people(_xlsx_rows(data))
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        return (problem(0, "unreadable_file", detail=f"not a valid .xlsx workbook ({exc})"),)


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [cell_text(v) for v in values]
    finally:
        workbook.close()


def rows_to_people(rows: Iterable[tuple[int, list[str]]]) -> list[RawPerson] | tuple[Problem, ...]:
    """Map the header to columns and every further non-blank row to a RawPerson."""
    iterator = iter(rows)
    header: list[str] | None = None
    header_line = 1
    for line, row in iterator:
        if any(cell.strip() for cell in row):
            header, header_line = [cell.strip().lower() for cell in row], line
            break
    if header is None:
        return (problem(1, "empty_roster"),)
    while header and not header[-1]:
        header.pop()  # trailing empty cells of a spreadsheet row
    problems = header_problems(header, header_line, COLUMNS, COLUMNS)
    if problems:
        return tuple(problems)
    index = {name: header.index(name) for name in COLUMNS}
    people: list[RawPerson] = []
    for line, row in iterator:
        if not any(cell.strip() for cell in row):
            continue
        values = {name: (row[i].strip() if i < len(row) else "") for name, i in index.items()}
        roles = [(r.strip(), line) for r in _ROLE_SPLIT.split(values["roles"]) if r.strip()]
        people.append(
            RawPerson(
                line=line,
                employee_no=values["employee_no"] or None,
                name=values["name"] or None,
                phone=values["phone"] or None,
                unit=values["unit"] or None,
                roles=roles,
            )
        )
    if not people:
        return (problem(header_line, "empty_roster"),)
    return people
