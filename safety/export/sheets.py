"""The export's two sheets as headers, column widths and cell values, in one language.

Both writers (XLSX and the CSV zip) take their cells from here, so the two formats hold the same values.
Rates are fractions (0.75), shown as percentages in the workbook; a rate with nothing to count is empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from safety.export.rows import KINDS, STATES, Export, PersonDay, UnitSummary
from safety.texts import t

Cell = str | int | float | None


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    percent: bool = False


def summary_columns(language: str) -> list[Column]:
    def c(key: str, width: int = 10, percent: bool = False) -> Column:
        return Column(t(language, f"export.col.{key}"), width, percent)

    reports = [
        Column(f"{t(language, f'export.kind.{k}')}·{t(language, f'export.state.{s}')}", 12)
        for k in KINDS
        for s in STATES
    ]
    return [
        c("unit_id", 14),
        c("unit", 20),
        c("expected"),
        c("checked"),
        c("late"),
        c("missed"),
        c("excused"),
        c("checkin_rate", 10, True),
        *reports,
        c("due_closed", 12),
        c("closed_on_time", 12),
        c("rectification_rate", 12, True),
        c("quiz_passed"),
        c("quiz_failed"),
        c("quiz_pass_rate", 12, True),
        c("cards_sent"),
        c("cards_acknowledged", 12),
        c("card_rate", 12, True),
    ]


def summary_cells(row: UnitSummary) -> list[Cell]:
    reports: list[Cell] = [row.reports.get((k, s), 0) for k in KINDS for s in STATES]
    return [
        row.unit_id,
        row.unit_name,
        row.expected,
        row.checked,
        row.late,
        row.missed,
        row.excused,
        row.checkin_rate,
        *reports,
        row.due_closed,
        row.closed_on_time,
        row.rectification_rate,
        row.quiz_passed,
        row.quiz_failed,
        row.quiz_pass_rate,
        row.cards_sent,
        row.cards_acknowledged,
        row.card_rate,
    ]


def person_columns(language: str) -> list[Column]:
    keys = [
        ("employee_no", 12),
        ("name", 12),
        ("unit", 20),
        ("day", 12),
        ("checkin", 10),
        ("leave", 8),
        ("quiz_attempts", 10),
        ("quiz_passed", 10),
        ("violations", 8),
        ("reports_made", 10),
        ("tasks", 10),
        ("cards_acknowledged", 12),
        ("duties_handled", 12),
        ("leader_shift", 12),
    ]
    return [Column(t(language, f"export.col.{key}"), width) for key, width in keys]


def person_cells(row: PersonDay, language: str) -> list[Cell]:
    def word(group: str, value: str) -> str:
        return t(language, f"export.{group}.{value}") if value else ""

    return [
        row.employee_no,
        row.name,
        row.unit_name,
        row.day.isoformat(),
        word("checkin", row.checkin),
        t(language, "export.yes") if row.on_leave else "",
        row.quiz_attempts,
        row.quiz_passed,
        row.violations,
        row.reports_made,
        row.tasks,
        row.cards_acknowledged,
        row.duties_handled,
        word("shift", row.leader_shift),
    ]


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: list[Column]
    rows: Iterator[list[Cell]]
    size: int


def sheets(export: Export, language: str) -> list[Sheet]:
    """The summary sheet (汇总) and the per-person sheet (个人记录), rows produced as they are written."""
    return [
        Sheet(
            t(language, "export.sheet.summary"),
            summary_columns(language),
            (summary_cells(u) for u in export.units),
            len(export.units),
        ),
        Sheet(
            t(language, "export.sheet.people"),
            person_columns(language),
            (person_cells(d, language) for d in export.days),
            len(export.days),
        ),
    ]
