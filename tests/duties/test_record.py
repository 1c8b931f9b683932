"""Each listed duty beside the evidence the bot holds, over a scripted November (tests/duties/month.py):
every evidence kind counted from rows the real functions made, in the unit's time zone; periods met,
missing and in progress; a duty kept outside the bot; a removed duty still shown for the month it was in
force; and the export's sheet of it, person by person."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from safety.duties.record import DutyStatus, duty_record
from safety.duties.render import evidence_text, missing_text
from safety.duties.sheet import DUTY_SHEET
from safety.export.rows import parse_month, subtree, zones
from safety.export.sheet import ExportScope
from storage import export_queries as eq
from storage.db import Database
from storage.models import Report
from tests.duties.helpers import done, run_text
from tests.duties.month import DEFAULTS, Org, local, play

LIST = """source: 测试清单
duties:
  - {id: mgr-deploy, role: manager, units: [proj-pulang], title: 提示卡部署落实, frequency: 每月1次,
     evidence: cards_deployed}
  - {id: mgr-read, role: manager, title: 提示卡已阅, frequency: 每月1次, evidence: cards_read}
  - {id: mgr-shift, role: manager, title: 节假日带班到岗, frequency: 每月1次, evidence: duty_shifts}
  - {id: mgr-meeting, role: manager, title: 每季度研究安全工作, frequency: 每季度1次, evidence: none}
  - {id: so-verify, role: safety_officer, title: 隐患验收销号, frequency: 每月1次, evidence: hazards_verified}
  - {id: so-assign, role: safety_officer, title: 下达整改, frequency: 每月2次, evidence: reports_assigned}
  - {id: so-inspect, role: safety_officer, title: 每周检查, frequency: 每周1次, evidence: inspections}
  - {id: so-quarter, role: safety_officer, title: 季度检查, frequency: 每季度3次, evidence: inspections}
  - {id: tl-digest, role: team_leader, title: 督办, frequency: 每月1次, evidence: digests_handled}
  - {id: staff-report, role: staff, units: [team-blast], title: 上报隐患, frequency: 每月1次,
     evidence: reports_made}
  - {id: staff-checkin, role: staff, units: [team-blast], title: 班前确认, frequency: 每周1次,
     evidence: checkins}
  - {id: staff-daily, role: staff, units: [team-blast], title: 每日班前确认, frequency: 每个工作日1次,
     evidence: checkins}
