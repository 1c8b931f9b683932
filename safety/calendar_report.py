"""What `safetybot calendar --year YYYY` prints, as lines of text in the operator's language.

First the source of the year's official calendar (with a warning when it falls back to Monday–Friday) and
the holidays and 调休 working days of the year; then, given the cards, one line per card occurrence whose
event falls in the year, `YYYY-MM-DD HH:MM  CARD_ID  TITLE  (event YYYY-MM-DD)`, the send time in the card's
time zone (its own, else the org's), sorted by send time; then the rules that cannot be resolved with the
reason (a `holiday:` rule in a year without an official calendar), each also logged as a WARNING.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import chinese_calendar

from safety.calendar import LIBRARY_YEARS, WEEKDAYS, OfficialEntry, WorkCalendar, holiday_display_name
from safety.cards.dates import Unresolved, occurrences
from safety.config import Defaults
from safety.texts import t
from storage.models import Card

logger = logging.getLogger(__name__)


def calendar_lines(
    calendar: WorkCalendar,
    year: int,
    language: str,
    *,
    cards: Sequence[Card] | None = None,
    defaults: Defaults | None = None,
) -> list[str]:
    """The official calendar of `year`: its source, a warning for a fallback year, then every holiday and
    调休 working day with date, weekday and holiday name; then the cards' occurrences (when given)."""
    lines = _official_lines(calendar, year, language)
    if cards is not None:
        lines.extend(card_lines(cards, year, calendar, defaults or Defaults(), language))
    return lines


def _official_lines(calendar: WorkCalendar, year: int, language: str) -> list[str]:
    source = calendar.source(year)
    if source == "fallback":
        first, last = LIBRARY_YEARS.start, LIBRARY_YEARS.stop - 1
        return [
            t(language, "calendar.source_fallback", year=year, first=first, last=last),
            t(language, "calendar.fallback_warning", year=year),
        ]
    if source == "library":
        lines = [t(language, "calendar.source_library", year=year, version=chinese_calendar.__version__)]
    else:
        lines = [t(language, "calendar.source_imported", year=year)]
    lines.append(t(language, "calendar.days_heading"))
    entries = calendar.official_days(year)
    lines.extend(_day_line(entry, language) for entry in entries)
    if not entries:
        lines.append(t(language, "calendar.no_days"))
    return lines


def card_lines(
    cards: Sequence[Card], year: int, calendar: WorkCalendar, defaults: Defaults, language: str
) -> list[str]:
    """The heading, one line per occurrence by send time, then the unresolved rules with their reason."""
    dated: list[tuple[datetime, str, str]] = []  # (send_at, card id, line)
    unresolved: list[tuple[Card, Unresolved]] = []
    for card in cards:
        if not card.active:
            continue
        zone = defaults.zone(card.timezone)
        found = occurrences(card, year, calendar, zone)
        if isinstance(found, Unresolved):
            unresolved.append((card, found))
            continue
        for occurrence in found:
            line = t(
                language,
                "cards_calendar.occurrence",
                send=occurrence.send_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                card=card.id,
                title=card.title,
                event=occurrence.event_date.isoformat(),
            )
            dated.append((occurrence.send_at, card.id, line))
    lines = [t(language, "cards_calendar.heading")]
    lines.extend(line for _, _, line in sorted(dated))
    if not dated and not unresolved:
        lines.append(t(language, "cards_calendar.no_cards"))
    for card, why in unresolved:
        logger.warning(  # the log is English, as every log line: the reason in the English catalog
            "card %s: date rule %r: %s; load it with `safetybot import holidays`",
            card.id,
            why.rule,
            t("en", why.reason, **why.params),
        )
        reason = t(language, why.reason, **why.params)
        lines.append(
            t(
                language,
                "cards_calendar.unresolved",
                card=card.id,
                title=card.title,
                rule=why.rule,
                reason=reason,
            )
        )
    if unresolved:
        lines.append(t(language, "cards_calendar.unresolved_hint"))
    return lines


def _day_line(entry: OfficialEntry, language: str) -> str:
    params = {
        "date": entry.day.isoformat(),
        "weekday": t(language, f"calendar.weekday.{WEEKDAYS[entry.day.weekday()]}"),
    }
    name = holiday_display_name(entry.holiday, language) if entry.holiday else None
    if not entry.is_workday:
        return t(language, "calendar.rest_day", name=name or "", **params)
    if name is None:
        return t(language, "calendar.working_day_unnamed", **params)
    return t(language, "calendar.working_day", name=name, **params)
