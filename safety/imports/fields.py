"""Validators for the values the org file and the roster share. Each returns the normalised value, or None
after appending a Problem to `problems`."""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import TypeAdapter, ValidationError

from safety.imports.problems import ProblemSink, problem
from safety.roles import ROLES
from safety.textcheck import control_characters, invisible_or_control, plain_spaces

UNIT_ID_MAX = 64
UNIT_NAME_MAX = 200
EMPLOYEE_NO_MAX = 32
PERSON_NAME_MAX = 100
TIMEZONE_MAX = 64

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_KEYWORDS = ("workdays", "everyday")

_ID = re.compile(r"^\S+$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_PHONE = re.compile(r"^\+?[0-9]+$")
_TIME = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
# days, weeks, hours, minutes, seconds only: months and years have no fixed length
_DURATION = re.compile(r"^P(?=\d|T\d)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
_TIMEDELTA: TypeAdapter[timedelta] = TypeAdapter(timedelta)


def check_visible(
    value: str,
    field: str,
    line: int,
    problems: ProblemSink,
    *,
    free_text: bool = False,
    multiline: bool = False,
) -> str | None:
    """The value, or None (a problem recorded) if it has invisible or control characters; `free_text`:
    control characters only (safety.textcheck); `multiline`: line breaks and tabs allowed."""
    check = control_characters if free_text else invisible_or_control
    hidden = check(value, multiline=multiline)
    if hidden:
        problems.append(problem(line, "hidden_characters", field=field, codes=", ".join(hidden)))
        return None
    return value


def check_id(value: str, field: str, max_len: int, line: int, problems: ProblemSink) -> str | None:
    if check_visible(value, field, line, problems) is None:
        return None
    if len(value) > max_len:
        problems.append(problem(line, "too_long", field=field, max=max_len))
        return None
    if not _ID.match(value):
        problems.append(problem(line, "bad_id", field=field, value=value))
        return None
    return value


def check_name(value: str, field: str, max_len: int, line: int, problems: ProblemSink) -> str | None:
    """A name: odd spaces read as spaces, stripped; invisible and control characters refused."""
    value = plain_spaces(value).strip()
    if check_visible(value, field, line, problems) is None:
        return None
    if not value:
        problems.append(problem(line, "missing_field", field=field))
        return None
    if len(value) > max_len:
        problems.append(problem(line, "too_long", field=field, max=max_len))
        return None
    return value


def mask_phone(value: str) -> str:
    """Phone numbers are personal data: problems show them masked (138****0001); the line finds the row."""
    if len(value) >= 8:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return "*" * max(len(value) - 2, 0) + value[-2:]


def check_phone(value: str, line: int, problems: ProblemSink) -> str | None:
    value = value.strip()
    if check_visible(value, "phone", line, problems) is None:
        return None
    if not (_PHONE.match(value) and 5 <= len(value) <= 20):
        problems.append(problem(line, "bad_phone", value=mask_phone(value)))
        return None
    return value


def check_roles(values: list[tuple[str, int]], line: int, problems: ProblemSink) -> tuple[str, ...] | None:
    """Known role keys, de-duplicated in the order given; at least one is required."""
    if not values:
        problems.append(problem(line, "missing_field", field="roles"))
        return None
    roles: list[str] = []
    ok = True
    for role, role_line in values:
        if role not in ROLES:
            problems.append(problem(role_line, "unknown_role", role=role, allowed=", ".join(sorted(ROLES))))
            ok = False
        elif role not in roles:
            roles.append(role)
    return tuple(roles) if ok else None


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(value: str, line: int, problems: ProblemSink) -> str | None:
    try:
        ZoneInfo(value)
        known = value in _zones()
    except (ZoneInfoNotFoundError, ValueError):
        known = False
    if not known:
        problems.append(problem(line, "bad_timezone", value=value))
        return None
    return value


def check_time(value: str, field: str, line: int, problems: ProblemSink) -> str | None:
    """HH:MM (H:MM accepted), normalised to two-digit hours."""
    match = _TIME.match(value.strip())
    if match is None:
        problems.append(problem(line, "bad_time", field=field, value=value))
        return None
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def check_days(values: str | list[str], line: int, problems: ProblemSink) -> str | list[str] | None:
    """`workdays`, `everyday` or a list of weekday keys (returned in week order, no repeats)."""
    if isinstance(values, str):
        if values in DAY_KEYWORDS:
            return values
        problems.append(problem(line, "bad_days", value=values))
        return None
    if not values or any(v not in WEEKDAYS for v in values) or len(set(values)) != len(values):
        problems.append(problem(line, "bad_days", value=", ".join(values)))
        return None
    return [day for day in WEEKDAYS if day in values]


def parse_duration(value: str) -> timedelta | None:
    if not _DURATION.match(value):
        return None
    try:
        return _TIMEDELTA.validate_python(value)
    except ValidationError:
        return None


def format_duration(value: timedelta) -> str:
    """The canonical ISO-8601 text of a duration (PT15M, P1D, PT0S), as pydantic writes it."""
    return str(_TIMEDELTA.dump_python(value, mode="json"))


def parse_date(value: str) -> date | None:
    """A calendar date written YYYY-MM-DD, else None."""
    value = value.strip()
    if not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:  # 2026-02-30
        return None


def check_past_date(
    value: str, field: str, line: int, problems: ProblemSink, *, today: date | None
) -> date | None:
    """A date YYYY-MM-DD not after `today` (None: not checked against a clock)."""
    day = parse_date(value)
    if day is None:
        problems.append(problem(line, "bad_date", field=field, value=value))
        return None
    if today is not None and day > today:
        problems.append(problem(line, "future_date", field=field, value=value, today=today.isoformat()))
        return None
    return day
