"""`safetybot import cards FILE.yaml` (the reminder-card calendar) and what `safetybot calendar` reads.

The import follows the other imports (bot.cli_import): every problem as `FILE:LINE: message` and exit 1
with nothing stored, else the counts (new, revised, otherwise updated, unchanged; cards missing from the
file are kept) and exit 0; a database failure exits 2. `load_card_calendar` gives `safetybot calendar` the
official calendar and the stored cards in one read.
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from bot.cli_import import DatabaseOption, FileArgument, _database_url, _execute, _refuse
from bot.settings import Settings, settings_or_exit
from safety.calendar import WorkCalendar
from safety.config import Defaults
from safety.imports.cards_file import CardsReport, import_cards_file
from safety.imports.results import ImportRejected
from safety.texts import t
from storage import card_rule_queries
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Card


def import_cards_command(file: FileArgument, database_url: DatabaseOption = None) -> None:
    """Reminder cards (安全生产提示卡): id, title, date rule, send, audience, items, ack; cards missing
    from the file are kept; a changed title, items or quiz makes a new revision."""
    settings = settings_or_exit()
    language = settings.language
    now = datetime.now(UTC)
    result = _execute(
        _database_url(database_url, settings),
        file,
        lambda s, p, _pr: import_cards_file(s, p, now=now),
        language,
    )
    if isinstance(result, ImportRejected):
        _refuse(file, result, language)
    _done(result, language)


def _done(report: CardsReport, language: str) -> None:
    typer.echo(
        t(
            language,
            "cards_calendar.import_done",
            created=report.created,
            revised=report.revised,
            updated=report.updated,
            deactivated=report.deactivated,
            reactivated=report.reactivated,
            unchanged=report.unchanged,
        )
    )
    if report.kept:
        typer.echo(t(language, "cards_calendar.import_kept", count=report.kept))


async def load_card_calendar(url: str) -> tuple[WorkCalendar, list[Card]]:
    """The official calendar (imported years included) and every stored card, for `safetybot calendar`."""
    await upgrade(url)
    database = Database(url)
    try:
        async with database.session() as session:
            return await WorkCalendar.load(session), await card_rule_queries.all_cards(session)
    finally:
        await database.dispose()


def org_defaults(settings: Settings) -> Defaults:
    """The org's defaults as the running bot has them (the zone cards without their own are sent in)."""
    return Defaults(language=settings.language, timezone=settings.timezone)
