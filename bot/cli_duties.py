"""`safetybot import duties FILE.yaml|.xlsx`: the 一岗双责 duty list (责任清单).

Follows the other imports (bot.cli_import): every problem as `FILE:LINE: message` and exit 1 with nothing
stored; the counts (new, updated, deactivated, reactivated, unchanged) and the list's source, exit 0; a
database failure exit 2. Registered by bot.cli beside the other `import` subcommands.
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from bot.cli_import import DatabaseOption, FileArgument, _database_url, _execute, _refuse
from bot.settings import settings_or_exit
from safety.imports.duties_file import DutiesReport, import_duties_file
from safety.imports.results import ImportRejected
from safety.texts import t


def import_duties_command(file: FileArgument, database_url: DatabaseOption = None) -> None:
    """The duty list (一岗双责责任清单): id, role or person, units, title, frequency, evidence. Duties missing
    from the file are deactivated (kept for the months they were in force)."""
    settings = settings_or_exit()
    language = settings.language
    result = _execute(
        _database_url(database_url, settings),
        file,
        lambda s, p, _pr: import_duties_file(s, p, now=datetime.now(UTC)),
        language,
    )
    if isinstance(result, ImportRejected):
        _refuse(file, result, language)
    _done(result, language)


def _done(report: DutiesReport, language: str) -> None:
    typer.echo(t(language, "duties.import_done", **report.counts()))
    if report.source:
        typer.echo(t(language, "duties.import_source", source=report.source))
    else:
        typer.echo(t(language, "duties.import_no_source"))
