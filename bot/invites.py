"""Issuing binding codes from the command line: who, and the deep link for each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from telegram import Bot

from bot.settings import Settings
from safety import onboarding
from storage import org_queries as oq
from storage.db import Database
from storage.migrate import upgrade


class InviteError(Exception):
    """Unknown employee numbers or unit: nothing was issued."""


async def _bot_username(settings: Settings) -> str:
    assert settings.telegram_token is not None
    bot = Bot(settings.telegram_token.get_secret_value(), base_url=settings.telegram_base_url)
    async with bot:
        return bot.username


async def issue(
    settings: Settings,
    *,
    employee_nos: Sequence[str],
    unit: str | None,
    ttl: timedelta,
    now: datetime,
    bot_username: str | None,
) -> list[list[str]]:
    """Rows of employee_no, name, code, link for the chosen active people (all active people by default)."""
    username = bot_username or await _bot_username(settings)
    await upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            if employee_nos:
                found = await oq.people_by_employee_no(session, employee_nos=employee_nos)
                people = [
                    found[no] for no in dict.fromkeys(employee_nos) if no in found
                ]  # in the order given
                unknown = sorted(set(employee_nos) - {p.employee_no for p in people})
                if unknown:
                    raise InviteError(f"unknown employee numbers: {', '.join(unknown)}")
            else:
                if unit is None:
                    people = await oq.all_people(session)
                else:
                    units = await oq.unit_descendants(session, unit_id=unit)
                    if not units:
                        raise InviteError(f"unknown unit: {unit}")
                    people = await oq.people_in_units(session, unit_ids=units)
            people = [p for p in people if p.active]
            if unit and employee_nos:
                allowed = set(await oq.unit_descendants(session, unit_id=unit))
                people = [p for p in people if p.unit_id in allowed]
            issued = await onboarding.issue_codes(session, people=people, now=now, ttl=ttl)
    finally:
        await db.dispose()
    return [
        [c.person.employee_no, c.person.name, c.code, f"https://t.me/{username}?start={c.code}"]
        for c in issued
    ]
