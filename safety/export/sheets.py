"""The export's sheets as headers, column widths and cell values, in one language, in their order: the
summary (汇总, one row per unit), the per-person record (个人记录, one row per person and day), then every
sheet of safety.export.extra's registry.

Both writers (XLSX and the CSV zip) take their cells from here, so the two formats hold the same values.
Rates are fractions (0.75), shown as percentages in the workbook; a rate with nothing to count is empty.
The per-person sheet streams unit by unit (safety.export.rows); each unit's summary is kept as its rows go
by, so the summary sheet, first in the workbook, is filled last (`Sheet.last`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.export import extra
from safety.export.rows import KINDS, STATES, PersonDay, UnitSummary, unit_months
from safety.export.sheet import Cell, Column, ExportScope, SheetSource
from safety.texts import t

__all__ = ["Cell", "Column", "MonthRecord", "Sheet", "sheets"]


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
    """One sheet as the writers see it: its title, its columns and its rows, made when the sheet is filled."""

    name: str
    columns: list[Column]
    rows: Callable[[], AsyncIterator[list[Cell]]]
    last: bool = False  # filled after the others (it sums them up), though it keeps its place


class MonthRecord:
    """The two sheets of the month's record: the people's rows stream unit by unit, and each unit's summary
    is kept as its rows go by, for the summary sheet."""

    def __init__(self, session: AsyncSession, scope: ExportScope, language: str) -> None:
        self.session, self.scope, self.language = session, scope, language
        self.summaries: dict[str, UnitSummary] | None = None  # filled by a complete pass over the people

    async def people_rows(self) -> AsyncIterator[list[Cell]]:
        summaries: dict[str, UnitSummary] = {}
        async for month in unit_months(self.session, self.scope):
            summaries[month.summary.unit_id] = month.summary
            for day in month.days:
                yield person_cells(day, self.language)
        self.summaries = summaries

    async def summary_rows(self) -> AsyncIterator[list[Cell]]:
        if self.summaries is None:  # the people sheet was not written first: one pass for the summaries
            async for _row in self.people_rows():
                pass
        assert self.summaries is not None
        for unit in self.scope.units:
            yield summary_cells(self.summaries[unit.id])

    def sheets(self) -> list[Sheet]:
        language = self.language
        return [
            Sheet(
                t(language, "export.sheet.summary"), summary_columns(language), self.summary_rows, last=True
            ),
            Sheet(t(language, "export.sheet.people"), person_columns(language), self.people_rows),
        ]


def _extra_sheet(source: SheetSource, session: AsyncSession, scope: ExportScope, language: str) -> Sheet:
    return Sheet(
        t(language, f"export.sheet.{source.key}"),
        source.columns(language),
        lambda: source.rows(session, scope, language),
    )


def sheets(session: AsyncSession, scope: ExportScope, language: str) -> list[Sheet]:
    """Every sheet of the export in its order: the summary, the per-person record, the registered ones."""
    added = [_extra_sheet(source, session, scope, language) for source in extra.EXTRA_SHEETS]
    return [*MonthRecord(session, scope, language).sheets(), *added]
