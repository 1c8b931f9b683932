"""The sheets other features add to the monthly export, written after its own two in this order.

Each entry is a `SheetSource` (safety.export.sheet): its title is the catalog text `export.sheet.<key>`, its
columns and rows are its own. The writers give every sheet the same frozen header row, column widths,
percentage format and progress count, in the workbook and in the CSV zip.
"""

from __future__ import annotations

from safety.duties.sheet import DUTY_SHEET
from safety.export.sheet import SheetSource
from safety.leader_record.sheet import RECORD_SHEET

EXTRA_SHEETS: list[SheetSource] = [DUTY_SHEET, RECORD_SHEET]  # 责任清单履职, 履职记录
