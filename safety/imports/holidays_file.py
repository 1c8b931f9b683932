"""The official holidays of one year (`safetybot import holidays FILE.yaml`), format in DESIGN.md.

```yaml
year: 2027
holidays:
  - {name: 春节, from: 2027-02-05, to: 2027-02-13}
workdays: [2027-02-14]               # 调休: weekend days that are working days
```
Every problem is reported with its line before anything is stored: dates must be YYYY-MM-DD in the stated
year, `from` ≤ `to`, names one of 元旦, 春节, 清明, 五一 (劳动节), 端午, 中秋, 国庆 (the official names with
节 too), holidays must not overlap, and a working day must be a Saturday or Sunday outside every holiday.
Applying makes the stored rows of that year exactly the file (`storage.calendar_queries.replace_year`):
every holiday day is a rest day named by its holiday id, every listed working day is named by the nearest
holiday (the one it makes up for). Importing the same file again writes nothing but the audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession
from yaml.nodes import Node

from safety.calendar import HOLIDAY_NAMES, LIBRARY_YEARS, holiday_id
from safety.imports.fields import parse_date
from safety.imports.files import Unreadable, read_text
from safety.imports.problems import Problem, sorted_problems
from safety.imports.results import ImportRejected, rejected
from safety.imports.yamlnodes import NodeReader, compose, line_of
from storage import calendar_queries, org_queries
from storage.calendar_queries import YearChange

TOP_KEYS = ("year", "holidays", "workdays")
HOLIDAY_KEYS = ("name", "from", "to")
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_HOLIDAY_DAYS = 15  # the longest official holiday so far is 9 days; more is a typo
SUBJECT_MAX = 128

Day = tuple[date, bool, str | None]  # (day, is_workday, holiday id)


@dataclass(frozen=True)
class _Span:
    holiday: str
    name: str
    start: date
    end: date
    line: int


@dataclass(frozen=True)
class HolidayYear:
    """A validated holidays file."""

    year: int
    holidays: int  # holiday periods
    days: tuple[Day, ...]

    @property
    def rest_days(self) -> int:
        return sum(1 for _, is_workday, _ in self.days if not is_workday)

    @property
    def workdays(self) -> int:
        return sum(1 for _, is_workday, _ in self.days if is_workday)


@dataclass(frozen=True)
class HolidaysReport:
    """The year was stored; `change` says which rows changed. `library_year`: the calendar library covers
    the year too, and the imported days now take precedence."""

    plan: HolidayYear
    change: YearChange
    library_year: bool


def parse_holidays(text: str) -> HolidayYear | tuple[Problem, ...]:
    """A validated year, or every problem found in the file (sorted by line)."""
    root, problems = compose(text)
    if root is None:
        return tuple(problems)
    reader = NodeReader()
    top = reader.mapping(root, "file", TOP_KEYS, required=("year", "holidays"))
    if top is None:
        return sorted_problems(reader.problems)
    year = _year(reader, top["year"]) if "year" in top else None
    spans = _holidays(reader, top["holidays"], year) if "holidays" in top else []
    _check_overlaps(reader, spans)
    workdays = _workdays(reader, top["workdays"], year, spans) if "workdays" in top else []
    if reader.problems or year is None:
        return sorted_problems(reader.problems)
    days: list[Day] = []
    for span in spans:
        days.extend((span.start + timedelta(days=i), False, span.holiday) for i in range(_length(span)))
    days.extend((day, True, _nearest(spans, day)) for day in workdays)
    return HolidayYear(year=year, holidays=len(spans), days=tuple(sorted(days)))


def _length(span: _Span) -> int:
    return (span.end - span.start).days + 1


def _year(reader: NodeReader, node: Node) -> int | None:
    value = reader.text(node, "year")
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or not MIN_YEAR <= int(value) <= MAX_YEAR:
        reader.add(line_of(node), "bad_year", value=value, min=MIN_YEAR, max=MAX_YEAR)
        return None
    return int(value)


def _date(reader: NodeReader, value: str | None, line: int, field: str, year: int | None) -> date | None:
    if value is None:
        return None
    day = parse_date(value)
    if day is None:
        reader.add(line, "bad_date", field=field, value=value)
        return None
    if year is not None and day.year != year:
        reader.add(line, "date_outside_year", field=field, value=value, year=year)
        return None
    return day


def _holidays(reader: NodeReader, node: Node, year: int | None) -> list[_Span]:
    items = reader.sequence(node, "holidays")
    if items is None:
        return []
    if not items:
        reader.add(line_of(node), "empty_list", field="holidays")
    spans: list[_Span] = []
    for item in items:
        keys = reader.mapping(item, "holidays", HOLIDAY_KEYS, required=HOLIDAY_KEYS)
        if keys is None:
            continue
        name = reader.text(keys["name"], "name") if "name" in keys else None
        holiday = holiday_id(name) if name is not None else None
        if name is not None and holiday is None:
            reader.add(line_of(keys["name"]), "unknown_holiday", name=name, allowed=", ".join(HOLIDAY_NAMES))
        start = _field_date(reader, keys, "from", year)
        end = _field_date(reader, keys, "to", year)
        if start is None or end is None:
            continue
        if start > end:
            reader.add(line_of(item), "holiday_range_reversed", start=start, end=end)
            continue
        if (end - start).days + 1 > MAX_HOLIDAY_DAYS:
            reader.add(line_of(item), "holiday_too_long", days=(end - start).days + 1, max=MAX_HOLIDAY_DAYS)
            continue
        if holiday is not None and name is not None:
            spans.append(_Span(holiday, name, start, end, line_of(item)))
    return spans


def _field_date(reader: NodeReader, keys: dict[str, Node], field: str, year: int | None) -> date | None:
    if field not in keys:
        return None
    return _date(reader, reader.text(keys[field], field), line_of(keys[field]), field, year)


def _check_overlaps(reader: NodeReader, spans: list[_Span]) -> None:
    for index, span in enumerate(spans):
        for earlier in spans[:index]:
            if span.start <= earlier.end and earlier.start <= span.end:
                reader.add(
                    span.line, "holidays_overlap", name=span.name, other=earlier.name, other_line=earlier.line
                )
                break


def _workdays(reader: NodeReader, node: Node, year: int | None, spans: list[_Span]) -> list[date]:
    days: dict[date, int] = {}
    for value, line in reader.texts(node, "workdays") or []:
        day = _date(reader, value, line, "workdays", year)
        if day is None:
            continue
        if day in days:
            reader.add(line, "duplicate_workday", value=day, first_line=days[day])
            continue
        days[day] = line
        inside = next((s for s in spans if s.start <= day <= s.end), None)
        if inside is not None:
            reader.add(line, "workday_in_holiday", value=day, name=inside.name, other_line=inside.line)
        elif day.weekday() < 5:
            reader.add(line, "workday_not_weekend", value=day)
    return sorted(days)


def _nearest(spans: list[_Span], day: date) -> str | None:
    """The holiday a 调休 working day makes up for: the nearest one (the earlier one on a tie)."""

    def distance(span: _Span) -> tuple[int, date]:
        gap = (span.start - day).days if day < span.start else (day - span.end).days
        return gap, span.start

    return min(spans, key=distance).holiday if spans else None


async def import_holidays_file(
    session: AsyncSession, path: Path, *, channel: str = "cli", actor_id: int | None = None
) -> HolidaysReport | ImportRejected:
    try:
        text = read_text(path)
    except Unreadable as exc:
        return rejected([exc.problem])
    return await import_holidays(session, text, source=path.name, channel=channel, actor_id=actor_id)


async def import_holidays(
    session: AsyncSession,
    text: str,
    *,
    source: str = "holidays.yaml",
    channel: str = "cli",
    actor_id: int | None = None,
) -> HolidaysReport | ImportRejected:
    """Validate the file, then make the stored days of its year exactly the file's, in the caller's
    transaction; one AuditEntry (`import.holidays`) per applied import."""
    plan = parse_holidays(text)
    if isinstance(plan, tuple):
        return rejected(plan)
    change = await calendar_queries.replace_year(session, year=plan.year, days=plan.days)
    report = HolidaysReport(plan=plan, change=change, library_year=plan.year in LIBRARY_YEARS)
    await org_queries.add_audit_entry(
        session,
        action="import.holidays",
        channel=channel,
        subject=source[:SUBJECT_MAX],
        detail={
            "file": source,
            "year": plan.year,
            "rest_days": plan.rest_days,
            "workdays": plan.workdays,
            "created": change.created,
            "updated": change.updated,
            "deleted": change.deleted,
            "unchanged": change.unchanged,
        },
        actor_id=actor_id,
    )
    return report
