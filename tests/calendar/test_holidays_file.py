"""Validation of the holidays file, without a database: every problem with its line."""

from __future__ import annotations

from datetime import date

import pytest

from safety.imports.holidays_file import HolidayYear, parse_holidays
from tests.calendar.helpers import EXAMPLE_TEXT


def _codes(text: str) -> list[tuple[int, str]]:
    result = parse_holidays(text)
    assert isinstance(result, tuple), f"expected problems, got {result}"
    return [(p.line, p.code) for p in result]


def test_example_file() -> None:
    plan = parse_holidays(EXAMPLE_TEXT)
    assert isinstance(plan, HolidayYear)
    assert plan.year == 2027 and plan.holidays == 7
    days = {d: (w, n) for d, w, n in plan.days}
    assert days[date(2027, 2, 8)] == (False, "spring_festival")
    assert days[date(2027, 2, 14)] == (True, "spring_festival")
    assert days[date(2027, 9, 26)] == (True, "national_day")  # nearer to 国庆 than to 中秋
    assert plan.rest_days == len([d for d in days.values() if not d[0]])
    assert all(d.year == 2027 for d in days)


def test_aliases_and_single_workday_scalar() -> None:
    plan = parse_holidays(
        "year: 2027\nholidays:\n  - {name: 劳动节, from: 2027-05-01, to: 2027-05-05}\nworkdays: 2027-05-08\n"
    )
    assert isinstance(plan, HolidayYear)
    assert (date(2027, 5, 8), True, "labour_day") in plan.days
    assert plan.workdays == 1 and plan.rest_days == 5


def test_every_problem_has_its_line() -> None:
    text = (
        "year: 2027\n"  # 1
        "holidays:\n"  # 2
        "  - {name: 春节, from: 2027-02-05, to: 2027-02-13}\n"  # 3
        "  - {name: 圣诞, from: 2027-12-25, to: 2027-12-25}\n"  # 4 unknown name
        "  - {name: 元旦, from: 2026-01-01, to: 2027-01-01}\n"  # 5 outside the year
        "  - {name: 清明, from: 2027-04-05, to: 2027-04-03}\n"  # 6 reversed
        "  - {name: 五一, from: 2027-05-01, to: 2027-5-5}\n"  # 7 bad date
        "  - {name: 国庆, from: 2027-02-10, to: 2027-02-13}\n"  # 8 overlaps line 3
        "  - {name: 中秋, from: 2027-09-01, to: 2027-09-30}\n"  # 9 too long
        "workdays:\n"  # 10
        "  - 2027-02-14\n"  # 11 fine
        "  - 2027-02-14\n"  # 12 duplicate
        "  - 2027-02-06\n"  # 13 inside the holiday
        "  - 2027-02-15\n"  # 14 a Monday
        "  - 2027-02-30\n"  # 15 no such date
        "  - 2028-01-08\n"  # 16 outside the year
    )
    assert _codes(text) == [
        (4, "unknown_holiday"),
        (5, "date_outside_year"),
        (6, "holiday_range_reversed"),
        (7, "bad_date"),
        (8, "holidays_overlap"),
        (9, "holiday_too_long"),
        (12, "duplicate_workday"),
        (13, "workday_in_holiday"),
        (14, "workday_not_weekend"),
        (15, "bad_date"),
        (16, "date_outside_year"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [(1, "empty_file")]),
        ("year: 2027\n", [(1, "missing_field")]),
        ("year: 2027\nholidays: []\n", [(2, "empty_list")]),
        ("year: 27\nholidays:\n  - {name: 春节, from: 2027-02-05, to: 2027-02-13}\n", [(1, "bad_year")]),
        (
            "year: 2027\nholiday:\n  - {name: 春节, from: 2027-02-05, to: 2027-02-13}\n",
            [(1, "missing_field"), (2, "unknown_key")],
        ),
        ("year: 2027\nholidays:\n  - {name: 春节, from: 2027-02-05}\n", [(3, "missing_field")]),
        ("year: 2027\nholidays: [\n", [(2, "yaml_syntax")]),
    ],
)
def test_file_shape_problems(text: str, expected: list[tuple[int, str]]) -> None:
    assert _codes(text) == expected


def test_messages_in_both_languages() -> None:
    result = parse_holidays(
        "year: 2027\nholidays:\n  - {name: 春节, from: 2027-02-05, to: 2027-02-13}\nworkdays: [2027-02-08]\n"
    )
    assert isinstance(result, tuple) and len(result) == 1
    assert result[0].text("en") == "working day 2027-02-08 falls inside the holiday '春节' on line 3"
    assert result[0].text("zh-CN") == "调休上班日 2027-02-08 落在第 3 行的假期 '春节' 之内"
