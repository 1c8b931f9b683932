"""Card date rules resolved to dates: lunar dates and solar terms against an independent library (borax),
the official calendar's holidays, unresolved years, seasons, malformed rules."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from borax.calendars.lunardate import LunarDate, TermUtils

from safety.calendar import WorkCalendar
from safety.cards.dates import (
    SOLAR_TERMS,
    Occurrence,
    RuleError,
    Unresolved,
    check_rule,
    event_dates,
    occurrences,
)
from storage.models import Card

YEARS = range(2024, 2036)
CAL = WorkCalendar()
SHANGHAI = ZoneInfo("Asia/Shanghai")


def dates(rule: str, year: int, calendar: WorkCalendar = CAL) -> list[date]:
    found = event_dates(rule, year, calendar)
    assert not isinstance(found, Unresolved), found
    return found


@pytest.mark.parametrize("year", YEARS)
def test_lunar_festivals_agree_with_borax(year: int) -> None:
    for month, day in ((1, 1), (5, 5), (8, 15)):
        expected = LunarDate(year, month, day, 0).to_solar_date()
        assert dates(f"lunar:{month:02d}-{day:02d}", year) == [expected], (year, month, day)


@pytest.mark.parametrize("year", YEARS)
def test_every_solar_term_agrees_with_borax(year: int) -> None:
    for name in SOLAR_TERMS:
        assert dates(f"term:{name}", year) == [TermUtils.nth_term_day(year, term_name=name)], (year, name)


def test_stack_table_2026_and_2027_literally() -> None:
    table = {
        2026: ("2026-02-17", "2026-04-05", "2026-06-19", "2026-09-25"),
        2027: ("2027-02-06", "2027-04-05", "2027-06-09", "2027-09-15"),
    }
    for year, (spring, qingming, dragon, autumn) in table.items():
        assert dates("lunar:01-01", year) == [date.fromisoformat(spring)]
        assert dates("term:清明", year) == [date.fromisoformat(qingming)]
        assert dates("lunar:05-05", year) == [date.fromisoformat(dragon)]
        assert dates("lunar:08-15", year) == [date.fromisoformat(autumn)]


def test_a_leap_month_never_doubles_a_card() -> None:
    # 2028 has 闰五月, 2025 闰六月: the ordinary month only
    assert dates("lunar:05-05", 2028) == [date(2028, 5, 28)]
    assert dates("lunar:06-15", 2025) == [date(2025, 7, 9)]
    # a lunar date may fall in a year twice (腊月初一 of lunar 2023 and of 2024 both in 2024) or not at all
    assert dates("lunar:12-01", 2024) == [date(2024, 1, 11), date(2024, 12, 31)]
    assert dates("lunar:12-01", 2025) == []


def test_day_30_of_a_short_month_is_its_last_day() -> None:
    # 除夕: lunar 12-30; the twelfth month of 2025 has 29 days, so 2026's 除夕 is 2026-02-16
    assert dates("lunar:12-30", 2026) == [date(2026, 2, 16)]
    assert dates("lunar:12-30", 2026) == [LunarDate(2025, 12, 29, 0).to_solar_date()]


@pytest.mark.parametrize(
    ("year", "expected"), [(2024, date(2024, 2, 18)), (2025, date(2025, 2, 5)), (2026, date(2026, 2, 24))]
)
def test_spring_restart_is_the_first_working_day_after_the_holiday(year: int, expected: date) -> None:
    assert dates("holiday:春节:first_workday_after", year) == [expected]


def test_holiday_breaks_include_the_weekend_and_shared_breaks() -> None:
    assert dates("holiday:春节:start", 2026) == [date(2026, 2, 15)]
    assert dates("holiday:春节:end", 2026) == [date(2026, 2, 23)]
    assert dates("holiday:端午:start", 2024) == [date(2024, 6, 8)]  # 6-10 (Monday) joined to the weekend
    # 2025: 国庆 and 中秋 share one break 10-01..10-08: one start, not one per library period
    assert dates("holiday:国庆:start", 2025) == [date(2025, 10, 1)]
    assert dates("holiday:中秋:start", 2025) == [date(2025, 10, 1)]
    assert dates("holiday:国庆节:end", 2025) == [date(2025, 10, 8)]
    # 2026-01-04 (Sunday) is a 调休 working day: the first working day after 元旦
    assert dates("holiday:元旦:first_workday_after", 2026) == [date(2026, 1, 4)]


def _rows_2027() -> list[Any]:
    rest = [date(2027, 2, d) for d in range(5, 14)]
    return [SimpleNamespace(day=d, is_workday=False, name="spring_festival") for d in rest] + [
        SimpleNamespace(day=date(2027, 2, 14), is_workday=True, name="spring_festival")
    ]


def test_a_2027_holiday_rule_is_unresolved_until_the_year_is_loaded() -> None:
    calendar = WorkCalendar()
    found = event_dates("holiday:春节:first_workday_after", 2027, calendar)
    assert found == Unresolved(
        "holiday:春节:first_workday_after", 2027, "cards.unresolved_no_calendar", {"year": 2027}
    )
    calendar.refresh(_rows_2027())
    # the 2027 file's 调休 Sunday 02-14 is the first working day after 02-05..02-13
    assert event_dates("holiday:春节:first_workday_after", 2027, calendar) == [date(2027, 2, 14)]
    assert event_dates("holiday:春节:start", 2027, calendar) == [date(2027, 2, 5)]
    # a holiday the loaded year lacks is unresolved too, never guessed
    missing = event_dates("holiday:国庆:start", 2027, calendar)
    assert isinstance(missing, Unresolved) and missing.reason == "cards.unresolved_no_holiday"
    # rules that do not need the official calendar resolve in any year
    assert dates("lunar:01-01", 2031, calendar) == [date(2031, 1, 23)]


def test_fixed_one_off_and_february_29() -> None:
    assert dates("06-01", 2027) == [date(2027, 6, 1)]
    assert dates("2026-03-03", 2026) == [date(2026, 3, 3)]
    assert dates("2026-03-03", 2027) == []
    assert dates("02-29", 2028) == [date(2028, 2, 29)]
    assert dates("02-29", 2027) == [date(2027, 2, 28)]


def test_seasons() -> None:
    heat = dates("07-01..08-31 every P7D", 2026)
    assert heat[0] == date(2026, 7, 1) and heat[-1] == date(2026, 8, 26) and len(heat) == 9
    assert all((b - a).days == 7 for a, b in itertools.pairwise(heat))
    assert dates("06-01..06-30 every P2W", 2026) == [date(2026, 6, 1), date(2026, 6, 15), date(2026, 6, 29)]
    assert dates("06-01..06-01 every P1D", 2026) == [date(2026, 6, 1)]
    # a season through the new year: the part of last winter's season, then this winter's
    assert dates("12-01..01-31 every P1W2D", 2026) == [
        date(2026, 1, 6),
        date(2026, 1, 15),
        date(2026, 1, 24),
        date(2026, 12, 1),
        date(2026, 12, 10),
        date(2026, 12, 19),
        date(2026, 12, 28),
    ]


@pytest.mark.parametrize(
    ("rule", "key"),
    [
        ("", "card_rule_unknown"),
        ("christmas", "card_rule_unknown"),
        ("6-1", "card_rule_unknown"),
        ("13-01", "card_rule_bad_date"),
        ("02-30", "card_rule_bad_date"),
        ("2026-02-29", "card_rule_bad_date"),
        ("lunar:13-01", "card_rule_bad_lunar"),
        ("lunar:01-31", "card_rule_bad_lunar"),
        ("lunar:1-1", "card_rule_bad_lunar"),
        ("term:春天", "card_rule_unknown_term"),
        ("holiday:圣诞:start", "card_rule_unknown_holiday"),
        ("holiday:春节", "card_rule_bad_holiday_point"),
        ("holiday:春节:middle", "card_rule_bad_holiday_point"),
        ("06-01..08-31", "card_rule_bad_season"),
        ("06-01..08-32 every P7D", "card_rule_bad_date"),
        ("06-01..08-31 every P1M", "card_rule_bad_period"),
        ("06-01..08-31 every P0D", "card_rule_bad_period"),
        ("06-01..08-31 every PT1H", "card_rule_bad_period"),
    ],
)
def test_malformed_rules_raise_rule_error(rule: str, key: str) -> None:
    with pytest.raises(RuleError) as caught:
        check_rule(rule)
    assert caught.value.key == f"import_problem.{key}"
    with pytest.raises(RuleError):
        event_dates(rule, 2026, CAL)


def _card(rule: str, *, before: str = "P3D", at: str = "09:00") -> Card:
    return Card(
        id="c",
        title="t",
        date_rule=rule,
        send_before=before,
        send_at=at,
        audience_roles=["manager"],
        items=["x"],
        ack=["read"],
    )


def test_occurrences_send_before_the_event_at_local_time() -> None:
    found = occurrences(_card("lunar:01-01"), 2026, CAL, SHANGHAI)
    assert found == [Occurrence(date(2026, 2, 17), datetime(2026, 2, 14, 1, 0, tzinfo=UTC))]
    # a lead time reaching into the year before still belongs to the event's year
    early = occurrences(_card("01-01", before="P1W", at="17:30"), 2026, CAL, ZoneInfo("Europe/Berlin"))
    assert early == [Occurrence(date(2026, 1, 1), datetime(2025, 12, 25, 16, 30, tzinfo=UTC))]
    # across a daylight-saving change the local time stays 09:00
    berlin = occurrences(_card("03-30", before="P2D"), 2026, CAL, ZoneInfo("Europe/Berlin"))
    assert berlin == [Occurrence(date(2026, 3, 30), datetime(2026, 3, 28, 8, 0, tzinfo=UTC))]
    unresolved = occurrences(_card("holiday:国庆:start"), 2027, CAL, SHANGHAI)
    assert isinstance(unresolved, Unresolved) and unresolved.params == {"year": 2027}
