"""Frequencies as people write them (每周1次, 每月两次, weekly, {every: week, times: 1}) and the periods of a
month each is judged in: weeks that start in the month, a quarter judged in its last month, working days
by the official calendar."""

from __future__ import annotations

from datetime import date

import pytest

from safety.calendar import WorkCalendar
from safety.duties.frequency import Frequency, FrequencyError, count_of, parse_text, periods, structured
from safety.export.rows import parse_month


@pytest.mark.parametrize(
    ("text", "every", "times"),
    [
        ("每周1次", "week", 1),
        ("每周一次", "week", 1),
        ("每月两次", "month", 2),
        ("每月至少1次", "month", 1),
        ("每季度1次", "quarter", 1),
        ("每季一次", "quarter", 1),
        ("每年 1 次", "year", 1),
        ("每天", "day", 1),
        ("每日3次", "day", 3),
        ("每个工作日1次", "workday", 1),
        ("每星期二次", "week", 2),
        ("每月十二次", "month", 12),
        ("每月二十次", "month", 20),
        ("weekly", "week", 1),
        ("2 per month", "month", 2),
        ("1/quarter", "quarter", 1),
        ("3 times a week", "week", 3),
    ],
)
def test_written_frequencies_are_read(text: str, every: str, times: int) -> None:
    assert parse_text(text) == Frequency(every, times)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("每周0次", "duty_bad_times"),
        ("每月一百次", "duty_bad_times"),
        ("每周", None),  # valid: once a week
        ("经常", "duty_bad_frequency"),
        ("每两周1次", "duty_bad_frequency"),
        ("0 per week", "duty_bad_times"),
        ("1 per fortnight", "duty_bad_frequency"),
    ],
)
def test_unreadable_frequencies_say_why(text: str, code: str | None) -> None:
    if code is None:
        assert parse_text(text) == Frequency("week", 1)
        return
    with pytest.raises(FrequencyError) as caught:
        parse_text(text)
    assert caught.value.code == code


def test_the_structured_form_and_its_errors() -> None:
    assert structured("week", None) == Frequency("week", 1)
    assert structured("quarter", "2") == Frequency("quarter", 2)
    assert structured("month", "两") == Frequency("month", 2)
    for every, times, code in (("fortnight", None, "duty_bad_every"), ("week", "0", "duty_bad_times")):
        with pytest.raises(FrequencyError) as caught:
            structured(every, times)
        assert caught.value.code == code
    assert [count_of(x) for x in ("1", "十", "十一", "九十九", "一十", "百", "三三")] == [
        1,
        10,
        11,
        99,
        10,
        None,
        None,
    ]


def test_weeks_are_the_iso_weeks_that_start_in_the_month() -> None:
    november = parse_month("2026-11")  # 11-01 is a Sunday: its week started in October
    weeks = periods("week", november, lambda d: True)
    assert [(p.first, p.last) for p in weeks] == [
        (date(2026, 11, 2), date(2026, 11, 8)),
        (date(2026, 11, 9), date(2026, 11, 15)),
        (date(2026, 11, 16), date(2026, 11, 22)),
        (date(2026, 11, 23), date(2026, 11, 29)),
        (date(2026, 11, 30), date(2026, 12, 6)),  # judged on all seven days, into December
    ]
    assert all(p.judged for p in weeks)
    assert [p.label_params()["week"] for p in weeks] == [45, 46, 47, 48, 49]
    december = periods("week", parse_month("2026-12"), lambda d: True)
    assert december[0].first == date(2026, 12, 7)  # the week of 11-30 belongs to November


def test_a_quarter_is_judged_in_its_last_month_and_in_progress_before() -> None:
    (november,) = periods("quarter", parse_month("2026-11"), lambda d: True)
    assert (november.first, november.last, november.until) == (
        date(2026, 10, 1),
        date(2026, 12, 31),
        date(2026, 11, 30),
    )
    assert not november.judged
    (december,) = periods("quarter", parse_month("2026-12"), lambda d: True)
    assert december.judged and december.until == date(2026, 12, 31)
    (year,) = periods("year", parse_month("2026-06"), lambda d: True)
    assert (year.first, year.until, year.judged) == (date(2026, 1, 1), date(2026, 6, 30), False)
    (month,) = periods("month", parse_month("2026-02"), lambda d: True)
    assert (month.first, month.last) == (date(2026, 2, 1), date(2026, 2, 28))


def test_days_and_working_days_follow_the_official_calendar() -> None:
    october = parse_month("2026-10")
    assert len(periods("day", october, lambda d: True)) == 31
    workdays = periods("workday", october, WorkCalendar().is_workday)
    days = [p.first for p in workdays]
    assert date(2026, 10, 1) not in days  # 国庆
    assert date(2026, 10, 9) in days
    assert len(days) < 23
