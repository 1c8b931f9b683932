"""`safetybot report show NUMBER`: a report's whole history, in the default language (SAFETYBOT_LANGUAGE).

An admin tool: it shows everything — the reporter even of an anonymous report, every event with who and
when (the unit's local time), notes and details, the photos with their stored paths and file ids, the
rectification (responsible person, deadline, measures, issuer, the 整改通知单's path), and the unit's found /
fixed / re-checked counts. An unknown number prints one line on stderr and exits 1; a database that cannot
be read exits 2. Registered by bot.cli as `report show`.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from bot.cli_import import DatabaseOption
from bot.settings import settings_or_exit
from safety.config import Defaults
from safety.reports.history import count_lines, counts, history, history_lines
from safety.texts import t
from safety.views import Line, render_line
from storage.db import Database
from storage.migrate import upgrade


def report_show_command(
    number: Annotated[
        str, typer.Argument(metavar="NUMBER", help="the report's number, e.g. YH-20261127-0003")
    ],
    database_url: DatabaseOption = None,
) -> None:
    """A report's whole history: every state, who, when, notes, photos."""
    settings = settings_or_exit()
    language = settings.language
    defaults = Defaults(language=language, timezone=settings.timezone)
    try:
        lines = asyncio.run(_lines(database_url or settings.database_url, number, defaults))
    except (SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        typer.echo(t(language, "incidents.database_refused", reason=reason), err=True)
        raise typer.Exit(2) from None
    if lines is None:
        typer.echo(t(language, "incidents.cli_not_found", number=number.strip()[:30]), err=True)
        raise typer.Exit(1)
    for line in lines:
        typer.echo(render_line(line, language))


async def _lines(url: str, number: str, defaults: Defaults) -> list[Line] | None:
    await upgrade(url)
    database = Database(url)
    try:
        async with database.session() as session:
            found = await history(session, number, defaults=defaults)
            if found is None:
                return None
            unit_counts = await counts(session, [found.report.unit_id])
    finally:
        await database.dispose()
    return [*history_lines(found, show_reporter=True, admin=True), "", *count_lines(unit_counts)]
