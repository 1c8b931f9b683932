"""How often a listed duty is due, and the periods of a month it is judged in.

A frequency is written as Chinese text, `每<period>[至少]<count>次` — `每周1次`, `每月两次`, `每季度一次`,
`每个工作日1次`, `每天` (no count: once) — or in the structured form `{every: week, times: 1}`. English
words are read too (`weekly`, `2 per month`, `1/quarter`). Counts are 1 to MAX_TIMES, in digits or Chinese
numerals (一, 二/两, … 十, 十二, 二十).

Periods of a month (dates are local, in the time zone of the person's unit):
- `day` (每天, 每日): every calendar day of the month;
- `workday` (每个工作日): every working day of the official calendar (holidays and 调休 included);
- `week` (每周): the ISO weeks (Monday to Sunday) that START in the month; a week that starts in the month
  and ends in the next is judged on all its seven days, a week that started in the previous month belongs
  to that month;
- `month` (每月): the month;
- `quarter` (每季度) and `year` (每年): the quarter or year containing the month. It is judged in its last
  month (March, June, September, December; December) over the whole quarter or year; in the months before
  it is shown as in progress with the count so far (from its start to the month's end).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from safety.export.rows import Month

EVERY = ("day", "workday", "week", "month", "quarter", "year")
MAX_TIMES = 99

_CN_PERIODS = {
    "天": "day",
    "日": "day",
    "个工作日": "workday",
    "工作日": "workday",
    "周": "week",
    "星期": "week",
    "个星期": "week",
    "月": "month",
    "个月": "month",
    "季": "quarter",
    "季度": "quarter",
    "个季度": "quarter",
    "年": "year",
}
_CN = re.compile(
    r"^每(?P<period>" + "|".join(sorted(_CN_PERIODS, key=len, reverse=True)) + r")"
    r"(?:至少)?(?P<count>[0-9零一二两三四五六七八九十百千]+)?(?:次)?$"
)
_EN_WORDS = {
    "daily": "day",
    "workdays": "workday",
    "weekly": "week",
    "monthly": "month",
    "quarterly": "quarter",
    "yearly": "year",
    "annually": "year",
}
_EN = re.compile(r"^(?P<count>[0-9]+)\s*(?:x|times|time)?\s*(?:/|per|a|an)\s*(?P<period>[a-z]+)$")
_EN_PERIODS = {period: period for period in EVERY}
_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


class FrequencyError(ValueError):
    """A frequency that cannot be read: `code` is an import problem code, `params` its values."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code, self.params = code, params


@dataclass(frozen=True)
class Frequency:
    every: str  # one of EVERY
    times: int  # at least this many pieces of evidence per period


def count_of(text: str) -> int | None:
    """1 … MAX_TIMES written in digits or Chinese numerals (一, 两, 十, 十二, 二十, 九十九), else None."""
    if text.isascii() and text.isdigit():
        value = int(text)
    elif "十" in text:
        tens, _, ones = text.partition("十")
        if "十" in ones or any(c not in _DIGITS for c in tens + ones) or len(tens) > 1 or len(ones) > 1:
            return None
        value = (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)
    elif len(text) == 1 and text in _DIGITS:
        value = _DIGITS[text]
    else:
        return None
    return value if 1 <= value <= MAX_TIMES else None


def parse_text(text: str) -> Frequency:
    """`每周1次`, `每月两次`, `weekly`, `2 per month` → a Frequency; raises FrequencyError."""
    compact = re.sub(r"\s+", "", text)
    found = _CN.match(compact)
    if found:
        raw = found["count"]
        times = count_of(raw) if raw else 1
        if times is None:
            raise FrequencyError("duty_bad_times", value=raw, max=MAX_TIMES)
        return Frequency(_CN_PERIODS[found["period"]], times)
    lowered = " ".join(text.lower().split())
    if lowered in _EN_WORDS:
        return Frequency(_EN_WORDS[lowered], 1)
    english = _EN.match(lowered)
    if english and english["period"].rstrip("s") in _EN_PERIODS:
        times = count_of(english["count"])
        if times is None:
            raise FrequencyError("duty_bad_times", value=english["count"], max=MAX_TIMES)
        return Frequency(_EN_PERIODS[english["period"].rstrip("s")], times)
    raise FrequencyError("duty_bad_frequency", value=text[:40])


def structured(every: str, times: str | None) -> Frequency:
    """The structured form `{every: week, times: 1}` (times default 1); raises FrequencyError."""
    if every not in EVERY:
        raise FrequencyError("duty_bad_every", value=every[:20], allowed=", ".join(EVERY))
    value = count_of(times) if times is not None else 1
    if value is None:
        raise FrequencyError("duty_bad_times", value=(times or "")[:20], max=MAX_TIMES)
    return Frequency(every, value)


@dataclass(frozen=True)
class Period:
    """One stretch of local dates a duty is judged over. `until`: the last date counted in this month's
    record (before `last` for a quarter or year that runs on: then it is not `judged` yet)."""

    every: str
    first: date
    last: date
    until: date

    @property
    def judged(self) -> bool:
        return self.until == self.last

    def label_params(self) -> dict[str, int | str]:
        """What the period's label (catalog duties.period.<every>) is built from."""
        year, week, _ = self.first.isocalendar()
        return {
            "day": self.first.strftime("%m-%d"),
            "year": self.first.year,
            "month": self.first.month,
            "quarter": (self.first.month - 1) // 3 + 1,
            "week": week,
            "week_year": year,
        }


def periods(every: str, month: Month, is_workday: Callable[[date], bool]) -> list[Period]:
    """The periods of `every` that the month's record judges (see the module's rules)."""
    if every in ("day", "workday"):
        days = [month.first + timedelta(days=n) for n in range(month.days)]
        return [Period(every, d, d, d) for d in days if every == "day" or is_workday(d)]
    if every == "week":
        monday = month.first + timedelta(days=(7 - month.first.weekday()) % 7)
        found = []
        while monday <= month.last:
            found.append(Period(every, monday, monday + timedelta(days=6), monday + timedelta(days=6)))
            monday += timedelta(days=7)
        return found
    if every == "month":
        return [Period(every, month.first, month.last, month.last)]
    if every == "quarter":
        start = date(month.first.year, (month.first.month - 1) // 3 * 3 + 1, 1)
        end = _month_end(date(start.year, start.month + 2, 1))
    elif every == "year":
        start, end = date(month.first.year, 1, 1), date(month.first.year, 12, 31)
    else:
        raise ValueError(f"unknown frequency period {every!r}")
    return [Period(every, start, end, min(end, month.last))]


def _month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)
