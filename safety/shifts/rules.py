"""The roster's plain rules: role words, a shift's window in UTC, the obligation reference of a shift."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from safety.views import Text

LEADER, OFFICER = "leader", "officer"  # 带班领导, 值班员
ROLES = (LEADER, OFFICER)
# The words a roster file may use for a role (Chinese first, as the 值班表 writes them).
ROLE_WORDS = {"带班领导": LEADER, "值班员": OFFICER, LEADER: LEADER, OFFICER: OFFICER}
REF_PREFIX = "shift"
REMIND_BEFORE = timedelta(hours=24)  # the day-before reminder: 24 hours before the shift starts


def role_of(word: str) -> str | None:
    """The stored role for a word of the file (带班领导 / 值班员 / leader / officer, any case), else None."""
    return ROLE_WORDS.get(word.strip()) or ROLE_WORDS.get(word.strip().lower())


def role_text(role: str) -> Text:
    return Text(f"shifts.role_{role}" if role in ROLES else "shifts.role_officer")


def window(day: date, start: str, end: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The shift's start and end in UTC: `start` and `end` (HH:MM) local to `zone` on `day`; an end not
    after the start is on the next day (08:00 → 08:00 is a 24-hour shift)."""
    starts = datetime.combine(day, _time(start), tzinfo=zone)
    end_day = day if _time(end) > _time(start) else day + timedelta(days=1)
    ends = datetime.combine(end_day, _time(end), tzinfo=zone)
    return starts.astimezone(UTC), ends.astimezone(UTC)


def _time(hhmm: str) -> time:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return time(hours, minutes)


def as_utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite gives them back without their zone)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def ref_of(shift_id: int) -> str:
    """The obligation reference of one shift: one digest speaks of one person's shift."""
    return f"{REF_PREFIX}:{shift_id}"


def shift_id_of(ref: str) -> int | None:
    prefix, _, number = ref.partition(":")
    return int(number) if prefix == REF_PREFIX and number.isdigit() else None
