"""`safetybot import shifts FILE.yaml|.csv`: the holiday duty roster (值班表).

Follows the other imports (bot.cli_import): every problem as `FILE:LINE: message` and exit 1; the counts
and exit 0 (and how many confirmed shifts the file no longer lists were kept); a database failure exit 2.
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from bot.cli_import import DatabaseOption, FileArgument, _database_url, _execute, _refuse
from bot.settings import settings_or_exit
from safety.imports.results import ImportRejected
from safety.imports.shifts_file import import_shifts_file
from safety.shifts.replace import ShiftsReport
from safety.texts import t


def import_shifts_command(file: FileArgument, database_url: DatabaseOption = None) -> None:
    """The duty roster: date, from, to, employee_no, role (带班领导|值班员), unit. It replaces the roster of
    each unit on each date it names; confirmed shifts are kept."""
    from bot.app import defaults_from

    settings = settings_or_exit()
    language = settings.language
    defaults = defaults_from(settings)
    result = _execute(
        _database_url(database_url, settings),
        file,
        lambda s, p, _pr: import_shifts_file(s, p, now=datetime.now(UTC), defaults=defaults),
        language,
    )
    if isinstance(result, ImportRejected):
        _refuse(file, result, language)
    _done(result, language)


def _done(report: ShiftsReport, language: str) -> None:
    counts = report.as_detail()
    typer.echo(t(language, "shifts.import_done", **counts))
    if report.kept:
        typer.echo(t(language, "shifts.import_kept", count=report.kept))
