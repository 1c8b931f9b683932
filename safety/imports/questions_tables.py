"""Reading a question bank from a table: CSV (questions only) or an XLSX workbook.

CSV (UTF-8, with or without BOM): a header row with the columns id, prohibition, type, stem, answer
(required), option_a … option_f and explanation (optional), in any order; names ignore case and
surrounding spaces; unknown columns are errors. One question per row; lines are CSV lines. The questions
refer to the prohibitions already loaded and keep the loaded bank's source label.

XLSX: the sheets `prohibitions` (columns number, title, text, source) and `questions` (the CSV columns);
sheet names ignore case, other sheets are ignored. The bank's source label is the `source` column of the
prohibitions sheet: written on the first prohibition at least; where it is repeated on further rows it must
be the same text. Lines are sheet rows, and every problem names its sheet.

Options fill option_a, option_b, … without gaps; a judge question leaves them empty. Blank rows are skipped.
A table longer than MAX_ROWS rows is refused (a bank has hundreds of questions, not hundreds of thousands).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path

from safety.imports.files import sheet_rows, workbook
from safety.imports.problems import Problem, problem
from safety.imports.questions_model import OPTION_LETTERS, RawBank, RawRow, in_sheet
from safety.imports.tables import header_problems

OPTION_COLUMNS = tuple(f"option_{c.lower()}" for c in OPTION_LETTERS)
QUESTION_REQUIRED = ("id", "prohibition", "type", "stem", "answer")
QUESTION_COLUMNS = (*QUESTION_REQUIRED[:4], *OPTION_COLUMNS, "answer", "explanation")
PROHIBITION_REQUIRED = ("number", "title", "text")
PROHIBITION_COLUMNS = (*PROHIBITION_REQUIRED, "source")
SHEETS = ("prohibitions", "questions")
MAX_ROWS = 20_000

Rows = Iterable[tuple[int, list[str]]]


def read_csv_bank(rows: Rows) -> tuple[RawBank | None, list[Problem]]:
    """The questions of a CSV file's rows (safety.imports.files.csv_file_rows)."""
    questions, header_line, problems = table_rows(rows, QUESTION_COLUMNS, QUESTION_REQUIRED)
    if questions is None:
        return None, problems
    return RawBank(prohibitions=None, questions=questions, lines={"questions": header_line}), problems


def read_xlsx_bank(path: Path) -> tuple[RawBank | None, list[Problem]]:
    """The bank of a workbook; raises files.Unreadable for a corrupt one."""
    sheets, names = _xlsx_sheets(path)
    missing = [name for name in SHEETS if name not in sheets]
    if missing:
        found = ", ".join(names) or "-"
        return None, [problem(0, "missing_sheet", sheet=name, found=found) for name in missing]
    problems: list[Problem] = []
    # the source column may be left out of the header: then "source is missing" names the first row
    prohibitions, p_line, found_p = table_rows(
        sheets["prohibitions"], PROHIBITION_COLUMNS, PROHIBITION_REQUIRED
    )
    questions, q_line, found_q = table_rows(sheets["questions"], QUESTION_COLUMNS, QUESTION_REQUIRED)
    problems += in_sheet(found_p, "prohibitions") + in_sheet(found_q, "questions")
    if prohibitions is None or questions is None:
        return None, problems
    bank = RawBank(
        prohibitions=prohibitions,
        questions=questions,
        lines={"prohibitions": p_line, "questions": q_line, "source": p_line},
        sheets={"prohibitions": "prohibitions", "questions": "questions"},
    )
    problems += in_sheet(_take_source(bank, prohibitions, p_line), "prohibitions")
    for rows, sheet in ((prohibitions, "prohibitions"), (questions, "questions")):
        for row in rows:
            row.sheet = sheet
    return bank, problems


def _take_source(bank: RawBank, rows: list[RawRow], header_line: int) -> list[Problem]:
    """The source label from the prohibitions sheet; the rows keep only number, title and text."""
    problems: list[Problem] = []
    for row in rows:
        value = row.values.pop("source", None)
        if value is None:
            continue
        if bank.source is None:
            bank.source, bank.lines["source"] = value, row.line
        elif value != bank.source:
            problems.append(
                problem(row.line, "source_conflict", value=value, first_line=bank.lines["source"])
            )
    if bank.source is None:
        problems.append(problem(rows[0].line if rows else header_line, "missing_field", field="source"))
    return problems


def table_rows(
    rows: Rows, columns: tuple[str, ...], required: tuple[str, ...]
) -> tuple[list[RawRow] | None, int, list[Problem]]:
    """The data rows under a header row (None if the header is unusable), the header's line, problems."""
    iterator = iter(rows)
    header: list[str] | None = None
    header_line = 1
    for line, row in iterator:
        if any(cell.strip() for cell in row):
            header, header_line = [cell.strip().lower() for cell in row], line
            break
    if header is None:
        return None, header_line, [problem(1, "empty_file")]
    while header and not header[-1]:
        header.pop()  # trailing empty cells of a spreadsheet row
    problems = header_problems(header, header_line, columns, required)
    if problems:
        return None, header_line, problems
    index = {name: header.index(name) for name in columns if name in header}
    out: list[RawRow] = []
    for line, row in iterator:
        if not any(cell.strip() for cell in row):
            continue
        if len(out) == MAX_ROWS:
            problems.append(problem(0, "too_many_rows", max=f"{MAX_ROWS:,}"))
            break
        cells = {name: (row[i].strip() if i < len(row) else "") for name, i in index.items()}
        raw = RawRow(line=line, values={k: v for k, v in cells.items() if v and k not in OPTION_COLUMNS})
        problems += [problem(line, "missing_field", field=name) for name in required if not cells[name]]
        raw.options, gap = _options(cells, line)
        if gap is not None:
            problems.append(gap)
        out.append(raw)
    return out, header_line, problems


def _options(cells: dict[str, str], line: int) -> tuple[list[tuple[str, int]], Problem | None]:
    """The options in column order; an empty column before a filled one is a gap."""
    values = [cells.get(name, "") for name in OPTION_COLUMNS]
    filled = [i for i, value in enumerate(values) if value]
    options = [(value, line) for value in values if value]
    if filled and len(filled) != filled[-1] + 1:
        empty = next(i for i in range(filled[-1]) if not values[i])
        gap = problem(line, "option_gap", column=OPTION_COLUMNS[empty], after=OPTION_COLUMNS[filled[-1]])
        return options, gap
    return options, None


def _xlsx_sheets(path: Path) -> tuple[dict[str, list[tuple[int, list[str]]]], list[str]]:
    """The rows of the sheets named in SHEETS (names compared lower-cased and stripped; the first of equal
    names wins; blank rows left out, and rows beyond MAX_ROWS + 1 past the header: the table refuses more),
    and the names of all sheets."""
    with workbook(path) as book:
        sheets: dict[str, list[tuple[int, list[str]]]] = {}
        for sheet in book.worksheets:
            name = str(sheet.title).strip().lower()
            if name not in SHEETS or name in sheets:
                continue
            filled = (row for row in sheet_rows(sheet) if any(cell.strip() for cell in row[1]))
            sheets[name] = list(itertools.islice(filled, MAX_ROWS + 2))
        return sheets, [str(sheet.title) for sheet in book.worksheets]
