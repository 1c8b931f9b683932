"""The export's sheet of the duty list (责任清单, 照单履职): one row per person and listed duty that applies
to them, with the month's periods due and met, the evidence and what is missing — what a monthly appraisal
(每月考核) can use as it is. Streamed unit by unit (safety.duties.record.month_records).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.duties.record import month_records
from safety.duties.render import evidence_text, frequency_text, missing_text, role_text
from safety.export.sheet import Cell, Column, ExportScope, SheetSource
from safety.texts import t

COLUMNS = (
    ("employee_no", 12),
    ("name", 12),
    ("unit", 20),
    ("role", 12),
    ("duty", 28),
    ("frequency", 12),
    ("periods_due", 10),
    ("periods_met", 10),
    ("evidence_count", 10),
    ("evidence", 60),
    ("missing", 40),
    ("rate", 10),
)


class DutySheet:
    """The `duties` sheet of `safetybot export` (a SheetSource)."""

    key = "duties"

    def columns(self, language: str) -> list[Column]:
        return [
            Column(t(language, f"export.duties_col.{name}"), width, percent=name == "rate")
            for name, width in COLUMNS
        ]

    async def rows(
        self, session: AsyncSession, scope: ExportScope, language: str
    ) -> AsyncIterator[list[Cell]]:
        records = month_records(
            session,
            month=scope.month,
            units=scope.units,
            all_units=scope.all_units,
            defaults=scope.defaults,
            now=scope.now,  # in a month still running, periods not over stay open
        )
        async for person in records:
            for status in person.duties:
                yield [
                    person.holder.employee_no,
                    person.holder.name,
                    person.unit_name,
                    role_text(status.role, language),
                    status.duty.title,
                    frequency_text(status.duty, language),
                    status.due,
                    status.met,
                    len(status.evidence),
                    evidence_text(status, language),
                    missing_text(status, language),
                    status.rate,
                ]


DUTY_SHEET: SheetSource = DutySheet()
