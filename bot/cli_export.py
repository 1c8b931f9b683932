"""`safetybot export --month YYYY-MM --out FILE [--unit UNIT] [--format xlsx|csv]`: the monthly record.

Writes the sheets of safety.export.sheets — 汇总 (one row per unit), 个人记录 (one row per person and day)
and the sheets other features register (safety.export.extra) — through safety.export.writers, as an XLSX
workbook or, with `--format csv`, as CSV files inside a zip. The rows stream from the database to the file
unit by unit, so memory stays flat however large the company. Nothing is left behind on an error. A bad
month, unknown unit, bad format or unwritable path prints one line on stderr and exits 1; a database that
cannot be read exits 2. Progress shows on stderr once a large export is under way. On SQLite the export
reads without taking the write lock, so the bot keeps writing while it runs. Registered by bot.cli as
`export`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli_import import DatabaseOption
from bot.settings import settings_or_exit
from safety.config import Defaults
from safety.export.period import ExportError, Month, parse_month
from safety.export.scope import load_scope
from safety.export.sheets import sheets
from safety.export.writers import FORMATS, SourceFailed, write
from safety.texts import t
from storage.db import Database
from storage.migrate import upgrade

PROGRESS_FROM = 2000  # rows; smaller exports finish before progress would be seen
SPINNER = "|/-\\"


def clock() -> datetime:
    """The export's moment (a module function, so tests can set it): in a month still running, or a week
    that runs into the next month, what is not due yet is shown as in progress, not as missing."""
    return datetime.now(UTC)


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
    progress = ProgressLine(language, typer.get_text_stream("stderr"))
    try:
        if file_format not in FORMATS:
            raise ExportError("export.bad_format", format=file_format[:10])
        chosen = parse_month(month)
        _check_writable(out)
        units, rows = asyncio.run(
            _migrated_export(
                database_url or settings.database_url,
                chosen,
                unit,
                defaults,
                out=out,
                file_format=file_format,
                progress=progress,
            )
        )
    except ExportError as exc:
        typer.echo(t(language, exc.key, **exc.params), err=True)
        raise typer.Exit(1) from None
    except SourceFailed as exc:
        typer.echo(t(language, "export.database_refused", reason=_reason(exc.reason)), err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        typer.echo(t(language, "export.unwritable", path=out, reason=exc.strerror or exc), err=True)
        raise typer.Exit(1) from None
    finally:
        progress.close()
    typer.echo(t(language, "export.done", month=month.strip(), units=units, rows=rows, path=out))


def _reason(exc: BaseException) -> str:
    return (str(getattr(exc, "orig", None) or exc).splitlines() or [type(exc).__name__])[0]


def _check_writable(out: Path) -> None:
    folder = out.parent if str(out.parent) else Path(".")
    if out.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
        reason = "is a folder" if out.is_dir() else "no such folder or not writable"
        raise ExportError("export.unwritable", path=out, reason=reason)


@asynccontextmanager
async def _reading(database: Database) -> AsyncIterator[AsyncSession]:
    """SQLite: reads without the write lock (the bot's writes go on); PostgreSQL: one read transaction (its
    cursors stream inside a transaction)."""
    if database.is_sqlite:
        async with database.reading() as session:
            yield session
    else:
        async with database.session(background=True) as session:
            yield session


async def _migrated_export(
    url: str, month: Month, unit: str | None, defaults: Defaults, **how: Any
) -> tuple[int, int]:
    try:
        await upgrade(url)
    except (SQLAlchemyError, OSError) as exc:
        raise SourceFailed(exc) from exc
    return await export(url, month, unit, defaults, **how)


async def export(
    url: str,
    month: Month,
    unit: str | None,
    defaults: Defaults,
    *,
    out: Path,
    file_format: str,
    progress: ProgressLine,
) -> tuple[int, int]:
    """Export the month to `out` from a migrated database; (units exported, rows of the per-person sheet)."""
    database = Database(url)
    try:
        async with _reading(database) as session:
            try:
                scope = await load_scope(session, month=month, unit=unit, defaults=defaults, now=clock())
            except (SQLAlchemyError, OSError) as exc:
                raise SourceFailed(exc) from exc
            tables = sheets(session, scope, defaults.language)
            counts = await write(tables, out, file_format=file_format, progress=progress)
        return len(scope.units), counts[1]
    finally:
        await database.engine.dispose()


class ProgressLine:
    """Rows written so far, on stderr, once an export has written PROGRESS_FROM rows: a terminal gets one
    line redrawn with a turning spinner and the count (the total is not known before the rows are made);
    anything else (a log, a pipe) gets the line once when it starts and once at the end."""

    def __init__(self, language: str, stream: TextIO) -> None:
        self.language, self.stream = language, stream
        self.rows = 0
        self.shown = False
        self.live = stream.isatty()

    def _line(self) -> str:
        return t(self.language, "export.progress_rows", rows=self.rows)

    def __call__(self, rows: int) -> None:
        self.rows += rows
        if self.rows < PROGRESS_FROM or not rows:
            return
        if self.live:
            spinner = SPINNER[(self.rows // 500) % len(SPINNER)]
            self.stream.write(f"\r{spinner} {self._line()}")
            self.stream.flush()
        elif not self.shown:
            self.stream.write(f"{t(self.language, 'export.progress')}…\n")
            self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """End the line (a terminal) or write the final count (anything else)."""
        if not self.shown:
            return
        self.stream.write(f"\r{self._line()}  \n" if self.live else f"{self._line()}\n")  # over the spinner
        self.stream.flush()
        self.shown = False
