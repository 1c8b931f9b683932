"""The /record message: a leader's month (safety.leader_record) as a view, Chinese or English by the reader.

One line per group that has anything on record (answers by kind, the median and slowest response, how
many came late and how many never came), the total still waiting on them, the latest answers, and — when
the 责任清单 lists duties for them — one line of the duties met (`duty_lines`, the hook the duty list's
record plugs into). Buttons: `上月` (the month before the one shown) and, for a past month, `本月`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from safety.export.period import Month
from safety.leader_record.model import GROUPS, PARTS, Group, Item, LeaderRecord
from safety.views import Action, Join, Line, Text, View

MONTH_ACTION = "rcm"  # button: arg = the month to show, YYYY-MM
RECENT_SHOWN = 5
DUTIES_SHOWN = 8  # duty lines of the 责任清单; the rest are counted


def month_arg(month: Month) -> str:
    return f"{month.first:%Y-%m}"


def previous(month: Month) -> Month:
    last = month.first - timedelta(days=1)
    return Month(last.replace(day=1), last)


def month_of(day: Any) -> Month:
    """The month holding a date."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Month(first, following - timedelta(days=1))


def month_name(month: Month) -> Text:
    return Text("record.month", year=month.first.year, month=month.first.month)


def duration(minutes: int) -> Text:
    if minutes < 60:
        return Text("record.duration.minutes", minutes=minutes)
    if minutes < 24 * 60:
        return Text("record.duration.hours", hours=minutes // 60, minutes=minutes % 60)
    return Text("record.duration.days", days=minutes // (24 * 60), hours=minutes % (24 * 60) // 60)


def group_line(group: Group) -> Text:
    parts = tuple(
        Text("record.part", what=Text(f"record.what.{p}"), count=group.parts.get(p, 0))
        for p in PARTS[group.name]
    )
    speed: Any = ""
    if group.median is not None and group.slowest is not None:
        speed = Text("record.speed", median=duration(group.median), slowest=duration(group.slowest))
    return Text(
        "record.group_line",
        title=Text(f"record.group.{group.name}"),
        parts=Join(parts, "record.parts_sep"),
        speed=speed,
        late=Text("record.late", count=group.late) if group.late else "",
        unanswered=Text("record.unanswered", count=group.unanswered) if group.unanswered else "",
    )


def recent_line(record: LeaderRecord, item: Item) -> Text:
    return Text(
        "record.recent_line",
        time=f"{record.local(item.answered):%m-%d %H:%M}",
        group=Text(f"record.group.{item.group}"),
        what=Text(f"record.what.{item.part}"),
        about=item.about,
        took=duration(item.minutes),
        late=Text("record.recent_late") if item.late else "",
    )


def _title(status: Any) -> str:
    return str(getattr(status, "title", None) or status.duty.title)


def duty_lines(statuses: Sequence[Any]) -> list[Line]:
    """The 责任清单 part (safety/duties/record.py's `duty_record`): how many listed duties are met this
    month, then a line per duty (the first DUTIES_SHOWN) with its frequency, periods met of those due and the
    periods missing or still in progress. Works for any objects with `.missing` (the periods missed: a duty
    with none is met) and a title (`.title`, or `.duty.title`); nothing when no duties are listed."""
    if not statuses:
        return []
    unmet = tuple(_title(s) for s in statuses if s.missing)
    met, total = len(statuses) - len(unmet), len(statuses)
    lines: list[Line] = [
        Text("record.duties", met=met, total=total)
        if not unmet
        else Text("record.duties_missing", met=met, total=total, missing=Join(unmet))
    ]
    detailed = [s for s in statuses if hasattr(s, "periods") and hasattr(s, "duty")]
    lines += [_duty_line(s) for s in detailed[:DUTIES_SHOWN]]
    if len(detailed) > DUTIES_SHOWN:
        lines.append(Text("record.duty_more", count=len(detailed) - DUTIES_SHOWN))
    return lines


def _duty_line(status: Any) -> Text:
    duty = status.duty
    open_periods = [p for p in status.periods if p.state in ("missing", "in_progress")]
    notes = tuple(
        Text(
            "duties.missing_none"
            if p.state == "missing" and p.count == 0
            else ("duties.missing_short" if p.state == "missing" else "duties.in_progress"),
            period=Text(f"duties.period.{p.period.every}", **p.period.label_params()),
            count=p.count,
            times=p.needed,
        )
        for p in open_periods
    )
    outside = any(p.state == "outside" for p in status.periods)
    shown = Text("duties.outside") if outside else (Join(notes, sep="duties.separator") if notes else None)
    params = {
        "title": duty.title,
        "frequency": Text(f"duties.every.{duty.every}", times=duty.times),
        "met": status.met,
        "due": status.due,
    }
    return (
        Text("record.duty_line", **params)
        if shown is None
        else Text("record.duty_line_notes", notes=shown, **params)
    )


def record_view(record: LeaderRecord, *, now: datetime, current: Month, duties: Sequence[Any] = ()) -> View:
    """The record of `record.month`; `current` is this month in the person's zone."""
    so_far: Any = ""
    if record.month == current:
        so_far = Text("record.so_far", time=f"{record.local(now):%m-%d %H:%M}")
    lines: list[Line] = [
        Text("record.title", name=record.name, month=month_name(record.month), so_far=so_far)
    ]
    shown = [record.groups[g] for g in GROUPS if not record.groups[g].empty]
    lines += [group_line(g) for g in shown] or [Text("record.none")]
    if record.unanswered:
        lines.append(Text("record.unanswered_total", count=record.unanswered))
    lines += duty_lines(duties)
    if record.recent:
        lines.append(Text("record.recent_title"))
        lines += [recent_line(record, item) for item in record.recent[:RECENT_SHOWN]]
    buttons = [Action(Text("record.previous"), MONTH_ACTION, month_arg(previous(record.month)))]
    if record.month != current:
        buttons.append(Action(Text("record.this_month"), MONTH_ACTION, month_arg(current)))
    return View(tuple(lines), (tuple(buttons),))
