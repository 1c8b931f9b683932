"""The export's sheets written as an XLSX workbook or as CSV files in a zip, row by row as they come.

The rows are async (read from the database while the file is written); each is handed to the synchronous
writer as soon as it is made, so memory holds a row, not a sheet. XLSX: openpyxl's write-only workbook, one
temporary file per sheet, so a sheet marked `last` is filled after the others yet keeps its place; header
row bold and frozen, widths set, rates as percentages. CSV: one UTF-8-BOM file per sheet, spooled to a
temporary file while it is filled and then stored in the zip in the sheets' order. The result is written
beside its target and renamed into place when complete, so an error leaves nothing behind.

A failure to read a sheet's rows (the database) is raised as `SourceFailed`, apart from a failure to write
the file (`OSError`), so that the command line can say which it was.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy.exc import SQLAlchemyError

from safety.export.sheet import Cell
from safety.export.sheets import Sheet

FORMATS = ("xlsx", "csv")
BATCH = 500  # rows between two progress steps
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would read as a formula
PERCENT = "0.0%"

Progress = Callable[[int], None]


class SourceFailed(Exception):
    """A sheet's rows could not be read (the database refused or went away)."""

    def __init__(self, reason: BaseException) -> None:
        super().__init__(str(reason))
        self.reason = reason


async def write(sheets: list[Sheet], out: Path, *, file_format: str, progress: Progress) -> list[int]:
    """Write the sheets to `out` through a temporary file beside it (renamed into place when complete);
    the number of rows written in each sheet."""
    handle, temporary = tempfile.mkstemp(prefix=".export-", suffix=".part", dir=out.parent)
    os.close(handle)
    try:
        if file_format == "csv":
            counts = await _write_zip(sheets, Path(temporary), progress)
        else:
            counts = await _write_xlsx(sheets, Path(temporary), progress)
        os.replace(temporary, out)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
    return counts


def _fill_order(sheets: list[Sheet]) -> list[int]:
    return [n for n, s in enumerate(sheets) if not s.last] + [n for n, s in enumerate(sheets) if s.last]


async def _counted(rows: AsyncIterator[list[Cell]], progress: Progress) -> AsyncIterator[list[Cell]]:
    """The rows, with a progress step every BATCH rows (and the rest at the end); a failure to read them is
    a SourceFailed."""
    pending = 0
    while True:
        try:
            row = await anext(rows)
        except StopAsyncIteration:
            break
        except (SQLAlchemyError, OSError) as exc:
            raise SourceFailed(exc) from exc
        yield row
        pending += 1
        if pending == BATCH:
            progress(pending)
            pending = 0
    progress(pending)


def _as_text(sheet: WriteOnlyWorksheet, value: object) -> object:
    """A typed text (a name, a note) that starts like a formula stays text: openpyxl would store "=…" as
    a formula, run when the file is opened (formula injection)."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _csv_safe(value: object) -> object:
    """CSV has no types: a text that starts like a formula gets a leading apostrophe (OWASP's advice)."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def _page(book: Workbook, table: Sheet) -> WriteOnlyWorksheet:
    """A sheet with its layout and header row (both must come before its first row)."""
    sheet = book.create_sheet(table.name)
    sheet.freeze_panes = "A2"
    for n, column in enumerate(table.columns, 1):
        sheet.column_dimensions[get_column_letter(n)].width = column.width
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    return sheet


async def _write_xlsx(tables: list[Sheet], path: Path, progress: Progress) -> list[int]:
    book = Workbook(write_only=True)
    pages = [_page(book, table) for table in tables]
    try:
        counts = await _fill_xlsx(tables, pages, progress)
    except BaseException:
        _discard(pages)
        raise
    book.save(path)
    return counts


async def _fill_xlsx(tables: list[Sheet], pages: list[WriteOnlyWorksheet], progress: Progress) -> list[int]:
    counts = [0] * len(tables)
    for n in _fill_order(tables):
        sheet, table = pages[n], tables[n]
        percent = [k for k, column in enumerate(table.columns) if column.percent]
        async for row in _counted(table.rows(), progress):
            values: list[object] = [_as_text(sheet, v) for v in row]
            for k in percent:
                if row[k] is not None:
                    cell = WriteOnlyCell(sheet, value=row[k])
                    cell.number_format = PERCENT
                    values[k] = cell
            sheet.append(values)
            counts[n] += 1
    return counts


def _discard(pages: list[WriteOnlyWorksheet]) -> None:
    """A workbook that failed half-way: close each sheet's temporary file and remove it now (openpyxl
    would leave them until the process exits)."""
    for page in pages:
        with contextlib.suppress(Exception):
            page.close()
        writer = page._writer  # openpyxl keeps the sheet's temporary file there
        if writer is not None and isinstance(writer.out, str):
            with contextlib.suppress(Exception):
                writer.cleanup()


async def _write_zip(tables: list[Sheet], path: Path, progress: Progress) -> list[int]:
    with contextlib.ExitStack() as stack:
        spools: list[IO[bytes]] = [stack.enter_context(tempfile.TemporaryFile()) for _ in tables]
        counts = [0] * len(tables)
        for n in _fill_order(tables):
            text = io.TextIOWrapper(spools[n], encoding="utf-8-sig", newline="")
            writer = csv.writer(text)
            writer.writerow([c.header for c in tables[n].columns])
            async for row in _counted(tables[n].rows(), progress):
                writer.writerow(["" if v is None else _csv_safe(v) for v in row])
                counts[n] += 1
            text.flush()
            text.detach()
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for table, spool in zip(tables, spools, strict=True):
                spool.seek(0)
                with archive.open(f"{table.name}.csv", "w") as entry:
                    shutil.copyfileobj(spool, entry)
        return counts
