"""What one sheet of the monthly export is, so that features add their own sheets beside the two built in.

A `SheetSource` names its sheet by a catalog key (`export.sheet.<key>`: the sheet's title in the workbook
and the CSV file's name in the zip), gives its columns in a language and streams its rows for the export's
scope: the month, the units of `--unit`'s subtree, each unit's time zone. Rows are produced while they are
written, so a source must not collect the month into memory first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults
from safety.export.period import Month
from storage.models import Unit

Cell = str | int | float | None


@dataclass(frozen=True)
class Column:
    header: str  # in the export's language
    width: int
    percent: bool = False  # a fraction (0.75) shown as a percentage in the workbook


@dataclass(frozen=True)
class ExportScope:
    month: Month
    units: list[Unit]  # the units exported: --unit's subtree, or all
    all_units: list[Unit]
    zones: dict[str, ZoneInfo]  # every unit's time zone (its own, else its nearest ancestor's, else default)
    defaults: Defaults
    now: datetime | None = None  # the export's moment: in a month still running, what is not due yet is open

    @property
    def unit_ids(self) -> list[str]:
        return [u.id for u in self.units]


class SheetSource(Protocol):
    key: str  # the sheet's title is the catalog text export.sheet.<key>

    def columns(self, language: str) -> list[Column]: ...

    def rows(self, session: AsyncSession, scope: ExportScope, language: str) -> AsyncIterator[list[Cell]]:
        """The sheet's rows in order (an async generator)."""
        ...
