"""`safetybot import categories FILE.yaml`: report category lists with their effective dates (format in
safety/imports/categories_file.py). Run and reported like the other imports (bot/cli_import.py): problems
with their lines and exit 1, nothing changed; else one line per list (created, updated or unchanged)."""

from __future__ import annotations

import typer

from bot.cli_import import DatabaseOption, FileArgument, _database_url, _execute, _refuse
from bot.settings import settings_or_exit
from safety.imports.categories_file import CategoriesReport, import_categories_file
from safety.imports.results import ImportRejected
from safety.texts import t


def import_categories_command(file: FileArgument, database_url: DatabaseOption = None) -> None:
    """Report category lists (accident, hazard) with the date each applies from; a list imported again
    (same id) replaces its categories."""
    settings = settings_or_exit()
    language = settings.language
    result = _execute(
        _database_url(database_url, settings),
        file,
        lambda s, p, _pr: import_categories_file(s, p),
        language,
    )
    if isinstance(result, ImportRejected):
        _refuse(file, result, language)
    assert isinstance(result, CategoriesReport)
    for spec, outcome in result.outcomes:
        typer.echo(
            t(
                language,
                "report_flow.cli_list",
                id=spec.id,
                kind=spec.kind,
                effective_from=spec.effective_from.isoformat(),
                name=spec.name,
                count=len(spec.categories),
                outcome=t(language, f"report_flow.cli_{outcome}"),
            )
        )
