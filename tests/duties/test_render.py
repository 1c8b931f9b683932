"""A duty's record as the sheet and /record show it: the frequency in words, the evidence capped with the
count of the rest, what is missing in each language."""

from __future__ import annotations

from datetime import date, timedelta

from safety.duties.evidence import Evidence
from safety.duties.frequency import periods
from safety.duties.record import MET, MISSING, DutyStatus, PeriodStatus
from safety.duties.render import evidence_text, frequency_text, missing_text, role_text
from safety.export.rows import parse_month
from storage.models import DutyItem

ITEM = DutyItem(id="d", title="每周检查", role="manager", every="week", times=2, evidence="inspections")


def _status(count: int) -> DutyStatus:
    weeks = periods("week", parse_month("2026-11"), lambda d: True)
    found = [
        Evidence(
            date(2026, 11, 2) + timedelta(days=n % 28),
            "duties.item.inspections",
            {"place": f"工作面{n}", "checklist": "脚手架"},
        )
        for n in range(count)
    ]
    states = [
        PeriodStatus(weeks[0], 2, 2, MET),
        PeriodStatus(weeks[1], 1, 2, MISSING),
        PeriodStatus(weeks[2], 0, 2, MISSING),
    ]
    return DutyStatus(ITEM, "manager", states, found)


def test_the_frequency_and_the_role_in_words() -> None:
    assert frequency_text(ITEM, "zh-CN") == "每周2次"
    assert frequency_text(ITEM, "en") == "2× a week"
    assert (role_text("manager", "zh-CN"), role_text(None, "zh-CN"), role_text(None, "en")) == (
        "管理人员",
        "本人",
        "Personal",
    )


def test_the_evidence_is_capped_and_counts_what_it_leaves_out() -> None:
    few = evidence_text(_status(2), "zh-CN")
    assert few == "11-02 检查 工作面0（脚手架）；11-03 检查 工作面1（脚手架）"
    many = evidence_text(_status(200), "zh-CN")
    assert len(many) < 340 and many.startswith("11-02 检查 工作面0（脚手架）；")
    shown = many.count("检查 ")
    assert many.endswith(f"……另 {200 - shown} 条")


def test_what_is_missing_in_both_languages() -> None:
    status = _status(3)
    assert (status.due, status.met, status.rate) == (3, 1, 0.3333)
    assert missing_text(status, "zh-CN") == "第46周仅 1 次（应 2 次）；第47周未见记录"
    assert missing_text(status, "en") == "week 46: only 1 (needs 2); week 47: nothing on record"
