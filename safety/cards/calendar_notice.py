"""The December notice: next year's official calendar is missing while cards depend on it.

The State Council publishes the holiday notice for a year around November of the year before, and the
calendar library ships it later still. `holiday:` card rules (春节复工, 国庆 …) stay unresolved until the
year is loaded with `safetybot import holidays`, so in December (the org's zone) every active admin is told
once per year which rules wait. Once is a CalendarNotice row `calendar-missing:<year>` inserted in the
same transaction as the outbox messages (keyed per admin): with two processes exactly one inserts it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.calendar import WorkCalendar
from safety.cards.dates import Unresolved, event_dates
from safety.config import Defaults
from safety.outbox import Envelope, enqueue
from safety.views import Text, View
from storage import card_rule_queries
from storage.models import Card

logger = logging.getLogger(__name__)
NOTICE_MONTH = 12
KIND = "calendar_notice"


def notice_key(year: int) -> str:
    return f"calendar-missing:{year}"


def waiting_cards(cards: list[Card], year: int, calendar: WorkCalendar) -> list[Card]:
    """The active cards whose `holiday:` rule cannot be resolved for `year`."""
    return [
        card
        for card in cards
        if card.active
        and card.date_rule.strip().startswith("holiday:")
        and isinstance(event_dates(card.date_rule, year, calendar), Unresolved)
    ]


async def notify_missing_year(
    session: AsyncSession, *, now: datetime, defaults: Defaults, calendar: WorkCalendar
) -> int:
    """In December, when next year is not covered and some active card has a `holiday:` rule, tell every
    admin once (per year). Returns the messages written (0 on every later run)."""
    today = defaults.today(now, None)
    year = today.year + 1
    if today.month != NOTICE_MONTH or calendar.is_covered(year):
        return 0
    if await card_rule_queries.notice_recorded(session, key=notice_key(year)):
        return 0  # every later minute of December: one primary-key read
    waiting = waiting_cards(await card_rule_queries.active_cards(session), year, calendar)
    if not waiting:
        return 0
    admins = await card_rule_queries.active_admins(session)
    if not admins:
        logger.warning("the official calendar of %s is missing and there is no active admin to tell", year)
        return 0
    if not await card_rule_queries.record_notice(session, key=notice_key(year), at=now):
        return 0  # told already (this process or another)
    rules = [Text("cards_calendar.notice_rule", card=c.id, title=c.title, rule=c.date_rule) for c in waiting]
    view = View(
        (
            Text("cards_calendar.notice_missing", year=year),
            *rules,
            Text("cards_calendar.notice_action", year=year),
        )
    )
    envelopes = [
        Envelope(key=f"{notice_key(year)}:to:{admin.id}", kind=KIND, view=view, person_id=admin.id)
        for admin in admins
    ]
    logger.warning(
        "the official calendar of %s is missing; %d card rule(s) unresolved; told %d admin(s)",
        year,
        len(waiting),
        len(envelopes),
    )
    return await enqueue(session, envelopes, now=now, default_channel=defaults.channel)
