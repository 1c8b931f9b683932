"""`safetybot import org|roster FILE`: validate the whole file, then apply it in one transaction.

Mounted by bot.cli as `app.add_typer(import_app, name="import")`. Problems are printed as `FILE:LINE: message`
(`FILE: message` for a problem with the file as a whole) and the exit code is 1; on success the counts are
printed and the exit code is 0. Progress of large files goes to stderr. A database failure during the
import (rolled back) exits 2 with one line.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings, SettingsError, load_settings
from safety.imports import ImportRejected, ImportReport, Progress, import_org_file, import_roster_file
from safety.texts import t
from storage.db import Database
from storage.migrate import upgrade

PROGRESS_MIN_TOTAL = 1000  # smaller files finish before a progress line would help

import_app = typer.Typer(help="Import the organisation file or the roster.", no_args_is_help=True)

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", help="database URL [default: SAFETYBOT_DATABASE_URL]"),
]
FileArgument = Annotated[Path, typer.Argument(help="the file to import", show_default=False)]

Importer = Callable[[AsyncSession, Path, Progress], Awaitable[ImportReport | ImportRejected]]


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def _database_url(option: str | None, settings: Settings) -> str:
    return option or settings.database_url


def _stage(language: str, stage: str) -> str:
    return t(language, f"import_cli.kind_{stage}")


def _progress(language: str) -> Progress:
    started = time.monotonic()

    def report(stage: str, done: int, total: int) -> None:
        if total >= PROGRESS_MIN_TOTAL:
            seconds = f"{time.monotonic() - started:.1f}"
            typer.echo(
                t(
                    language,
                    "import_cli.progress",
                    stage=_stage(language, stage),
                    done=done,
                    total=total,
                    seconds=seconds,
                ),
                err=True,
            )

    return report


async def _run(url: str, path: Path, importer: Importer, language: str) -> ImportReport | ImportRejected:
    await upgrade(url)
    database = Database(url)
    try:
        async with database.session() as session:
            return await importer(session, path, _progress(language))
    finally:
        await database.dispose()


def _execute(url: str, path: Path, importer: Importer, language: str) -> ImportReport | ImportRejected:
    # an unreachable database or a failure during apply (rolled back): one line, not a traceback
    try:
        return asyncio.run(_run(url, path, importer, language))
    except (SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        typer.echo(t(language, "import_cli.database_refused", path=path, reason=reason), err=True)
        raise typer.Exit(2) from None


def _finish(path: Path, result: ImportReport | ImportRejected, language: str) -> None:
    if isinstance(result, ImportRejected):
        for item in result.problems:
            where = f"{path}:{item.line}" if item.line > 0 else f"{path}"
            typer.echo(f"{where}: {item.text(language)}", err=True)
        typer.echo(t(language, "import_cli.problems_found", path=path, count=len(result.problems)), err=True)
        raise typer.Exit(1)
    for kind, counts in result.as_dict().items():
        typer.echo(t(language, "import_cli.counts", kind=t(language, f"import_cli.kind_{kind}"), **counts))
    totals = {
        "created": result.created,
        "updated": result.updated,
        "deactivated": result.deactivated,
        "reactivated": result.reactivated,
        "unchanged": result.unchanged,
    }
    typer.echo(t(language, "import_cli.counts", kind=t(language, "import_cli.kind_total"), **totals))


@import_app.command("org")
def import_org_command(file: FileArgument, database_url: DatabaseOption = None) -> None:
    """Units, people, check-in schedules and escalation policies from an org YAML file."""
    settings = _settings()
    result = _execute(
        _database_url(database_url, settings),
        file,
        lambda s, p, pr: import_org_file(s, p, progress=pr),
        settings.language,
    )
    _finish(file, result, settings.language)


@import_app.command("roster")
def import_roster_command(file: FileArgument, database_url: DatabaseOption = None) -> None:
    """People from a roster (.csv or .xlsx): employee_no,name,phone,unit,roles (roles joined by ';')."""
    settings = _settings()
    result = _execute(
        _database_url(database_url, settings),
        file,
        lambda s, p, pr: import_roster_file(s, p, progress=pr),
        settings.language,
    )
    _finish(file, result, settings.language)
