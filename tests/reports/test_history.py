"""A report's history as its readers see it (every step, who, when in the unit's time, notes, photos, the
rectification), anonymity by reader, and the found / fixed / re-checked counts per unit — on both DBs."""

from __future__ import annotations

from datetime import date, timedelta

from safety.config import Defaults
from safety.reports.history import count_lines, counts, history, history_lines
from safety.views import render_line
from storage.db import Database
from storage.models import ReportEvent
from tests.reports.steps import NOW, assign, load_org, move, new_report, pid


def zh(lines: list[object]) -> list[str]:
    return [render_line(line, "zh-CN") for line in lines]  # type: ignore[arg-type]


async def test_history_lists_every_step_with_who_and_when(db: Database) -> None:
    people = await load_org(db)
    worker, officer, fixer = pid(people, "E1001"), pid(people, "S0001"), pid(people, "E1002")
    report = await new_report(db, worker, photos=2, anonymous=True, location_text="1520中段")
    assert report.id is not None
    await assign(
        db, report.id, by=officer, to=fixer, at=NOW + timedelta(hours=1), deadline=date(2026, 11, 30)
    )
    await move(
        db,
        report.id,
        "submitted",
        actor_id=fixer,
        at=NOW + timedelta(days=1),
        note="已更换扣件",
        photos=1,
        state="submitted",
        submitted_at=NOW + timedelta(days=1),
    )
    await move(
        db,
        report.id,
        "rejected",
        actor_id=officer,
        at=NOW + timedelta(days=1, hours=1),
        note="照片看不清",
        state="assigned",
    )
    await move(
        db, report.id, "submitted", actor_id=fixer, at=NOW + timedelta(days=1, hours=2), state="submitted"
    )
    closed = NOW + timedelta(days=1, hours=3)
    await move(
        db,
        report.id,
        "closed",
        actor_id=officer,
        at=closed,
        state="closed",
        closed_by=officer,
        closed_at=closed,
        recheck_due_at=closed + timedelta(days=30),
    )

    async with db.session() as session:
        found = await history(session, f"  {report.number.lower()} ", defaults=Defaults())
        assert await history(session, "YH-20991231-0001") is None
        assert await history(session, "X" * 500) is None
        assert await history(session, "") is None
    assert found is not None
    assert [(e.action, e.actor, e.at) for e in found.events] == [
        ("reported", "张三", "2026-11-27 08:30"),
        ("assigned", "王五", "2026-11-27 09:30"),
        ("submitted", "王二", "2026-11-28 08:30"),
        ("rejected", "王五", "2026-11-28 09:30"),
        ("submitted", "王二", "2026-11-28 10:30"),
        ("closed", "王五", "2026-11-28 11:30"),
    ]

    chat = zh(history_lines(found, show_reporter=False))
    assert chat[0] == f"📄 隐患 {report.number}（已销号）"
    assert "上报人：匿名" in chat and "· 2026-11-27 08:30 上报｜匿名" in chat
    assert "张三" not in "\n".join(chat)  # an anonymous reporter stays hidden from non-officers
    for expected in (
        "整改责任人：王二",
        "整改期限：2026-11-30",
        "整改措施：更换扣件",
        "指派人：王五（2026-11-27 09:30）",
        f"整改通知单：notices/{report.id}.pdf",
        "销号：王五（2026-11-28 11:30）",
        "回头看复查：2026-12-28 11:30 前",
        "· 2026-11-28 09:30 驳回｜王五",
        "  说明：照片看不清",
        "  上报：2 张",
        "  整改：1 张",
    ):
        assert expected in chat, (expected, chat)

    officer_view = zh(history_lines(found, show_reporter=True))
    assert "上报人：张三" in officer_view and "· 2026-11-27 08:30 上报｜张三" in officer_view

    admin = zh(history_lines(found, show_reporter=False, admin=True))
    assert "上报人：匿名" in admin  # the CLI passes show_reporter=True; admin adds paths and details
    assert any("photos/" in line and "file-hazard-0" in line for line in admin)
    assert any(line.startswith("  详情：") and "deadline=2026-11-30" in line for line in admin)


async def test_unknown_event_actions_and_the_system_still_read(db: Database) -> None:
    people = await load_org(db)
    report = await new_report(db, pid(people, "E1001"))
    assert report.id is not None
    async with db.session() as session:
        session.add(ReportEvent(report_id=report.id, action="escalated", actor_id=None, at=NOW))
    async with db.session() as session:
        found = await history(session, report.number)
    assert found is not None
    lines = zh(history_lines(found, show_reporter=True))
    assert "· 2026-11-27 08:30 escalated｜系统" in lines
    english = [render_line(line, "en") for line in history_lines(found, show_reporter=True)]
    assert english[0].startswith("📄 Hazard")


async def test_counts_found_fixed_rechecked_per_unit_and_below(db: Database) -> None:
    people = await load_org(db)
    worker, mill_worker, officer = pid(people, "E1001"), pid(people, "E2001"), pid(people, "S0001")
    fixed = await new_report(db, worker)
    await new_report(db, worker)
    await new_report(db, worker, kind="accident", description="碰伤")  # accidents are not hazards counted
    await new_report(db, mill_worker, unit_id="team-mill")
    assert fixed.id is not None
    at = NOW + timedelta(days=1)
    await move(
        db, fixed.id, "closed", actor_id=officer, at=at, state="closed", closed_by=officer, closed_at=at
    )
    await move(
        db,
        fixed.id,
        "rechecked",
        actor_id=officer,
        at=at + timedelta(days=30),
        rechecked_at=at + timedelta(days=30),
    )

    async with db.session() as session:
        pulang = await counts(session, ["proj-pulang"])
        branch = await counts(session, ["branch-sw"])
        nothing = await counts(session, ["team-haul"])
    assert [(c.unit_id, c.found, c.fixed, c.rechecked) for c in pulang] == [("team-blast", 2, 1, 1)]
    assert [(c.unit_id, c.found, c.fixed, c.rechecked) for c in branch] == [
        ("team-blast", 2, 1, 1),
        ("team-mill", 1, 0, 0),
    ]
    assert zh(count_lines(branch)) == [
        "隐患统计（排查 / 整改销号 / 回头看复查）：",
        "  爆破班：2 / 1 / 1",
        "  选矿班：1 / 0 / 0",
        "  合计：3 / 1 / 1",
    ]
    assert zh(count_lines(nothing))[1] == "暂无隐患记录。"