"""
NOVEMBER = parse_month("2026-11")
SCAFFOLD = "脚手架搭拆检查（示例）"


@pytest.fixture
async def org(db: Database) -> Org:
    played = await play(db)
    done(await run_text(db, LIST, now=local(1, "09:00")))
    return played


async def _record(org: Org, employee_no: str, month: str = "2026-11", **kw: object) -> dict[str, DutyStatus]:
    async with org.db.session() as session:
        found = await duty_record(
            session, person_id=org.ids[employee_no], month=parse_month(month), defaults=DEFAULTS, **kw
        )
    return {s.duty.id: s for s in found}


def _row(status: DutyStatus, language: str = "zh-CN") -> tuple[int, int, int, str, str]:
    return (
        status.due,
        status.met,
        len(status.evidence),
        evidence_text(status, language),
        missing_text(status, language),
    )


async def _number(org: Org, anonymous: bool = False) -> str:
    async with org.db.session() as session:
        report = (await session.exec(select(Report).where(col(Report.anonymous).is_(anonymous)))).one()
    return report.number


async def test_each_kind_of_evidence_counts_what_the_person_did(org: Org) -> None:
    hazard = await _number(org)
    manager = await _record(org, "M0101")
    assert set(manager) == {"mgr-deploy", "mgr-read", "mgr-shift", "mgr-meeting"}
    assert _row(manager["mgr-deploy"]) == (1, 1, 1, "11-02 部署落实《冬季四防提示卡》", "")
    assert _row(manager["mgr-read"]) == (1, 1, 1, "11-02 已阅《冬季四防提示卡》", "")
    assert _row(manager["mgr-shift"]) == (1, 1, 1, "11-14 普朗铜矿项目部带班领导到岗", "")
    assert _row(manager["mgr-meeting"]) == (0, 0, 0, "", "系统外记录，未判定")
    assert manager["mgr-meeting"].rate is None and manager["mgr-deploy"].rate == 1.0

    branch = await _record(org, "M0001")  # a manager of the branch, above proj-pulang: not its duty there
    assert set(branch) == {"mgr-read", "mgr-shift", "mgr-meeting"}
    assert _row(branch["mgr-read"]) == (1, 0, 0, "", "11月未见记录")

    officer = await _record(org, "S0001")
    assert _row(officer["so-verify"]) == (1, 1, 1, f"11-05 验收 {hazard}", "")
    assert _row(officer["so-assign"]) == (1, 0, 1, f"11-03 指派 {hazard}", "11月仅 1 次（应 2 次）")
    due, met, count, shown, missing = _row(officer["so-inspect"])
    # weeks 45–49 start in November; 11-01 belongs to October's week 44; 12-01 counts for the week of 11-30
    assert (due, met, count) == (5, 2, 2)
    assert shown == f"11-10 检查 1520中段掘进工作面（{SCAFFOLD}）；12-01 检查 炸药库（{SCAFFOLD}）"
    assert missing == "第45周未见记录；第47周未见记录；第48周未见记录"
    assert _row(officer["so-quarter"])[:3] == (0, 0, 2)  # 10-01 … 11-30 so far: 11-01 and 11-10
    assert _row(officer["so-quarter"])[4] == "第4季度进行中（已 2 次，应 3 次）"
    assert officer["so-quarter"].rate is None

    leader = await _record(org, "E1000")
    assert _row(leader["tl-digest"]) == (1, 1, 2, "11-02 提醒 王二；11-02 已处理 陈刚", "")
    assert _row(leader["staff-checkin"])[:4] == (5, 1, 1, "11-02 班前确认（按时）")
    worker = await _record(org, "E1001")
    daily = worker["staff-daily"]  # November 2026 has 21 working days by the official calendar
    assert (daily.due, daily.met, daily.missing[0].period.first) == (21, 1, date(2026, 11, 3))
    assert missing_text(daily, "zh-CN").startswith("11-03未见记录；11-04未见记录；")
    assert _row(worker["staff-report"]) == (1, 1, 1, f"11-03 上报 {hazard}", "")
    anonymous = await _record(org, "E1002")
    assert _row(anonymous["staff-report"]) == (1, 1, 1, "11-03 匿名上报", "")  # no number: it would name them
    assert _row(anonymous["staff-checkin"])[:3] == (5, 0, 0)
    assert "manager" not in {s.role for s in worker.values()}

    assert _row(leader["tl-digest"], "en") == (1, 1, 2, "11-02 reminded 王二; 11-02 handled 陈刚", "")
    assert (
        _row(officer["so-inspect"], "en")[4]
        == "week 45: nothing on record; week 47: nothing on record; week 48: nothing on record"
    )


async def test_a_quarter_is_judged_in_december_and_now_leaves_the_running_periods_open(org: Org) -> None:
    december = await _record(org, "S0001", "2026-12")
    assert _row(december["so-quarter"])[:3] == (1, 1, 3)  # 11-01, 11-10, 12-01
    assert december["so-inspect"].periods[0].period.first == date(2026, 12, 7)  # 11-30's week is November's
    running = await _record(org, "S0001", now=local(15, "12:00"))
    states = [p.state for p in running["so-inspect"].periods]
    assert states == ["missing", "met", "in_progress", "in_progress", "met"]
    assert running["so-assign"].periods[0].state == "in_progress"
    assert "第47周进行中（已 0 次，应 1 次）" in missing_text(running["so-inspect"], "zh-CN")


async def test_a_removed_duty_stays_in_the_months_it_was_in_force(org: Org) -> None:
    removed = "  - {id: so-assign, role: safety_officer, title: 下达整改, frequency: 每月2次, "
    later = LIST.replace(removed + "evidence: reports_assigned}\n", "")
    assert later != LIST
    report = done(await run_text(org.db, later, now=local(2, "09:00", month=12)))
    assert report.deactivated == 1
    assert "so-assign" in await _record(org, "S0001")  # November: it was in force
    assert "so-assign" not in await _record(org, "S0001", "2027-01")


async def test_the_export_sheet_has_a_row_per_person_and_duty(org: Org) -> None:
    async with org.db.session() as session:
        everything = await eq.all_units(session)
        scope = ExportScope(
            month=NOVEMBER,
            units=subtree(everything, "proj-pulang"),
            all_units=everything,
            zones=zones(everything, DEFAULTS),
            defaults=DEFAULTS,
        )
        columns = DUTY_SHEET.columns("zh-CN")
        rows = [row async for row in DUTY_SHEET.rows(session, scope, "zh-CN")]
        english = [row async for row in DUTY_SHEET.rows(session, scope, "en")]
    assert DUTY_SHEET.key == "duties"
    assert [c.header for c in columns][:6] == ["工号", "姓名", "单位", "岗位", "职责", "频次"]
    assert columns[-1].percent and columns[-1].header == "完成率"
    assert all(len(row) == len(columns) for row in rows)
    by = {(row[0], row[4]): row for row in rows}
    assert by["S0001", "每周检查"][2:] == [
        "普朗铜矿项目部",
        "安全员",
        "每周检查",
        "每周1次",
        5,
        2,
        2,
        f"11-10 检查 1520中段掘进工作面（{SCAFFOLD}）；12-01 检查 炸药库（{SCAFFOLD}）",
        "第45周未见记录；第47周未见记录；第48周未见记录",
        0.4,
    ]
    assert by["M0101", "每季度研究安全工作"][6:] == [0, 0, 0, "", "系统外记录，未判定", None]
    assert by["E1002", "上报隐患"][8:10] == [1, "11-03 匿名上报"]
    people = [row[0] for row in rows]
    assert "M0001" not in people and "E2000" not in people  # outside proj-pulang's subtree
    assert people.index("M0101") < people.index("E1000")  # unit by unit: the project before its teams
    assert len(english) == len(rows) and english[0][5].endswith("a month")
    assert ZoneInfo("Asia/Shanghai") == scope.zones["team-blast"]
