"""`safetybot import locations FILE.yaml` and `safetybot qr [--unit UNIT] --out FILE.pdf` (QR posters).

The import follows the other imports (bot.cli_import): every problem as `FILE:LINE: message` and exit 1,
the counts and exit 0, a database failure exit 2. `qr` writes one A4 poster per active location of the
unit and the units below it (all units by default) with the deep link `https://t.me/<bot>?start=loc-<id>`;
the bot's username is `--bot`, else the sandbox's when no token is configured, else Telegram's getMe.
No location: a message and exit 1, no file written.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError
from telegram.error import TelegramError

from bot.cli_import import DatabaseOption, FileArgument, _database_url, _execute, _refuse
from bot.settings import Settings, settings_or_exit
from safety.imports.locations_file import LocationsReport, import_locations_file
from safety.imports.results import ImportRejected
from safety.reports.locations import deep_link
from safety.reports.posters import Poster, PosterProgress, render
from safety.texts import t
from storage import location_queries
from storage import org_queries as oq
from storage.db import Database
from storage.migrate import upgrade

PROGRESS_MIN_PAGES = 20  # fewer pages are written before a progress line would help
PROGRESS_EVERY = 10
_USERNAME = re.compile(r"^[A-Za-z0-9_]{5,32}$")


class _Refused(Exception):
    """A clear one-line reason, exit 1."""


def import_locations_command(file: FileArgument, database_url: DatabaseOption = None) -> None:
    """Site locations (id, name, unit; optional active) for QR posters. Locations missing from the file are
    kept; `active: false` deactivates one."""
    settings = settings_or_exit()
    language = settings.language
    result = _execute(
        _database_url(database_url, settings),
        file,
        lambda s, p, _pr: import_locations_file(s, p),
        language,
    )
    if isinstance(result, ImportRejected):
        _refuse(file, result, language)
    _locations_done(result, language)


def _locations_done(report: LocationsReport, language: str) -> None:
    for kind, counts in report.as_dict().items():
        typer.echo(t(language, "import_cli.counts", kind=t(language, f"location.kind_{kind}"), **counts))
    if report.kept:
        typer.echo(t(language, "location.import_kept", count=report.kept))


def qr_command(
    out: Annotated[Path, typer.Option("--out", help="the PDF to write", show_default=False)],
    unit: Annotated[
        str | None, typer.Option(help="only locations of this unit and the units below it")
    ] = None,
    bot_username: Annotated[str | None, typer.Option("--bot", help="bot username for the deep links")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Printable QR posters, one A4 page per active location: scanning opens /report at that location."""
    settings = settings_or_exit()
    language = settings.language
    try:
        username = _username(settings, bot_username)
        rows = _read_posters(_database_url(database_url, settings), unit, username, language)
    except _Refused as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    except (SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        typer.echo(t(language, "location.cli_database_refused", reason=reason), err=True)
        raise typer.Exit(2) from None
    pdf = render(rows, language=language, progress=_progress(language, len(rows)))
    try:
        out.write_bytes(pdf)
    except OSError as exc:
        typer.echo(t(language, "location.cli_cannot_write", path=out, reason=exc.strerror or exc), err=True)
        raise typer.Exit(2) from None
    typer.echo(t(language, "location.cli_written", count=len(rows), path=out), err=True)


def _username(settings: Settings, given: str | None) -> str:
    language = settings.language
    if given is not None:
        name = given.removeprefix("@")
        if not _USERNAME.match(name):
            raise _Refused(t(language, "location.cli_bad_bot", value=given))
        return name
    if settings.telegram_token is None:
        from bot.cli import SANDBOX_BOT_USERNAME

        return SANDBOX_BOT_USERNAME
    from bot.invites import _bot_username

    try:
        return asyncio.run(_bot_username(settings))
    except (TelegramError, OSError) as exc:
        raise _Refused(t(language, "location.cli_no_bot", reason=str(exc).splitlines()[0])) from None


def _read_posters(url: str, unit: str | None, username: str, language: str) -> list[Poster]:
    return asyncio.run(_posters(url, unit, username, language))


async def _posters(url: str, unit: str | None, username: str, language: str) -> list[Poster]:
    await upgrade(url)
    database = Database(url)
    try:
        async with database.session() as session:
            units = await oq.all_units(session)
            unit_ids = [u.id for u in units]
            if unit is not None:
                unit_ids = await oq.unit_descendants(session, unit_id=unit)
                if not unit_ids:
                    raise _Refused(t(language, "location.cli_unknown_unit", unit=unit))
            locations = await location_queries.active_locations_in_units(session, unit_ids=unit_ids)
    finally:
        await database.dispose()
    if not locations:
        scope = (
            t(language, "location.cli_scope_unit", unit=unit)
            if unit is not None
            else t(language, "location.cli_scope_all")
        )
        raise _Refused(t(language, "location.cli_no_locations", scope=scope))
    names = {u.id: u.name for u in units}
    return [
        Poster(name=loc.name, unit_name=names.get(loc.unit_id, loc.unit_id), link=deep_link(username, loc.id))
        for loc in locations
    ]


def _progress(language: str, total: int) -> PosterProgress | None:
    if total < PROGRESS_MIN_PAGES:
        return None

    def report(done: int, total: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == total:
            typer.echo(t(language, "location.cli_progress", done=done, total=total), err=True)

    return report
