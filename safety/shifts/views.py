"""What the roster says to people: the day-before reminder, the shift message with 到岗, and the times of
a shift as its unit reads them. Plain views (text keys and actions), rendered by the channel."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from safety.shifts.rules import as_utc, role_text
from safety.views import Action, Text, View
from storage.models import DutyShift

CONFIRM = "ds"  # the 到岗 button; arg: the shift id


def hhmm(moment: datetime, zone: ZoneInfo) -> str:
    return as_utc(moment).astimezone(zone).strftime("%H:%M")


def span(shift: DutyShift, zone: ZoneInfo) -> dict[str, str | Text]:
    """The shift's date and local times: {"day": "2027-02-06", "start": "08:00", "end": …}; an end on a
    later day than the start reads "次日08:00" (the next day)."""
    return {"day": shift.day.isoformat(), **times(shift.starts_at, shift.ends_at, zone)}


def times(starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> dict[str, str | Text]:
    start, end = as_utc(starts_at).astimezone(zone), as_utc(ends_at).astimezone(zone)
    shown = end.strftime("%H:%M")
    return {
        "start": start.strftime("%H:%M"),
        "end": Text("shifts.next_day", time=shown) if end.date() > start.date() else shown,
    }


def confirm_button(shift_id: int) -> Action:
    return Action(Text("shifts.confirm_button"), CONFIRM, str(shift_id))


def reminder_view(shift: DutyShift, unit_name: str, zone: ZoneInfo) -> View:
    """The day before: where and when the person is on duty."""
    return View((Text("shifts.day_before", unit=unit_name, role=role_text(shift.role), **span(shift, zone)),))


def start_view(shift: DutyShift, unit_name: str, zone: ZoneInfo, *, head: Text | None = None) -> View:
    """At the start (and at a later `self` step): the shift, and 到岗 to confirm."""
    assert shift.id is not None
    line = head or Text("shifts.start", unit=unit_name, role=role_text(shift.role), **span(shift, zone))
    return View((line, Text("shifts.start_hint")), ((confirm_button(shift.id),),))
