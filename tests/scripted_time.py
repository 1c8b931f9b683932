"""What the scripted months of the tests share (tests/export/month.py, tests/duties/month.py,
tests/record/script.py): Shanghai wall-clock moments of 2026 and a work calendar where every day is a
working day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def shanghai(day: int, hhmm: str, month: int = 11) -> datetime:
    """A Shanghai wall-clock moment in 2026 as an aware UTC datetime."""
    hours, minutes = (int(x) for x in hhmm.split(":"))
    return datetime(2026, month, day, hours, minutes, tzinfo=UTC) - timedelta(hours=8)


class EveryDay:
    def runs_on(self, day: date, rule: str | list[str]) -> bool:
        return True
