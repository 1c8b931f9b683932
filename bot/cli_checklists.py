"""`safetybot import checklists FILE.yaml`: inspection checklists by topic, for /inspect.

Like the other imports (bot/cli_import.py): the whole file is validated, problems are printed as
`FILE:LINE: message` with exit code 1 and nothing stored; else it is applied in one transaction and the
counts are printed (a checklist missing from the file is deactivated)."""

from __future__ import annotations

import typer

from bot.cli_import import DatabaseOption, FileArgument, _database_url, _execute, _refuse
from bot.settings import settings_or_exit
from safety.imports.checklists_file import ChecklistsReport, import_checklists_file
from safety.imports.results import ImportRejected
from safety.texts import t


def import_checklists_command(file: FileArgument, database_url: DatabaseOption = None) -> None:
    """Inspection checklists by topic (id, title, items); checklists missing from the file are
    deactivated."""
    settings = settings_or_exit()
    language = settings.language
    result = _execute(
        _database_url(database_url, settings),
        file,
        lambda s, p, _pr: import_checklists_file(s, p),
        language,
    )
    if isinstance(result, ImportRejected):
        _refuse(file, result, language)
    _done(result, language)


def _done(report: ChecklistsReport, language: str) -> None:
    counts = report.counts
    typer.echo(
        t(
            language,
            "import_cli.counts",
            kind=t(language, "inspect.cli_kind_checklists"),
            created=counts.created,
            updated=counts.updated,
            deactivated=counts.deactivated,
            reactivated=counts.reactivated,
            unchanged=counts.unchanged,
        )
    )
    if report.plan.source:
        typer.echo(t(language, "inspect.cli_source", source=report.plan.source))
