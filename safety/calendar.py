"""The Chinese official work calendar: which days are working days, with 调休 weekend working days.

Three sources, per year, in this order:
- `imported`: a year loaded with `safetybot import holidays` (rows of `official_days`); it wins over the
  library, so a wrong or missing library year can be corrected;
- `library`: `chinese_calendar` (chinesecalendar 1.11.0 covers 2004–2026);
- `fallback`: any other year is treated as Monday–Friday working days, and says so: a WARNING is logged
  once per year per calendar and `source(year)` is `"fallback"`.

A `WorkCalendar` holds the imported rows in memory: `is_workday` and friends are pure and never touch the
database. Build it with `await WorkCalendar.load(session)` and call `await calendar.reload(session)` (or
`calendar.refresh(rows)`) after an import.

Holidays are named by a stable id (`spring_festival`, …, the member names of `chinese_calendar.Holiday`);
`holiday_name(day, language)` gives the display name from the catalogs (`calendar.holiday.<id>`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, Protocol

import chinese_calendar
from chinese_calendar import constants as library_data
from sqlmodel.ext.asyncio.session import AsyncSession

from safety.texts import DEFAULT_LANGUAGE, catalog, t
from storage import calendar_queries

logger = logging.getLogger(__name__)

Source = Literal["library", "imported", "fallback"]
DaysRule = str | Sequence[str]  # "workdays" | "everyday" | ["mon", "tue", ...]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_KEYWORDS = ("workdays", "everyday")

# the holiday ids, in calendar order (the member names of chinese_calendar.Holiday)
HOLIDAY_IDS = (
    "new_years_day",
    "spring_festival",
    "tomb_sweeping_day",
    "labour_day",
    "dragon_boat_festival",
    "mid_autumn_festival",
    "national_day",
)
# the names an operator writes (holidays file; `holiday:NAME` card rules): short names, official names
HOLIDAY_NAMES: dict[str, str] = {
    "元旦": "new_years_day",
    "春节": "spring_festival",
    "清明": "tomb_sweeping_day",
    "清明节": "tomb_sweeping_day",
    "五一": "labour_day",
    "劳动节": "labour_day",
    "端午": "dragon_boat_festival",
    "端午节": "dragon_boat_festival",
    "中秋": "mid_autumn_festival",
    "中秋节": "mid_autumn_festival",
    "国庆": "national_day",
    "国庆节": "national_day",
}
_LIBRARY_IDS = {h.value: h.name for h in chinese_calendar.Holiday}  # English detail → id
LIBRARY_YEARS = range(min(library_data.holidays).year, max(library_data.holidays).year + 1)


class DayRow(Protocol):
    """An imported day: `storage.models.OfficialDay` or anything shaped like it."""

    @property
    def day(self) -> date: ...

    @property
    def is_workday(self) -> bool: ...

    @property
    def name(self) -> str | None: ...


@dataclass(frozen=True)
class OfficialEntry:
    """A day the official calendar names: a holiday (rest) or a 调休 working day (`holiday` = the holiday
    it makes up for, when known)."""

    day: date
    is_workday: bool
    holiday: str | None


@dataclass(frozen=True)
class HolidayPeriod:
    """One holiday of a year: consecutive rest days with the same holiday id."""

    holiday: str
    start: date
    end: date


def holiday_id(name: str) -> str | None:
    """The id for an operator-written name (春节, 国庆节, …), or None."""
    return HOLIDAY_NAMES.get(name.strip())


def holiday_display_name(holiday: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The catalog name of a holiday id; an id the catalogs lack (a future library entry) as it is."""
    key = f"calendar.holiday.{holiday}"
    return t(language, key) if key in catalog("en") else holiday


def _as_date(day: date) -> date:
    return day.date() if isinstance(day, datetime) else day


def _library_entries(year: int) -> list[OfficialEntry]:
    entries = [
        OfficialEntry(d, False, _LIBRARY_IDS.get(name, name))
        for d, name in library_data.holidays.items()
        if d.year == year
    ]
    entries += [
        OfficialEntry(d, True, _LIBRARY_IDS.get(name, name))
        for d, name in library_data.workdays.items()
        if d.year == year
    ]
    return sorted(entries, key=lambda e: e.day)


