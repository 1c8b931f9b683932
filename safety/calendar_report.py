"""What `safetybot calendar --year YYYY` prints, as lines of text in the operator's language.

For now: the source of the year's official calendar (with a warning when it falls back to Monday–Friday)
and the holidays and 调休 working days of the year. The reminder-card calendar will be added to these lines.
"""

from __future__ import annotations

import chinese_calendar

from safety.calendar import LIBRARY_YEARS, WEEKDAYS, OfficialEntry, WorkCalendar, holiday_display_name
from safety.texts import t


def calendar_lines(calendar: WorkCalendar, year: int, language: str) -> list[str]:
    """The official calendar of `year`: its source, a warning for a fallback year, then every holiday and
    调休 working day with date, weekday and holiday name."""
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
