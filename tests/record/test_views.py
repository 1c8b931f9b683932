"""The /record message's parts without the chat: the 责任清单 hook's line, an empty month, durations, and a
month of many answers kept well inside Telegram's 4096 characters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from handlers.record_views import duration, duty_lines, previous, record_view
from safety.duties.frequency import Period
from safety.duties.record import DutyStatus, PeriodStatus
from safety.export.period import parse_month
from safety.leader_record.model import ANSWER_WITHIN, CARDS, Item, tally
from safety.texts import t
from safety.views import Line, View, render
from storage.models import DutyItem

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def zh(lines: Sequence[Line]) -> list[str]:
    return list(render(View(tuple(lines)), "zh-CN").lines)


def test_duty_lines_say_how_many_listed_duties_are_met() -> None:
    assert duty_lines([]) == []
    done = SimpleNamespace(title="每周带班检查一次", missing=[])
    short = SimpleNamespace(
        duty=SimpleNamespace(title="每月组织一次安全大检查"), title=None, missing=[object()]
    )
    [all_met] = zh(duty_lines([done]))
    assert all_met == t("zh-CN", "record.duties", met=1, total=1)
    [one_missing] = zh(duty_lines([done, short]))
    assert one_missing == t(
        "zh-CN", "record.duties_missing", met=1, total=2, missing="每月组织一次安全大检查"
    )


def test_each_listed_duty_gets_a_line_with_what_is_missing() -> None:
    week = DutyItem(
        id="w", title="每周带班检查一次", role="manager", every="week", times=1, evidence="inspections"
    )
    quarter = DutyItem(
        id="q", title="每季度研究安全工作", role="manager", every="quarter", times=1, evidence="none"
    )
    w48 = Period("week", date(2026, 11, 23), date(2026, 11, 29), date(2026, 11, 29))
    w49 = Period("week", date(2026, 11, 30), date(2026, 12, 6), date(2026, 12, 6))
    q4 = Period("quarter", date(2026, 10, 1), date(2026, 12, 31), date(2026, 11, 30))
    statuses = [
        DutyStatus(week, "manager", [PeriodStatus(w48, 1, 1, "met"), PeriodStatus(w49, 0, 1, "missing")], []),
        DutyStatus(quarter, "manager", [PeriodStatus(q4, 0, 1, "outside")], []),
    ]
    summary, weekly, outside = zh(duty_lines(statuses))
    assert summary == t("zh-CN", "record.duties_missing", met=1, total=2, missing="每周带班检查一次")
    assert weekly.startswith("  · 每周带班检查一次（每周1次）：1/2 期达标")
    assert "第49周" in weekly and "未见记录" in weekly
    assert outside.startswith("  · 每季度研究安全工作（每季度1次）：0/0 期达标")
    assert t("zh-CN", "duties.outside") in outside
    many = [DutyStatus(week, "manager", [PeriodStatus(w48, 1, 1, "met")], [])] * 11
    lines = zh(duty_lines(many))
    assert len(lines) == 1 + 8 + 1 and lines[-1] == t("zh-CN", "record.duty_more", count=3)


def test_durations_and_months() -> None:
    assert render(View((duration(59),)), "en").lines == ("59 min",)
    assert zh([duration(61), duration(24 * 60 + 90)]) == ["1 小时 1 分", "1 天 1 小时"]
    assert previous(parse_month("2026-01")) == parse_month("2025-12")


def test_an_empty_month_says_so_and_a_full_one_fits_a_message() -> None:
    month = parse_month("2026-11")
    empty = tally(1, "王五", month, ZONE, [], {}, {})
    lines = render(record_view(empty, now=NOW, current=month), "zh-CN").lines
    assert lines[1] == t("zh-CN", "record.none")
    start = datetime(2026, 11, 2, tzinfo=UTC)
    items = [
        Item(
            CARDS,
            "read",
            "卡" * 200,
            start + timedelta(hours=n),
            start + timedelta(hours=n, minutes=n),
            ANSWER_WITHIN[CARDS],
        )
        for n in range(300)
    ]
    full = tally(1, "王五", month, ZONE, items, {}, {CARDS: 7})
    rendered = render(record_view(full, now=NOW, current=month), "zh-CN")
    assert (
        len(rendered.text) < 4096 and rendered.lines[-1].count("卡") == 200 + 1
    )  # the newest, and 安全提示卡
