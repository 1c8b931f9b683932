"""The /record message's parts without the chat: the 责任清单 hook's line, an empty month, durations, and a
month of many answers kept well inside Telegram's 4096 characters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from handlers.record_views import duration, duty_lines, previous, record_view
from safety.export.period import parse_month
from safety.leader_record.model import ANSWER_WITHIN, CARDS, Item, tally
from safety.texts import t
from safety.views import Line, View, render

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
