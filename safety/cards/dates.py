"""Card date rules (DESIGN.md "Reminder cards") resolved to the dates of a year.

Rules, as written in the cards file:
- `MM-DD`: every year (`02-29` falls on 02-28 in other years);
- `YYYY-MM-DD`: once;
- `lunar:MM-DD`: a Chinese lunar date (lunar_python). A leap month never doubles a card: only the ordinary
  month counts (2028 has a 闰五月; 端午 `lunar:05-05` is 2028-05-28 only). Day 30 in a month of 29 days
  falls on the month's last day (day 29), so `lunar:12-30` (除夕) is New Year's Eve every year. A lunar
  date of the lunar year before may fall in January, so a year can have a lunar date 0, 1 or 2 times;
- `term:清明`: one of the 24 solar terms by Chinese name (lunar_python's JieQi table);
- `holiday:NAME:start|end|first_workday_after`: from the official calendar (safety.calendar.WorkCalendar),
  NAME one of 元旦, 春节, 清明, 五一, 端午, 中秋, 国庆 (or their long names). The holiday is the whole break:
  the run of consecutive rest days around the holiday's days (weekends joined to it, and 国庆 and 中秋 when
  they share one break), so `first_workday_after` is the first official working day after it, a 调休
  weekend working day included. A year the calendar does not cover gives `Unresolved`, never a guess;
- `MM-DD..MM-DD every P7D`: a season: its first day, then every period (days or weeks) while not after the
  last day; a season whose last day is before its first runs into the next year (`12-01..02-28`).

Everything here is pure: no clock, no database. `event_dates` and `occurrences` list the dates that fall in
the year asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from lunar_python import Lunar, LunarMonth

from safety.calendar import HOLIDAY_NAMES, HolidayPeriod, WorkCalendar, holiday_id
from storage.models import Card

HOLIDAY_POINTS = ("start", "end", "first_workday_after")
SOLAR_TERMS: tuple[str, ...] = tuple(Lunar.JIE_QI)
NO_CALENDAR = "cards.unresolved_no_calendar"
NO_HOLIDAY = "cards.unresolved_no_holiday"
_PREFIX = "import_problem."

_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
_ONE_OFF = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_SEASON = re.compile(r"^(\d{2}-\d{2})\s*\.\.\s*(\d{2}-\d{2})\s+every\s+(\S+)$")
_PERIOD = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?$")
_DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")
MAX_SEASON_DAYS = 366


@dataclass(frozen=True)
class Occurrence:
    event_date: date  # the date the rule falls on (the event)
    send_at: datetime  # aware UTC: event_date - card.send_before, at card.send_at local time


@dataclass(frozen=True)
class Unresolved:
    rule: str
    year: int
    reason: str  # text key, e.g. "cards.unresolved_no_calendar"
    params: dict[str, object] = field(default_factory=dict)  # e.g. {"year": 2027}


class RuleError(ValueError):
    """A malformed rule. `key` is the catalog key of the message (`import_problem.card_rule_*`), `code`
    the importer's problem code, `params` its parameters."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(f"{key}: {params}")
        self.key = key
        self.params: dict[str, Any] = params

    @property
    def code(self) -> str:
        return self.key.removeprefix(_PREFIX)


@dataclass(frozen=True)
class _Fixed:
    month: int
    day: int


@dataclass(frozen=True)
class _OneOff:
    day: date


@dataclass(frozen=True)
class _LunarDay:
    month: int
    day: int


@dataclass(frozen=True)
class _Term:
    name: str


@dataclass(frozen=True)
class _Holiday:
    name: str
    holiday: str
    point: str


@dataclass(frozen=True)
class _Season:
    first: _Fixed
    last: _Fixed
    every: timedelta


_Rule = _Fixed | _OneOff | _LunarDay | _Term | _Holiday | _Season


def check_rule(text: str) -> None:
    """Raise RuleError when `text` is not a rule this module resolves."""
    _parse(text)


