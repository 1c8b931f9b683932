"""Reading the roster (`safetybot import roster`): CSV (UTF-8, with or without BOM) or XLSX (first sheet).

A header row is required with the columns employee_no, name, phone, unit, roles and, optionally,
cleared_on, wecom_userid and preferred_channel (safety.imports.channel_columns) (any order, case and
surrounding spaces ignored; unknown columns are errors, like unknown keys in the org file). Roles are
joined by `;` (the full-width `；` is accepted too). cleared_on is the date (YYYY-MM-DD, or a date cell)
of a ten-prohibitions exam passed outside the bot, or empty. Line numbers are the CSV line where the record
starts, or the spreadsheet row. Blank rows are skipped.

The file is read row by row as it is validated, never whole into memory (safety.imports.files), and at most
MAX_ROWS people are read: a longer file is refused, with the problems found in those rows. 200,000 is
several times the staff of the largest groups a deployment serves; validating and applying that many takes
about half a minute and a few hundred MB.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from safety.imports.files import Unreadable, csv_file_rows, sheet_rows, workbook
from safety.imports.people import RawPerson
from safety.imports.problems import Problem, problem
from safety.imports.tables import header_problems

COLUMNS = ("employee_no", "name", "phone", "unit", "roles")
OPTIONAL = ("cleared_on", "wecom_userid", "preferred_channel")
SUFFIXES = (".csv", ".xlsx")
MAX_ROWS = 200_000
_ROLE_SPLIT = re.compile(r"[;；]")


class RosterReader:
    """A roster file, iterated for its people while it is read. Afterwards `problems` holds what is wrong
    with the file beyond its rows; when `unusable` (unreadable file, bad header) the rows read, if any, are
    not to be judged."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.unusable = False

    def _fail(self, *found: Problem) -> None:
        self.problems.extend(found)
        self.unusable = True

    def __iter__(self) -> Iterator[RawPerson]:
        suffix = self.path.suffix.lower()
        if suffix not in SUFFIXES:
            allowed = ", ".join(SUFFIXES)
            self._fail(problem(0, "unsupported_file_type", suffix=suffix or self.path.name, allowed=allowed))
            return
        try:
            if suffix == ".csv":
                yield from self._people(csv_file_rows(self.path))
            else:
                with workbook(self.path) as book:
                    yield from self._people(sheet_rows(book.worksheets[0]) if book.worksheets else ())
        except Unreadable as exc:
            self._fail(exc.problem)

    def _people(self, rows: Iterable[tuple[int, list[str]]]) -> Iterator[RawPerson]:
        """Map the header to columns and every further non-blank row to a RawPerson."""
        iterator = iter(rows)
        header: list[str] | None = None
        header_line = 1
        for line, row in iterator:
            if any(cell.strip() for cell in row):
                header, header_line = [cell.strip().lower() for cell in row], line
                break
        if header is None:
            self._fail(problem(1, "empty_roster"))
            return
        while header and not header[-1]:
            header.pop()  # trailing empty cells of a spreadsheet row
        found = header_problems(header, header_line, COLUMNS + OPTIONAL, COLUMNS)
        if found:
            self._fail(*found)
            return
        index = {name: header.index(name) for name in COLUMNS + OPTIONAL if name in header}
        count = 0
        for line, row in iterator:
            if not any(cell.strip() for cell in row):
                continue
            count += 1
            if count > MAX_ROWS:  # a problem of the file as a whole (line 0): printed first
                self.problems.append(problem(0, "too_many_rows", max=f"{MAX_ROWS:,}"))
                return
            yield _person(line, {name: (row[i].strip() if i < len(row) else "") for name, i in index.items()})
        if count == 0:
            self._fail(problem(header_line, "empty_roster"))


def _person(line: int, values: dict[str, str]) -> RawPerson:
    roles = [(r.strip(), line) for r in _ROLE_SPLIT.split(values["roles"]) if r.strip()]
    return RawPerson(
        line=line,
        employee_no=values["employee_no"] or None,
        name=values["name"] or None,
        phone=values["phone"] or None,
        unit=values["unit"] or None,
        roles=roles,
        cleared_on=values.get("cleared_on") or None,
        wecom_userid=values.get("wecom_userid") or None,
        preferred_channel=values.get("preferred_channel") or None,
    )


def read_roster(path: Path) -> list[RawPerson] | tuple[Problem, ...]:
    """The rows of a (small) roster file, or the problem(s) that make it unusable."""
    reader = RosterReader(path)
    people = list(reader)
    return tuple(reader.problems) if reader.problems else people
