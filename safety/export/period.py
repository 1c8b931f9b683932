"""The month an export covers and the errors a request can meet, apart from the rest of the export so that
the sheet interface (safety.export.sheet) and the rows (safety.export.rows) can both use them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class ExportError(ValueError):
    """A request that cannot be exported: `key` is the catalog text, `params` its values."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key, self.params = key, params


@dataclass(frozen=True)
class Month:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def parse_month(text: str) -> Month:
    """`YYYY-MM` → the month's first and last day; anything else raises ExportError."""
    found = _MONTH.match(text.strip())
    if not found or not 1 <= int(found[2]) <= 12 or int(found[1]) < 2000:
        raise ExportError("export.bad_month", month=text.strip()[:20])
    first = date(int(found[1]), int(found[2]), 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return Month(first, following - timedelta(days=1))


def rate(part: int, whole: int) -> float | None:
    """part / whole rounded to four places; None when there is nothing to count."""
    return round(part / whole, 4) if whole else None