@lru_cache(maxsize=4096)
def _parse(text: str) -> _Rule:
    rule = text.strip()
    if rule.startswith("lunar:"):
        return _lunar(rule)
    if rule.startswith("term:"):
        name = rule.removeprefix("term:").strip()
        if name not in SOLAR_TERMS:
            raise RuleError(
                _PREFIX + "card_rule_unknown_term", rule=rule, name=name, allowed=" ".join(SOLAR_TERMS)
            )
        return _Term(name)
    if rule.startswith("holiday:"):
        return _holiday(rule)
    if ".." in rule:
        return _season(rule)
    if _ONE_OFF.match(rule):
        try:
            return _OneOff(date.fromisoformat(rule))
        except ValueError:
            raise RuleError(_PREFIX + "card_rule_bad_date", rule=rule, value=rule) from None
    if _MONTH_DAY.match(rule):
        return _month_day(rule, rule)
    raise RuleError(_PREFIX + "card_rule_unknown", rule=rule)


def _month_day(value: str, rule: str) -> _Fixed:
    match = _MONTH_DAY.match(value)
    if match is None:
        raise RuleError(_PREFIX + "card_rule_bad_date", rule=rule, value=value)
    month, day = int(match.group(1)), int(match.group(2))
    try:
        date(2024, month, day)  # a leap year: 02-29 is a date
    except ValueError:
        raise RuleError(_PREFIX + "card_rule_bad_date", rule=rule, value=value) from None
    return _Fixed(month, day)


def _lunar(rule: str) -> _LunarDay:
    match = _MONTH_DAY.match(rule.removeprefix("lunar:").strip())
    if match is None or not (1 <= int(match.group(1)) <= 12 and 1 <= int(match.group(2)) <= 30):
        raise RuleError(_PREFIX + "card_rule_bad_lunar", rule=rule)
    return _LunarDay(int(match.group(1)), int(match.group(2)))


def _holiday(rule: str) -> _Holiday:
    parts = rule.split(":")
    name = parts[1].strip() if len(parts) > 1 else ""
    key = holiday_id(name)
    if key is None:
        allowed = " ".join(dict.fromkeys(n for n in HOLIDAY_NAMES if not n.endswith("节") or n == "春节"))
        raise RuleError(_PREFIX + "card_rule_unknown_holiday", rule=rule, name=name, allowed=allowed)
    point = parts[2].strip() if len(parts) == 3 else ""
    if point not in HOLIDAY_POINTS:
        raise RuleError(
            _PREFIX + "card_rule_bad_holiday_point", rule=rule, allowed=" | ".join(HOLIDAY_POINTS)
        )
    return _Holiday(name, key, point)


def _season(rule: str) -> _Season:
    match = _SEASON.match(rule)
    if match is None:
        raise RuleError(_PREFIX + "card_rule_bad_season", rule=rule)
    first, last = _month_day(match.group(1), rule), _month_day(match.group(2), rule)
    period = _PERIOD.match(match.group(3))
    every = (
        timedelta(weeks=int(period.group(1) or 0), days=int(period.group(2) or 0))
        if period is not None and (period.group(1) or period.group(2))
        else timedelta(0)
    )
    if every <= timedelta(0):
        raise RuleError(_PREFIX + "card_rule_bad_period", rule=rule, value=match.group(3))
    return _Season(first, last, every)


def event_dates(rule: str, year: int, calendar: WorkCalendar) -> list[date] | Unresolved:
    """The dates in `year` the rule falls on, in order; a holiday rule of a year the official calendar
    does not cover is Unresolved. A malformed rule raises RuleError."""
    parsed = _parse(rule)
    if isinstance(parsed, _Fixed):
        return [_on(year, parsed)]
    if isinstance(parsed, _OneOff):
        return [parsed.day] if parsed.day.year == year else []
    if isinstance(parsed, _LunarDay):
        return _lunar_dates(parsed, year)
    if isinstance(parsed, _Term):
        return [_solar_terms(year)[parsed.name]]
    if isinstance(parsed, _Season):
        return _season_dates(parsed, year)
    return _holiday_dates(rule.strip(), parsed, year, calendar)


