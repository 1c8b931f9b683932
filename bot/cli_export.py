"""`safetybot export --month YYYY-MM --out FILE [--unit UNIT] [--format xlsx|csv]`: the monthly record.

Writes the sheets of safety.export.sheets — 汇总 (one row per unit) and 个人记录 (one row per person and day)
— as an XLSX workbook (openpyxl write-only, so rows stream to the file; header row frozen, widths set,
rates as percentages) or, with `--format csv`, as one UTF-8-BOM CSV file per sheet inside a zip. The file is
written beside its target and renamed into place at the end, so an error leaves nothing behind. A bad
month, unknown unit, bad format or unwritable path prints one line on stderr and exits 1; a database that
cannot be read exits 2. A progress bar runs on stderr for large exports. Registered by bot.cli as `export`.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.exc import SQLAlchemyError

from bot.cli_import import DatabaseOption
from bot.settings import settings_or_exit
from safety.config import Defaults
from safety.export.rows import Export, ExportError, Month, build, parse_month
from safety.export.sheets import Cell, Sheet, sheets
from safety.texts import t
from storage.db import Database
from storage.migrate import upgrade

FORMATS = ("xlsx", "csv")
PROGRESS_FROM = 2000  # rows; smaller exports finish before a bar would be seen


def export_command(
    month: Annotated[str, typer.Option(help="the month, YYYY-MM")],
    out: Annotated[Path, typer.Option(help="the file to write (.xlsx, or .zip with --format csv)")],
    unit: Annotated[str | None, typer.Option(help="only this unit and the units below it")] = None,
    file_format: Annotated[str, typer.Option("--format", help="xlsx or csv (CSV files in a zip)")] = "xlsx",
    database_url: DatabaseOption = None,
) -> None:
    """The month's record per unit and per person and day (一单一档)."""
    settings = settings_or_exit()
    language = settings.language
    defaults = Defaults(language=language, timezone=settings.timezone)
    try:
        if file_format not in FORMATS:
            raise ExportError("export.bad_format", format=file_format[:10])
        chosen = parse_month(month)
        _check_writable(out)
        export = asyncio.run(_build(database_url or settings.database_url, chosen, unit, defaults))
    except ExportError as exc:
        typer.echo(t(language, exc.key, **exc.params), err=True)
        raise typer.Exit(1) from None
    except (SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        typer.echo(t(language, "export.database_refused", reason=reason), err=True)
        raise typer.Exit(2) from None
    try:
        write(
            export, out, file_format=file_format, language=language, progress=_progress_bar(export, language)
        )
    except OSError as exc:
        typer.echo(t(language, "export.unwritable", path=out, reason=exc.strerror or exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(
        t(
            language,
            "export.done",
            month=month.strip(),
            units=len(export.units),
            rows=len(export.days),
            path=out,
        )
    )


def _check_writable(out: Path) -> None:
    folder = out.parent if str(out.parent) else Path(".")
    if out.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
        reason = "is a folder" if out.is_dir() else "no such folder or not writable"
        raise ExportError("export.unwritable", path=out, reason=reason)


async def _build(url: str, month: Month, unit: str | None, defaults: Defaults) -> Export:
    await upgrade(url)
    database = Database(url)
    try:
        async with database.session(background=True) as session:
            return await build(session, month=month, unit=unit, defaults=defaults)
    finally:
        await database.engine.dispose()


Progress = Callable[[int], None]


def _progress_bar(export: Export, language: str) -> Progress:
    total = len(export.units) + len(export.days)
    if total < PROGRESS_FROM:
        return lambda _n: None
    bar = typer.progressbar(
        length=total, label=t(language, "export.progress"), file=typer.get_text_stream("stderr")
    )
    bar.__enter__()
    done = [0]

    def step(n: int) -> None:
        bar.update(n)
        done[0] += n
        if done[0] >= total:
            bar.__exit__(None, None, None)

    return step


def write(export: Export, out: Path, *, file_format: str, language: str, progress: Progress) -> None:
    """Write the export to `out` through a temporary file beside it (renamed into place when complete)."""
    handle, temporary = tempfile.mkstemp(prefix=".export-", suffix=".part", dir=out.parent)
    os.close(handle)
    try:
        if file_format == "csv":
            _write_zip(sheets(export, language), Path(temporary), progress)
        else:
            _write_xlsx(sheets(export, language), Path(temporary), progress)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _counted(rows: Iterator[list[Cell]], progress: Progress) -> Iterator[list[Cell]]:
    pending = 0
    for row in rows:
        yield row
        pending += 1
        if pending == 500:
            progress(pending)
            pending = 0
    progress(pending)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would read as a formula


def _as_text(sheet: object, value: object) -> object:
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


def _write_xlsx(tables: list[Sheet], path: Path, progress: Progress) -> None:
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(table.name)
        sheet.freeze_panes = "A2"
        for n, column in enumerate(table.columns, 1):
            sheet.column_dimensions[get_column_letter(n)].width = column.width
        header = []
        for column in table.columns:
            cell = WriteOnlyCell(sheet, value=column.header)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        percent = [n for n, column in enumerate(table.columns) if column.percent]
        for row in _counted(table.rows, progress):
            values: list[object] = [_as_text(sheet, v) for v in row]
            for n in percent:
                if row[n] is not None:
                    cell = WriteOnlyCell(sheet, value=row[n])
                    cell.number_format = "0.0%"
                    values[n] = cell
            sheet.append(values)
    book.save(path)


def _write_zip(tables: list[Sheet], path: Path, progress: Progress) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in tables:
            with archive.open(f"{table.name}.csv", "w") as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                writer = csv.writer(text)
                writer.writerow([c.header for c in table.columns])
                for row in _counted(table.rows, progress):
                    writer.writerow(["" if v is None else _csv_safe(v) for v in row])
                text.flush()
                text.detach()