class WorkCalendar:
    """Working days by the official calendar; see the module docstring for the sources."""

    def __init__(self, days: Iterable[DayRow] = ()) -> None:
        self._imported: dict[date, OfficialEntry] = {}
        self._years: frozenset[int] = frozenset()
        self._warned: set[int] = set()
        self.refresh(days)

    @classmethod
    async def load(cls, session: AsyncSession) -> WorkCalendar:
        """A calendar with every imported year of the database."""
        return cls(await calendar_queries.official_days(session))

    async def reload(self, session: AsyncSession) -> None:
        """Re-read the imported years (after `safetybot import holidays`)."""
        self.refresh(await calendar_queries.official_days(session))

    def refresh(self, days: Iterable[DayRow]) -> None:
        """Replace the imported days with `days` (all imported years at once)."""
        imported = {row.day: OfficialEntry(row.day, row.is_workday, row.name) for row in days}
        self._imported = imported
        self._years = frozenset(d.year for d in imported)

    @property
    def imported_years(self) -> frozenset[int]:
        return self._years

    def source(self, year: int) -> Source:
        if year in self._years:
            return "imported"
        if year in LIBRARY_YEARS:
            return "library"
        return "fallback"

    def is_covered(self, year: int) -> bool:
        """True when the year's official holidays are known (imported or in the library)."""
        return self.source(year) != "fallback"

    def is_workday(self, day: date) -> bool:
        """An official working day: Monday–Friday unless a holiday, and 调休 weekend working days."""
        day = _as_date(day)
        source = self.source(day.year)
        if source == "imported":
            entry = self._imported.get(day)
            return entry.is_workday if entry is not None else day.weekday() < 5
        if source == "library":
            return bool(chinese_calendar.is_workday(day))
        self._warn_fallback(day.year)
        return day.weekday() < 5

    def runs_on(self, day: date, days_rule: DaysRule) -> bool:
        """Whether a team schedule rule (`checkin.days`) has the team working on `day`: `workdays` follows
        the official calendar, `everyday` is every day, a list of weekday names is those weekdays only."""
        day = _as_date(day)
        if isinstance(days_rule, str):
            if days_rule == "workdays":
                return self.is_workday(day)
            if days_rule == "everyday":
                return True
            raise ValueError(f"unknown days rule {days_rule!r}")
        unknown = [d for d in days_rule if d not in WEEKDAYS]
        if unknown:
            raise ValueError(f"unknown weekday(s) {unknown!r}")
        return WEEKDAYS[day.weekday()] in days_rule

    def official_days(self, year: int) -> list[OfficialEntry]:
        """The holidays and 调休 working days of a year in date order (empty for a fallback year)."""
        source = self.source(year)
        if source == "imported":
            return sorted((e for e in self._imported.values() if e.day.year == year), key=lambda e: e.day)
        if source == "library":
            return _library_entries(year)
        return []

    def holiday_periods(self, year: int) -> list[HolidayPeriod]:
        """The holidays of a year as date ranges, in date order (for `holiday:NAME:start|end` rules)."""
        periods: list[HolidayPeriod] = []
        for entry in self.official_days(year):
            if entry.is_workday or entry.holiday is None:
                continue
            last = periods[-1] if periods else None
            if last and last.holiday == entry.holiday and last.end + timedelta(days=1) == entry.day:
                periods[-1] = HolidayPeriod(last.holiday, last.start, entry.day)
            else:
                periods.append(HolidayPeriod(entry.holiday, entry.day, entry.day))
        return periods

    def holiday_key(self, day: date) -> str | None:
        """The id of the official holiday on `day` (a rest day), else None (also on 调休 working days)."""
        day = _as_date(day)
        source = self.source(day.year)
        if source == "imported":
            entry = self._imported.get(day)
            return entry.holiday if entry is not None and not entry.is_workday else None
        if source == "library":
            on_holiday, detail = chinese_calendar.get_holiday_detail(day)
            return _LIBRARY_IDS.get(detail, detail) if on_holiday and detail else None
        return None

    def holiday_name(self, day: date, language: str = DEFAULT_LANGUAGE) -> str | None:
        """The display name of the holiday on `day` ('National Day' → 国庆节 in zh-CN), else None."""
        key = self.holiday_key(day)
        return holiday_display_name(key, language) if key is not None else None

    def _warn_fallback(self, year: int) -> None:
        if year not in self._warned:
            self._warned.add(year)
            logger.warning(
                "official holidays of %s are unknown (calendar library covers %s-%s, none imported): "
                "treating Monday-Friday as working days; import the State Council notice with "
                "`safetybot import holidays FILE.yaml`",
                year,
                LIBRARY_YEARS.start,
                LIBRARY_YEARS.stop - 1,
            )
