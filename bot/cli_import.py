"""`safetybot import org|roster|holidays|questions FILE`: validate the whole file, then apply it in one
transaction.

Mounted by bot.cli as `app.add_typer(import_app, name="import")`. Problems are printed as `FILE:LINE: message`
(`FILE: message` for a problem with the file as a whole, such as a corrupt file), at most the first
MAX_KEPT (100) and then one line counting the others, and the exit code is 1; on success the counts are
printed and the exit code is 0. Progress of large files goes to stderr. A database failure during the
import (rolled back) exits 2 with one line.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings, settings_or_exit
from safety.clearance import QuizRules
from safety.imports import (
    ImportRejected,
    ImportReport,
    Progress,
    import_org_file,
    import_roster_file,
)
from safety.imports.holidays_file import HolidaysReport, import_holidays_file
from safety.imports.questions_model import BankReport
from safety.imports.questions_service import import_questions_file
from safety.texts import t
from storage.db import Database
from storage.migrate import upgrade

PROGRESS_MIN_TOTAL = 1000  # smaller files finish before a progress line would help

import_app = typer.Typer(
    help="Import the organisation file, the roster, the question bank or an official holiday year.",
    no_args_is_help=True,
)

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", help="database URL [default: SAFETYBOT_DATABASE_URL]"),
]
FileArgument = Annotated[Path, typer.Argument(help="the file to import", show_default=False)]

R = TypeVar("R")
Importer = Callable[[AsyncSession, Path, Progress], Awaitable[R | ImportRejected]]


def _database_url(option: str | None, settings: Settings) -> str:
    return option or settings.database_url


def quiz_rules(settings: Settings) -> QuizRules:
    """The quiz rules as the running bot has them (clearance days, zone): imports that record a cleared_on
    date and `safetybot clear` apply the same ones."""
    from bot.app import quiz_rules_from

    return quiz_rules_from(settings)


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


async def _run(url: str, path: Path, importer: Importer[R], language: str) -> R | ImportRejected:
    await upgrade(url)
    database = Database(url)
    try:
        async with database.session() as session:
            return await importer(session, path, _progress(language))
    finally:
        await database.dispose()


def _execute(url: str, path: Path, importer: Importer[R], language: str) -> R | ImportRejected:
    # an unreachable database or a failure during apply (rolled back): one line, not a traceback
    try:
        return asyncio.run(_run(url, path, importer, language))
    except (SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        typer.echo(t(language, "import_cli.database_refused", path=path, reason=reason), err=True)
        raise typer.Exit(2) from None


def _refuse(path: Path, result: ImportRejected, language: str) -> NoReturn:
    for item in result.problems:
        where = f"{path}:{item.line}" if item.line > 0 else f"{path}"
        typer.echo(f"{where}: {item.text(language)}", err=True)
    if result.omitted:
        typer.echo(t(language, "import_cli.more_problems", count=f"{result.omitted:,}"), err=True)
    typer.echo(t(language, "import_cli.problems_found", path=path, count=f"{result.total:,}"), err=True)
    raise typer.Exit(1)


def _finish(path: Path, result: ImportReport | ImportRejected, language: str) -> None:
    if isinstance(result, ImportRejected):
        _refuse(path, result, language)
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
    if result.clearances is not None:
        typer.echo(t(language, "import_cli.clearances", **asdict(result.clearances)))


@import_app.command("org")
def import_org_command(file: FileArgument, database_url: DatabaseOption = None) -> None:
    """Units, people, check-in schedules and escalation policies from an org YAML file."""
    settings = settings_or_exit()
    rules, now = quiz_rules(settings), datetime.now(UTC)
    result = _execute(
        _database_url(database_url, settings),
        file,
        lambda s, p, pr: import_org_file(s, p, progress=pr, rules=rules, now=now),
        settings.language,
    )
    _finish(file, result, settings.language)


@import_app.command("roster")
def import_roster_command(file: FileArgument, database_url: DatabaseOption = None) -> None:
    """People from a roster (.csv or .xlsx): employee_no,name,phone,unit,roles (roles joined by ';'), and
    optionally cleared_on (YYYY-MM-DD: the ten-prohibitions exam passed outside the bot)."""
    settings = settings_or_exit()
    rules, now = quiz_rules(settings), datetime.now(UTC)
    result = _execute(
        _database_url(database_url, settings),
        file,
        lambda s, p, pr: import_roster_file(s, p, progress=pr, rules=rules, now=now),
        settings.language,
    )
    _finish(file, result, settings.language)


@import_app.command("holidays")
def import_holidays_command(file: FileArgument, database_url: DatabaseOption = None) -> None:
    """An official holiday year (holidays and 调休 working days) the calendar library lacks; replaces
    that year's imported days."""
    settings = settings_or_exit()
    language = settings.language
    result = _execute(
        _database_url(database_url, settings),
        file,
        lambda s, p, _pr: import_holidays_file(s, p),
        language,
    )
    if isinstance(result, ImportRejected):
        _refuse(file, result, language)
    _holidays_done(result, language)


def _holidays_done(report: HolidaysReport, language: str) -> None:
    plan, change = report.plan, report.change
    typer.echo(
        t(
            language,
            "calendar.import_done",
            year=plan.year,
            holidays=plan.holidays,
            rest_days=plan.rest_days,
            workdays=plan.workdays,
            created=change.created,
            updated=change.updated,
            deleted=change.deleted,
            unchanged=change.unchanged,
        )
    )
    if report.library_year:
        typer.echo(t(language, "calendar.import_overrides_library", year=plan.year))


@import_app.command("questions")
def import_questions_command(file: FileArgument, database_url: DatabaseOption = None) -> None:
    """The question bank (.yaml/.yml or .xlsx: source, prohibitions and questions; .csv: questions for the
    loaded prohibitions). Questions and prohibitions missing from a full bank are deactivated."""
    settings = settings_or_exit()
    language = settings.language
    result = _execute(
        _database_url(database_url, settings),
        file,
        lambda s, p, _pr: import_questions_file(s, p, progress=_bank_progress(language)),
        language,
    )
    if isinstance(result, ImportRejected):
        _refuse(file, result, language)
    _questions_done(result, language)


def _bank_progress(language: str) -> Progress:
    started = time.monotonic()

    def report(stage: str, done: int, total: int) -> None:
        if total >= PROGRESS_MIN_TOTAL:
            stage_text = t(language, f"bank.kind_{stage}")
            seconds = f"{time.monotonic() - started:.1f}"
            progress = t(
                language, "import_cli.progress", stage=stage_text, done=done, total=total, seconds=seconds
            )
            typer.echo(progress, err=True)

    return report


def _questions_done(report: BankReport, language: str) -> None:
    for kind, counts in report.as_dict().items():
        typer.echo(t(language, "import_cli.counts", kind=t(language, f"bank.kind_{kind}"), **counts))
    typer.echo(t(language, "bank.cli_source", source=report.source))
    if report.is_sample:
        typer.echo(t(language, "bank.cli_sample"))
