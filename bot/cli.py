"""The `safetybot` command line (typer): run, db upgrade, invite, import …"""

from __future__ import annotations

import asyncio
import csv
import logging
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from bot.cli_cards import import_cards_command
from bot.cli_categories import import_categories_command
from bot.cli_checklists import import_checklists_command
from bot.cli_clear import clear_command
from bot.cli_duties import import_duties_command
from bot.cli_export import export_command
from bot.cli_import import import_app
from bot.cli_locations import import_locations_command, qr_command
from bot.cli_reports import report_show_command
from bot.cli_shifts import import_shifts_command
from bot.settings import settings_or_exit

app = typer.Typer(help="safetybot: work-safety duty bot", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database maintenance", no_args_is_help=True)
app.add_typer(db_app, name="db")

SANDBOX_BOT_USERNAME = "safetybot_sandbox_bot"


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from bot.app import quiet_http_logs

    quiet_http_logs()


@app.command()
def run() -> None:
    """Start the bot: polling with a token, webhook with SAFETYBOT_WEBHOOK_URL, else the local sandbox."""
    settings = settings_or_exit()
    _logging()
    from bot.runner import serve

    asyncio.run(serve(settings))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all database migrations."""
    settings = settings_or_exit()
    from storage.migrate import upgrade

    asyncio.run(upgrade(settings.database_url))
    typer.echo("database is up to date")


@app.command()
def invite(
    employee_nos: Annotated[list[str] | None, typer.Argument(help="employee numbers; none: everyone")] = None,
    unit: Annotated[str | None, typer.Option(help="only people of this unit and the units below it")] = None,
    out: Annotated[Path | None, typer.Option(help="write employee_no,name,code,link to this CSV")] = None,
    days: Annotated[int, typer.Option(min=1, max=90, help="days until the codes expire")] = 7,
    bot_username: Annotated[str | None, typer.Option("--bot", help="bot username for the deep links")] = None,
) -> None:
    """Issue one-time binding codes with deep links (earlier unused codes of those people stop working)."""
    settings = settings_or_exit()
    from bot.invites import InviteError, issue

    username = bot_username or (SANDBOX_BOT_USERNAME if settings.telegram_token is None else None)
    try:
        rows = asyncio.run(
            issue(
                settings,
                employee_nos=employee_nos or [],
                unit=unit,
                ttl=timedelta(days=days),
                now=datetime.now(UTC),
                bot_username=username,
            )
        )
    except InviteError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    header = ["employee_no", "name", "code", "link"]
    if out is not None:
        with out.open("w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
        typer.echo(f"{len(rows)} codes written to {out}", err=True)
    else:
        writer = csv.writer(sys.stdout)
        writer.writerow(header)
        writer.writerows(rows)


@app.command()
def health() -> None:
    """Exit 0 while the running bot wrote its heartbeat in the last two minutes (container health check)."""
    settings = settings_or_exit()
    from jobs.heartbeat import is_fresh

    if not is_fresh(settings.data_dir):
        typer.echo("unhealthy: no recent heartbeat in " + str(settings.data_dir), err=True)
        raise typer.Exit(1)
    typer.echo("healthy")


@app.command()
def calendar(
    year: Annotated[
        int | None, typer.Option(min=1900, max=2200, help="the year [default: this year]")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="database URL [default: SAFETYBOT_DATABASE_URL]")
    ] = None,
) -> None:
    """The official calendar of a year (where it comes from, its holidays and 调休 working days), then the
    reminder cards resolved to send times, and the rules that cannot be resolved yet."""
    settings = settings_or_exit()
    from zoneinfo import ZoneInfo

    from bot.cli_cards import load_card_calendar, org_defaults
    from safety.calendar_report import calendar_lines
    from safety.texts import t

    shown = year or datetime.now(ZoneInfo(settings.timezone)).year
    try:
        work_calendar, cards = asyncio.run(load_card_calendar(database_url or settings.database_url))
    except (SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        typer.echo(t(settings.language, "calendar.database_unreadable", reason=reason), err=True)
        raise typer.Exit(2) from None
    for line in calendar_lines(
        work_calendar, shown, settings.language, cards=cards, defaults=org_defaults(settings)
    ):
        typer.echo(line)


import_app.command("categories")(import_categories_command)
import_app.command("locations")(import_locations_command)
import_app.command("checklists")(import_checklists_command)
import_app.command("cards")(import_cards_command)
import_app.command("shifts")(import_shifts_command)
import_app.command("duties")(import_duties_command)
app.add_typer(import_app, name="import")
app.command("clear")(clear_command)
app.command("export")(export_command)
app.command("qr")(qr_command)
report_app = typer.Typer(help="Reports (hazards, near misses, accidents, violations)", no_args_is_help=True)
report_app.command("show")(report_show_command)
app.add_typer(report_app, name="report")


def main() -> None:
    app()
