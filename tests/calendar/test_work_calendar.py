"""WorkCalendar without a database: the library years, imported years, the fallback and schedule rules."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from safety.calendar import HolidayPeriod, OfficialEntry, WorkCalendar, holiday_id


@dataclass(frozen=True)
class Row:
    day: date
    is_workday: bool
    name: str | None


IMPORTED_2027 = [
    *(Row(date(2027, 2, d), False, "spring_festival") for d in range(5, 14)),
    Row(date(2027, 2, 14), True, "spring_festival"),
]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 2, 14), True),  # Saturday, 调休 working day
        (date(2026, 2, 28), True),  # Saturday, 调休 working day
        (date(2026, 2, 16), False),  # Monday in the Spring Festival holiday
        (date(2026, 4, 6), False),  # 清明
        (date(2026, 6, 19), False),  # 端午
        (date(2026, 9, 25), False),  # 中秋
        (date(2026, 9, 20), True),  # Sunday, 调休 working day
        (date(2026, 10, 10), True),  # Saturday, 调休 working day
        (date(2026, 3, 14), False),  # an ordinary Saturday
        (date(2026, 3, 16), True),  # an ordinary Monday
    ],
)
def test_2026_facts(day: date, expected: bool) -> None:
    assert WorkCalendar().is_workday(day) is expected


def test_library_year_source() -> None:
    calendar = WorkCalendar()
    assert calendar.source(2026) == "library"
    assert calendar.is_covered(2026) and calendar.is_covered(2004)
    assert calendar.source(2003) == "fallback"


@given(st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 12, 31)))
def test_library_years_agree_with_chinese_calendar(day: date) -> None:
    assert WorkCalendar().is_workday(day) == chinese_calendar.is_workday(day)


def test_unknown_year_falls_back_to_monday_to_friday_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    calendar = WorkCalendar()
    assert calendar.source(2027) == "fallback"
    assert not calendar.is_covered(2027)
    with caplog.at_level(logging.WARNING, logger="safety.calendar"):
        assert calendar.is_workday(date(2027, 2, 8)) is True  # a Monday
        assert calendar.is_workday(date(2027, 2, 13)) is False  # a Saturday
        assert calendar.is_workday(date(2027, 2, 14)) is False  # a Sunday
        assert calendar.runs_on(date(2027, 10, 1), "workdays") is True  # a Friday: no holiday known
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2027" in warnings[0].getMessage() and "Monday-Friday" in warnings[0].getMessage()
    with caplog.at_level(logging.WARNING, logger="safety.calendar"):
        calendar.is_workday(date(2028, 1, 3))
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2
    assert calendar.official_days(2027) == []
    assert calendar.holiday_name(date(2027, 2, 8)) is None


def test_imported_year() -> None:
    calendar = WorkCalendar(IMPORTED_2027)
    assert calendar.source(2027) == "imported" and calendar.is_covered(2027)
    assert calendar.imported_years == frozenset({2027})
    assert calendar.is_workday(date(2027, 2, 8)) is False  # a Monday inside the holiday
    assert calendar.is_workday(date(2027, 2, 14)) is True  # a Sunday, 调休
    assert calendar.is_workday(date(2027, 2, 15)) is True  # an ordinary Monday
    assert calendar.is_workday(date(2027, 2, 20)) is False  # an ordinary Saturday
    assert calendar.holiday_name(date(2027, 2, 8)) == "春节"
    assert calendar.holiday_name(date(2027, 2, 8), "en") == "Spring Festival"
    assert calendar.holiday_name(date(2027, 2, 14)) is None  # a working day is no holiday
    assert calendar.holiday_periods(2027) == [
        HolidayPeriod("spring_festival", date(2027, 2, 5), date(2027, 2, 13))
    ]
    assert calendar.official_days(2027)[-1] == OfficialEntry(date(2027, 2, 14), True, "spring_festival")


def test_imported_year_wins_over_the_library_and_refresh_replaces() -> None:
    calendar = WorkCalendar([Row(date(2026, 3, 16), False, "national_day")])
    assert calendar.source(2026) == "imported"
    assert calendar.is_workday(date(2026, 3, 16)) is False
    assert calendar.is_workday(date(2026, 2, 16)) is True  # the import replaces the whole library year
    calendar.refresh(IMPORTED_2027)
    assert calendar.source(2026) == "library" and calendar.source(2027) == "imported"
    assert calendar.is_workday(date(2026, 3, 16)) is True


def test_runs_on() -> None:
    calendar = WorkCalendar()
    holiday, make_up_sunday, saturday = date(2026, 10, 1), date(2026, 9, 20), date(2026, 3, 14)
    assert calendar.runs_on(holiday, "everyday") and calendar.runs_on(saturday, "everyday")
    assert not calendar.runs_on(holiday, "workdays")
    assert calendar.runs_on(make_up_sunday, "workdays")
    assert not calendar.runs_on(saturday, "workdays")
    assert calendar.runs_on(saturday, ["sat", "sun"])
    assert not calendar.runs_on(date(2026, 3, 16), ["sat", "sun"])
    # a weekday list is those weekdays, whatever the official calendar says
    assert calendar.runs_on(holiday, ["mon", "tue", "wed", "thu", "fri"])
    assert not calendar.runs_on(make_up_sunday, ["mon", "tue", "wed", "thu", "fri", "sat"])
    with pytest.raises(ValueError):
        calendar.runs_on(holiday, "weekends")
    with pytest.raises(ValueError):
        calendar.runs_on(holiday, ["monday"])


def test_datetimes_count_as_their_date() -> None:
    assert WorkCalendar().is_workday(datetime(2026, 2, 14, 7, 0)) is True


def test_holiday_names_from_the_library() -> None:
    calendar = WorkCalendar()
    assert calendar.holiday_name(date(2026, 10, 1)) == "国庆节"
    assert calendar.holiday_name(date(2026, 10, 1), "en") == "National Day"
    assert calendar.holiday_name(date(2026, 4, 6)) == "清明节"
    assert calendar.holiday_name(date(2026, 2, 14)) is None
    assert calendar.holiday_name(date(2026, 3, 16)) is None
    assert calendar.holiday_name(date(2015, 9, 3)) == "抗战胜利70周年纪念日"
    assert HolidayPeriod("spring_festival", date(2026, 2, 15), date(2026, 2, 23)) in calendar.holiday_periods(
        2026
    )
    entries = calendar.official_days(2026)
    assert OfficialEntry(date(2026, 9, 20), True, "national_day") in entries
    assert all(e.day.year == 2026 for e in entries)


def test_operator_names() -> None:
    assert holiday_id("五一") == holiday_id("劳动节") == "labour_day"
    assert holiday_id("国庆节") == "national_day"
    assert holiday_id("圣诞节") is None


def test_display_keys_exist_in_both_catalogs() -> None:
    from safety.calendar import HOLIDAY_IDS, HOLIDAY_NAMES, WEEKDAYS
    from safety.imports.fields import WEEKDAYS as ORG_FILE_WEEKDAYS
    from safety.texts import catalog

    assert WEEKDAYS == ORG_FILE_WEEKDAYS
    ids = set(HOLIDAY_IDS) | set(HOLIDAY_NAMES.values()) | {h.name for h in chinese_calendar.Holiday}
    for language in ("zh-CN", "en"):
        keys = catalog(language)
        assert sorted(i for i in ids if f"calendar.holiday.{i}" not in keys) == []
        assert sorted(d for d in WEEKDAYS if f"calendar.weekday.{d}" not in keys) == []