def _on(year: int, fixed: _Fixed) -> date:
    if fixed.month == 2 and fixed.day == 29 and not _leap(year):
        return date(year, 2, 28)
    return date(year, fixed.month, fixed.day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _lunar_dates(rule: _LunarDay, year: int) -> list[date]:
    found = []
    for lunar_year in (year - 1, year):
        day = _lunar_to_solar(lunar_year, rule.month, rule.day)
        if day.year == year:
            found.append(day)
    return found


@lru_cache(maxsize=4096)
def _lunar_to_solar(lunar_year: int, month: int, day: int) -> date:
    """The solar date of an ordinary (never the leap) lunar month's day; lunar_python takes milliseconds."""
    days = LunarMonth.fromYm(lunar_year, month).getDayCount()  # a positive month: never the leap one
    solar = Lunar.fromYmd(lunar_year, month, min(day, days)).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


@lru_cache(maxsize=256)
def _solar_terms(year: int) -> dict[str, date]:
    """The 24 solar terms of a Gregorian year by Chinese name (a lunar year's table spans two years)."""
    found: dict[str, date] = {}
    for lunar_year in (year, year + 1):
        for name, solar in Lunar.fromYmd(lunar_year, 1, 1).getJieQiTable().items():
            day = date(solar.getYear(), solar.getMonth(), solar.getDay())
            if day.year == year and name in SOLAR_TERMS:
                found.setdefault(name, day)
    if len(found) != len(SOLAR_TERMS):  # a table changed shape in a new library version
        raise RuntimeError(f"solar terms of {year}: found {sorted(found)}")
    return found


def _season_dates(rule: _Season, year: int) -> list[date]:
    found = []
    for start_year in (year - 1, year):
        first = _on(start_year, rule.first)
        last = _on(start_year, rule.last)
        if last < first:
            last = _on(start_year + 1, rule.last)
        day = first
        while day <= last:
            if day.year == year:
                found.append(day)
            day += rule.every
    return found


def _holiday_dates(rule: str, parsed: _Holiday, year: int, calendar: WorkCalendar) -> list[date] | Unresolved:
    if not calendar.is_covered(year):
        return Unresolved(rule, year, NO_CALENDAR, {"year": year})
    if not any(p.holiday == parsed.holiday for p in calendar.holiday_periods(year)):
        return Unresolved(rule, year, NO_HOLIDAY, {"year": year, "name": parsed.name})
    found: set[date] = set()
    for around in (year - 1, year, year + 1):  # 元旦's break may begin in the December before
        if not calendar.is_covered(around):
            continue
        for period in calendar.holiday_periods(around):
            if period.holiday != parsed.holiday:
                continue
            span = _break(period, calendar)
            if isinstance(span, int):
                if around == year:
                    return Unresolved(rule, year, NO_CALENDAR, {"year": span})
                continue  # a neighbour year's holiday reaching a year nobody covers: not this year's
            start, end = span
            event = {"start": start, "end": end, "first_workday_after": end + timedelta(days=1)}[parsed.point]
            if event.year == year:
                found.add(event)
    return sorted(found)


def _break(period: HolidayPeriod, calendar: WorkCalendar) -> tuple[date, date] | int:
    """The whole break around a holiday's days (joined weekends and holidays), or the first year it runs
    into that the calendar does not cover."""
    start, end = period.start, period.end
    while True:
        before = start - timedelta(days=1)
        if not calendar.is_covered(before.year):
            return before.year
        if calendar.is_workday(before):
            break
        start = before
    while True:
        after = end + timedelta(days=1)
        if not calendar.is_covered(after.year):
            return after.year
        if calendar.is_workday(after):
            return start, end
        end = after


def send_before(text: str) -> timedelta:
    """A card's lead time: an ISO duration in weeks, days, hours and minutes (P3D, P1W, PT2H)."""
    match = _DURATION.match(text.strip())
    if match is None or text.strip() in ("P", "PT") or text.strip().endswith("T"):
        raise RuleError(_PREFIX + "card_bad_before", value=text)
    weeks, days, hours, minutes = (int(g or 0) for g in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)


def send_moment(event_date: date, *, before: str, at: str, zone: ZoneInfo) -> datetime:
    """When a card of the event goes: `before` ahead of the event day at `at` local time, in UTC."""
    hours, minutes = (int(part) for part in at.split(":"))
    local = datetime.combine(event_date, time(hours, minutes), tzinfo=zone) - send_before(before)
    return local.astimezone(UTC)  # aware arithmetic is wall-clock: 09:00 local whatever the offset


def occurrences(
    card: Card, year: int, calendar: WorkCalendar, zone: ZoneInfo
) -> list[Occurrence] | Unresolved:
    """The card's occurrences whose EVENT date is in `year`, with their send time (`zone`: the card's)."""
    found = event_dates(card.date_rule, year, calendar)
    if isinstance(found, Unresolved):
        return found
    return [
        Occurrence(day, send_moment(day, before=card.send_before, at=card.send_at, zone=zone))
        for day in found
    ]
