"""Shared reading of tabular files (CSV and XLSX): rows with their line numbers, cell text, the header."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, time

from safety.imports.problems import Problem, problem


def csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each CSV record with the line it starts on (quoted cells may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    for row in reader:
        yield start, row
        start = reader.line_num + 1


def cell_text(value: object) -> str:
    """A spreadsheet cell as text: numbers typed as numbers lose their '.0', dates become ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
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
