"""Shared reading of tabular files (CSV and XLSX): rows with their line numbers, cell text, the header."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import TextIO

from safety.imports.problems import Problem, problem


def csv_rows(handle: TextIO) -> Iterator[tuple[int, list[str]]]:
    """Each CSV record of a text file opened with newline="" (or a StringIO) with the line it starts on
    (quoted cells may span lines)."""
    reader = csv.reader(handle)
    start = 1
    for row in reader:
        yield start, row
        start = reader.line_num + 1


def cell_text(value: object) -> str:
    """A spreadsheet cell as text: numbers typed as numbers lose their '.0', dates become ISO (a date cell,
    which the workbook holds as a datetime at midnight, becomes YYYY-MM-DD)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time():
        return value.date().isoformat()
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def header_problems(
    header: list[str], line: int, columns: tuple[str, ...], required: tuple[str, ...]
) -> list[Problem]:
    """Repeated, unknown and missing columns of a header row, each a problem on that line."""
    unknown = [name or "(empty)" for name in header if name not in columns]
    missing = [name for name in required if name not in header]
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    problems = []
    if repeated:
        problems.append(problem(line, "duplicate_columns", columns=", ".join(repeated)))
    if unknown:
        problems.append(
            problem(line, "unknown_columns", columns=", ".join(unknown), expected=", ".join(columns))
        )
    if missing:
        problems.append(problem(line, "missing_columns", columns=", ".join(missing)))
    return problems
