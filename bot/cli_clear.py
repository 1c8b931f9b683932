"""`safetybot clear EMPLOYEE_NO ... --on YYYY-MM-DD [--note TEXT]`: record a ten-prohibitions exam passed
outside the bot (a paper exam, another system), with the effect of a passed quiz (safety.prior_clearance).

All or nothing: a date that is not a date or lies in the future, a note with control characters or over
NOTE_MAX characters, an unknown or inactive employee number, a pass that has already lapsed or that a
later violation superseded: every problem is printed (stderr), nothing is recorded, exit code 1. Otherwise
one line per person (stdout): cleared until when, or already recorded (repeating the command changes
nothing). A database failure exits 2 with one line. Registered by bot.cli as the command `clear`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Annotated, NoReturn

import typer
from sqlalchemy.exc import SQLAlchemyError

from bot.cli_import import DatabaseOption, quiz_rules
from bot.settings import settings_or_exit
from safety.clearance import QuizRules
from safety.imports.fields import check_past_date, check_visible
from safety.imports.problems import Problem, problem
from safety.prior_clearance import Named, Outcome, clear_named
from safety.texts import t
from storage.db import Database
from storage.migrate import upgrade

NOTE_MAX = 500


def clear_command(
    employee_nos: Annotated[
        list[str], typer.Argument(metavar="EMPLOYEE_NO", help="employee numbers of the people who passed")
    ],
    on: Annotated[
        str, typer.Option("--on", metavar="YYYY-MM-DD", help="the day of the exam (not in the future)")
    ],
    note: Annotated[
        str | None, typer.Option(metavar="TEXT", help="e.g. where the exam was held; kept in the audit log")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Record a ten-prohibitions exam passed outside the bot: the people are cleared for duty as by a
    passed quiz (until the day + SAFETYBOT_CLEARANCE_DAYS), and the audit log says so."""
    settings = settings_or_exit()
    language = settings.language
    rules, now = quiz_rules(settings), datetime.now(UTC)
    found: list[Problem] = []
    day = check_past_date(on, "--on", 0, found, today=rules.defaults.today(now, None))
    if note is not None:
        note = note.strip()
        if len(note) > NOTE_MAX:
            found.append(problem(0, "too_long", field="--note", max=NOTE_MAX))
        else:
            check_visible(note, "--note", 0, found, free_text=True)
    if found or day is None:
        _refuse([item.text(language) for item in found], language)
    try:
        named = asyncio.run(
            _clear(database_url or settings.database_url, employee_nos, day, note or None, now, rules)
        )
    except (SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        typer.echo(t(language, "clear.database_refused", reason=reason), err=True)
        raise typer.Exit(2) from None
    if any(n.refusal for n in named):
        _refuse([_line(n, day, language) for n in named if n.refusal], language)
    for item in named:
        typer.echo(_line(item, day, language))


async def _clear(
    url: str, employee_nos: list[str], day: date, note: str | None, now: datetime, rules: QuizRules
) -> list[Named]:
    await upgrade(url)
    database = Database(url)
    try:
        async with database.session() as session:
            return await clear_named(session, employee_nos, on=day, now=now, rules=rules, note=note)
    finally:
        await database.dispose()


def _refuse(lines: list[str], language: str) -> NoReturn:
    for text in lines:
        typer.echo(text, err=True)
    typer.echo(t(language, "clear.refused", count=len(lines)), err=True)
    raise typer.Exit(1)


def _line(item: Named, day: date, language: str) -> str:
    name = item.person.name if item.person is not None else ""
    fields = {"employee_no": item.employee_no, "name": name, "on": day.isoformat()}
    assessment = item.assessment
    if item.refusal is not None:
        if assessment is not None:
            fields["until"] = str(assessment.until)
            fields["suspended"] = str(assessment.suspended)
        return t(language, f"clear.{item.refusal}", **fields)
    assert assessment is not None
    if assessment.outcome is Outcome.UNCHANGED:
        return t(language, "clear.unchanged", **fields)
    if assessment.until is None:
        return t(language, "clear.done", **fields)
    return t(language, "clear.done_until", **fields, until=assessment.until.isoformat())
