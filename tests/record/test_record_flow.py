"""/record through the sandbox, on both databases: after the scripted actions of tests/record/script.py,
王五 sees exactly those counts and times, in Chinese; `上月` redraws the message for October and `本月`
comes back; two presses of `上月` at once are both answered, without an error; `/record 2026-10` works; a
bad month is refused in the reader's language; a worker is refused like any leader command; 吴敏 sees
only what 吴敏 did."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, update

from safety.imports.duties_file import import_duties
from safety.imports.results import ImportRejected
from safety.texts import t
from storage.db import Database
from storage.models import OutboxMessage, Person
from tests.flow.harness import Clock, Harness, running_bot
from tests.record.script import LEADER, OTHER_OFFICER, READ_AT, Played, play

WORKER = "E1001"
QUIET = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)  # 11-26 04:00 in Shanghai: nothing is due


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


def en(key: str, **params: object) -> str:
    return t("en", key, **params)


def part(what: str, count: int) -> str:
    return zh("record.part", what=zh(f"record.what.{what}"), count=count)


def minutes(n: int) -> str:
    return zh("record.duration.minutes", minutes=n)


def group(name: str, parts: list[str], median: str, slowest: str, late: int = 0, unanswered: int = 0) -> str:
    return zh(
        "record.group_line",
        title=zh(f"record.group.{name}"),
        parts=zh("record.parts_sep").join(parts),
        speed=zh("record.speed", median=median, slowest=slowest),
        late=zh("record.late", count=late) if late else "",
        unanswered=zh("record.unanswered", count=unanswered) if unanswered else "",
    )


@pytest.fixture
async def bot(db: Database, tmp_path: Path) -> AsyncIterator[tuple[Harness, Played]]:
    clock = Clock(QUIET)
    async with running_bot(db, clock=clock) as harness:
        for employee_no in (LEADER, OTHER_OFFICER, WORKER):
            await harness.bind(employee_no)
        played = await play(db, tmp_path)
        async with db.session() as session:  # the script's messages are not what these tests read
            await session.exec(
                update(OutboxMessage).where(col(OutboxMessage.status) == "pending").values(status="sent")
            )
        clock.now = READ_AT
        yield harness, played


async def record(bot: Harness, employee_no: str, text: str = "/record") -> dict[str, Any]:
    user = bot.user_id(employee_no)
    sent = await bot.client.send_text(user, text)
    return await bot.client.wait_for(user, after_message_id=sent["message_id"])


def labels(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


async def test_record_shows_this_months_counts_and_times(bot: tuple[Harness, Played]) -> None:
    harness, played = bot
    shown = await record(harness, LEADER)
    lines = str(shown["text"]).split("\n")
    month = zh("record.month", year=2026, month=11)
    assert lines[0] == zh(
        "record.title", name="王五", month=month, so_far=zh("record.so_far", time="11-28 10:00")
    )
    assert lines[1:9] == [
        group("cards", [part("read", 1), part("deployed", 1), part("on_time", 1)], minutes(10), minutes(10)),
        group("accidents", [part("acknowledged", 1), part("reported", 0)], minutes(6), minutes(6)),
        group("shifts", [part("confirmed", 1)], minutes(20), minutes(20), late=1),
        group(
            "digests",
            [part("remind", 0), part("excuse", 0), part("handled", 1)],
            minutes(10),
            minutes(10),
            unanswered=1,
        ),
        group("leave", [part("approved", 1), part("rejected", 0)], minutes(10), minutes(10)),
        group("assign", [part("assigned", 1)], minutes(30), minutes(30), unanswered=2),
        group(
            "verify",
            [part("accepted", 1), part("rejected", 1)],
            zh("record.duration.hours", hours=1, minutes=10),
            zh("record.duration.hours", hours=2, minutes=0),
        ),
        zh("record.unanswered_total", count=3),
    ]
    assert lines[9] == zh("record.recent_title")
    assert lines[10] == zh(
        "record.recent_line",
        time="11-28 08:20",
        group=zh("record.group.shifts"),
        what=zh("record.what.confirmed"),
        about="2026-11-28",
        took=minutes(20),
        late=zh("record.recent_late"),
    )
    assert played.hazard_a in lines[11] and len(lines) == 15
    assert labels(shown) == [zh("record.previous")]  # this month: no way forward
    assert len(str(shown["text"])) < 4096


async def test_previous_month_and_back(bot: tuple[Harness, Played]) -> None:
    harness, _ = bot
    user = harness.user_id(LEADER)
    shown = await record(harness, LEADER)
    await harness.client.press_button(user, shown["message_id"], zh("record.previous"))
    october = await harness.client.wait_for(user, lambda m: m["message_id"] == shown["message_id"])
    text = str(october["text"])
    assert (
        zh("record.month", year=2026, month=10) in text
        and zh("record.so_far", time="11-28 10:00") not in text
    )
    assert group("leave", [part("approved", 1), part("rejected", 0)], minutes(20), minutes(20)) in text
    assert zh("record.group.cards") not in text
    assert labels(october) == [zh("record.previous"), zh("record.this_month")]
    await harness.client.press_button(user, shown["message_id"], zh("record.this_month"))
    back = await harness.client.wait_for(user, lambda m: m["message_id"] == shown["message_id"])
    assert zh("record.month", year=2026, month=11) in str(back["text"])
    typed = await record(harness, LEADER, "/record 2026-10")
    assert str(typed["text"]) == text


async def test_two_presses_at_once_are_both_answered(bot: tuple[Harness, Played]) -> None:
    harness, _ = bot
    user = harness.user_id(LEADER)
    shown = await record(harness, LEADER)
    [data] = [b["callback_data"] for row in shown["reply_markup"]["inline_keyboard"] for b in row]
    first, second = await asyncio.gather(
        harness.client.press(user, shown["message_id"], data),
        harness.client.press(user, shown["message_id"], data),
    )
    answers = [await harness.client.callback_answer(q) for q in (first, second)]
    assert all(not a.get("show_alert") for a in answers), answers
    assert all(zh("access.error") != a.get("text") for a in answers)
    messages = await harness.client.messages(user)
    [drawn] = [m for m in messages if m["message_id"] == shown["message_id"]]
    assert zh("record.month", year=2026, month=10) in str(drawn["text"])


async def test_bad_month_in_the_readers_language(bot: tuple[Harness, Played]) -> None:
    harness, _ = bot
    assert (await record(harness, LEADER, "/record 2026-13"))["text"] == zh(
        "record.bad_month", month="2026-13"
    )
    async with harness.db.session() as session:
        await session.exec(
            update(Person).where(col(Person.id) == harness.people[OTHER_OFFICER].id).values(language="en")
        )
    answer = await record(harness, OTHER_OFFICER, "/record november")
    assert answer["text"] == en("record.bad_month", month="november")
    future = await record(harness, LEADER, "/record 2027-01")
    assert future["text"] == zh("record.future_month", month=zh("record.month", year=2027, month=1))


async def test_a_worker_is_refused(bot: tuple[Harness, Played]) -> None:
    harness, _ = bot
    assert (await record(harness, WORKER))["text"] == zh("access.denied")


async def test_someone_elses_actions_are_not_mine(bot: tuple[Harness, Played]) -> None:
    harness, _ = bot
    text = str((await record(harness, OTHER_OFFICER))["text"])
    month = zh("record.month", year=2026, month=11)
    assert text.startswith(
        zh("record.title", name="吴敏", month=month, so_far=zh("record.so_far", time="11-28 10:00"))
    )
    assert (
        group("digests", [part("remind", 1), part("excuse", 0), part("handled", 0)], minutes(5), minutes(5))
        in text
    )
    assert zh("record.group.verify") not in text and zh("record.group.leave") not in text
    assert zh("record.group.accidents") not in text and zh("record.group.shifts") not in text


DUTIES = """
source: 测试清单
duties:
  - {id: so-verify, person: S0001, title: 隐患整改复查验收销号, frequency: 每月1次,
     evidence: hazards_verified}
  - {id: so-weekly, person: S0001, title: 每周带班检查一次, frequency: 每周1次, evidence: inspections}
"""


async def test_the_duty_list_stands_beside_the_record(bot: tuple[Harness, Played], db: Database) -> None:
    """The 责任清单's duties for 王五: the month's one verification meets its duty already, the weekly check
    (no inspection on record) is missing for the weeks already over, the running week is in progress."""
    harness, _ = bot
    async with db.session() as session:
        report = await import_duties(session, DUTIES, now=READ_AT)
    assert not isinstance(report, ImportRejected)
    lines = str((await record(harness, LEADER))["text"]).split("\n")
    assert zh("record.duties_missing", met=1, total=2, missing="每周带班检查一次") in lines
    verify = next(line for line in lines if "隐患整改复查验收销号" in line)
    assert verify == "  · 隐患整改复查验收销号（每月1次）：1/1 期达标"  # met, though November runs on
    weekly = next(line for line in lines if line.startswith("  · 每周带班检查一次"))
    assert "（每周1次）：0/3 期达标" in weekly  # W45, W46, W47 over by 11-28; W48 runs on
    assert zh("duties.missing_none", period="第45周") in weekly
    assert zh("duties.in_progress", period="第48周", count=0, times=1) in weekly
