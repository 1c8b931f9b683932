"""`safetybot import duties` (责任清单): the example list is stored and importing it again changes nothing;
a later list updates, deactivates (kept) and reactivates by id; every kind of error names its line in the
user's language and stores nothing; .xlsx holds the same list; wrong or huge files are refused; two
imports at once end as one file's list."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import typer
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession
from typer.testing import CliRunner

from bot.cli_duties import import_duties_command
from safety.imports.duties_file import DutiesReport
from storage import duty_list_queries as dlq
from storage.db import Database
from storage.models import DutyItem, Person, Unit
from tests.duties.helpers import DUTIES, NOW, done, problems, run_file, run_text, stored, workbook
from tests.imports.helpers import EXAMPLES, ORG_TEXT, audit_count, ok, run_org

runner = CliRunner()
HEADER_SOURCE = ["id", "role", "person", "units", "title", "frequency", "evidence", "source"]
SMALL = """source: 测试清单
duties:
  - {id: a, role: manager, title: 每周带班检查一次, frequency: 每周1次, evidence: inspections}
  - id: b
    role: safety_officer
    units: [proj-pulang]
    title: 验收销号
    frequency: 每月两次
    evidence: hazards_verified
  - {id: c, person: E1000, title: 爆破前检查, frequency: {every: week, times: 2}, evidence: inspections}
"""


@pytest.fixture
async def org(db: Database) -> Database:
    ok(await run_org(db, ORG_TEXT))
    return db


async def _person_id(db: Database, employee_no: str) -> int:
    async with db.session() as session:
        person = (await session.exec(select(Person).where(Person.employee_no == employee_no))).one()
    assert person.id is not None
    return person.id


async def test_the_example_list_is_stored_and_importing_it_again_changes_nothing(org: Database) -> None:
    audits = await audit_count(org)
    first = done(await run_file(org, DUTIES))
    assert first.counts() == {"created": 13, "updated": 0, "deactivated": 0, "reactivated": 0, "unchanged": 0}
    assert first.source is not None and "示例" in first.source
    items = await stored(org)
    assert items["mgr-weekly-lead-check"][:7] == (
        "每周带班检查一次",
        "manager",
        None,
        ["proj-pulang", "proj-xinqiao"],
        "week",
        1,
        "inspections",
    )
    assert items["so-assign"][4:6] == ("month", 2)  # 每月两次
    assert items["mgr-holiday-duty"][4:6] == ("month", 1)  # {every: month, times: 1}
    assert items["e1000-blast-check"][1:3] == (None, await _person_id(org, "E1000"))
    again = done(await run_file(org, DUTIES))
    assert again.counts() == {"created": 0, "updated": 0, "deactivated": 0, "reactivated": 0, "unchanged": 13}
    assert await stored(org) == items
    assert await audit_count(org) == audits + 2


async def test_a_later_list_updates_deactivates_and_reactivates_by_id(org: Database) -> None:
    done(await run_text(org, SMALL))
    later = """duties:
  - {id: a, role: manager, title: 每周带班检查一次, frequency: 每周2次, evidence: inspections}
  - {id: d, role: team_leader, title: 督办, frequency: 每月1次, evidence: digests_handled}
"""
    report = done(await run_text(org, later, now=NOW.replace(day=2)))
    assert report.counts() == {"created": 1, "updated": 1, "deactivated": 2, "reactivated": 0, "unchanged": 0}
    items = await stored(org)
    assert set(items) == {"a", "b", "c", "d"}  # b and c are kept for the months they were in force
    assert (items["a"][5], items["b"][-1], items["c"][-1], items["d"][-1]) == (2, False, False, True)
    async with org.session() as session:
        gone = await session.get(DutyItem, "b")
    assert gone is not None and gone.deactivated_at is not None
    back = done(await run_text(org, SMALL, now=NOW.replace(day=3)))
    assert back.counts() == {"created": 0, "updated": 1, "deactivated": 1, "reactivated": 2, "unchanged": 0}
    items = await stored(org)
    assert (items["b"][-1], items["c"][-1], items["d"][-1], items["a"][5]) == (True, True, False, 1)


async def test_every_error_names_its_line_in_the_users_language_and_nothing_changes(org: Database) -> None:
    done(await run_text(org, SMALL))
    before = await stored(org)
    async with org.session() as session:
        await session.exec(update(Person).where(col(Person.employee_no) == "E1003").values(active=False))
        await session.exec(update(Unit).where(col(Unit.id) == "team-mill").values(active=False))
    bad = """source: 测试清单
duties:
  - {id: ok, role: manager, title: 好的, frequency: 每周1次, evidence: inspections}
  - {id: x1, role: manager, title: 未知字段, frequency: 每周1次, evidence: inspections, often: yes}
  - {id: x2, role: manager, frequency: 每周1次, evidence: inspections}
  - {id: x3, role: manager, person: E1000, title: 两者都写, frequency: 每周1次, evidence: inspections}
  - {id: x4, title: 都没写, frequency: 每周1次, evidence: inspections}
  - {id: x5, role: boss, title: 未知角色, frequency: 每周1次, evidence: inspections}
  - {id: x6, person: X9999, title: 未知人员, frequency: 每周1次, evidence: inspections}
  - {id: x7, person: E1003, title: 停用人员, frequency: 每周1次, evidence: inspections}
  - {id: x8, role: manager, units: [nowhere], title: 未知单位, frequency: 每周1次, evidence: inspections}
  - {id: x9, role: staff, units: [team-mill], title: 停用单位, frequency: 每周1次, evidence: checkins}
  - {id: x10, person: E1000, units: [team-blast], title: 带单位, frequency: 每周1次, evidence: inspections}
  - {id: x11, role: manager, title: 频次错, frequency: 经常, evidence: inspections}
  - {id: x12, role: manager, title: 周期错, frequency: {every: fortnight}, evidence: inspections}
  - {id: x13, role: manager, title: 次数错, frequency: 每周0次, evidence: inspections}
  - {id: x14, role: manager, title: 依据错, frequency: 每周1次, evidence: photos}
  - {id: ok, role: manager, title: 重复, frequency: 每周1次, evidence: inspections}
  - {id: "has space", role: manager, title: 编号错, frequency: 每周1次, evidence: inspections}
"""
    found = problems(await run_text(org, bad))
    assert found == [
        (4, "unknown_key"),
        (5, "missing_field"),
        (6, "duty_role_and_person"),
        (7, "duty_no_holder"),
        (8, "unknown_role"),
        (9, "duty_unknown_person"),
        (10, "duty_inactive_person"),
        (11, "unknown_unit"),
        (12, "inactive_unit"),
        (13, "duty_units_with_person"),
        (14, "duty_bad_frequency"),
        (15, "duty_bad_every"),
        (16, "duty_bad_times"),
        (17, "duty_unknown_evidence"),
        (18, "duty_duplicate"),
        (19, "bad_id"),
    ]
    assert await stored(org) == before
    result = await run_text(org, bad)
    assert not isinstance(result, DutiesReport)
    texts = {p.code: p for p in result.problems}
    assert texts["duty_unknown_evidence"].text("zh-CN").startswith("未知的履职依据 'photos'")
    assert "cards_deployed" in texts["duty_unknown_evidence"].text("en")
    assert "X9999" in texts["duty_unknown_person"].text("zh-CN") and "工号" in texts[
        "duty_unknown_person"
    ].text("zh-CN")
    assert "每周1次" in texts["duty_bad_frequency"].text("zh-CN")
    assert "{every: week, times: 1}" in texts["duty_bad_frequency"].text("en")


async def test_the_file_as_a_whole_empty_lists_and_wrong_shapes(org: Database, tmp_path: Path) -> None:
    assert problems(await run_text(org, "duties: []\n")) == [(1, "empty_list")]
    assert problems(await run_text(org, "source: x\n")) == [(1, "missing_field")]
    assert problems(await run_text(org, "duties: [\n")) == [(1, "yaml_syntax")]
    assert problems(await run_text(org, "duties:\n  - just text\n")) == [(2, "wrong_type")]
    csv = tmp_path / "duties.csv"
    csv.write_text("id,role\n", encoding="utf-8")
    assert problems(await run_file(org, csv)) == [(0, "unsupported_file_type")]
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(9 * 1024 * 1024)  # a sparse 9 MB file: refused by its size before it is read
    assert problems(await run_file(org, huge)) == [(0, "file_too_large")]
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"not a zip at all")
    assert problems(await run_file(org, fake)) == [(0, "unreadable_file")]
    assert await stored(org) == {}


async def test_an_xlsx_list_is_the_same_as_the_yaml_one(org: Database, tmp_path: Path) -> None:
    rows = [
        ["a", "manager", None, None, "每周带班检查一次", "每周1次", "inspections"],
        ["b", "safety_officer", None, "proj-pulang", "验收销号", "每月两次", "hazards_verified"],
        ["c", None, "E1000", None, "爆破前检查", "每周2次", "inspections"],
    ]
    path = workbook(
        tmp_path / "duties.xlsx",
        [[*r, "测试清单" if n == 0 else None] for n, r in enumerate(rows)],
        header=HEADER_SOURCE,
    )
    first = done(await run_file(org, path))
    assert (first.created, first.source) == (3, "测试清单")
    from_xlsx = await stored(org)
    again = done(await run_text(org, SMALL))  # the YAML of the same list
    assert again.counts()["unchanged"] == 3
    assert await stored(org) == from_xlsx


async def test_xlsx_errors_name_their_rows(org: Database, tmp_path: Path) -> None:
    rows = [
        ["a", "manager", None, "proj-pulang;team-blast", "好的", "每周1次", "inspections"],
        ["b", "manager", "E1000", None, "两者", "每周1次", "inspections"],
        ["c", "manager", None, "nowhere", "未知单位", "每周1次", "inspections"],
        ["d", "manager", None, None, None, "每周1次", "inspections"],
        ["a", "manager", None, None, "重复", "每月1次", "none"],
        ["e", "manager", None, None, "次数", "每月一百次", "inspections"],
    ]
    found = problems(await run_file(org, workbook(tmp_path / "bad.xlsx", rows)))
    assert found == [
        (3, "duty_role_and_person"),
        (4, "unknown_unit"),
        (5, "missing_field"),
        (6, "duty_duplicate"),
        (7, "duty_bad_times"),
    ]
    other = workbook(tmp_path / "other.xlsx", rows, sheet="清单")
    assert problems(await run_file(org, other)) == [(0, "missing_sheet")]
    columns = workbook(
        tmp_path / "columns.xlsx", rows, header=["id", "role", "who", "units", "title", "frequency"]
    )
    assert problems(await run_file(org, columns)) == [(1, "unknown_columns"), (1, "missing_columns")]
    assert await stored(org) == {}


async def test_two_imports_at_once_end_as_one_files_list(
    org: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two sessions (two admins, two processes) import different lists with the same ids at the same time:
    both finish, no id is stored twice, and the list is exactly one of the two files'. Each import dwells
    after reading the stored list, so that without the lock both would read it empty and insert the same
    ids."""
    read = dlq.all_items

    async def slow_read(session: AsyncSession) -> list[DutyItem]:
        found = await read(session)
        await asyncio.sleep(0.3)
        return found

    monkeypatch.setattr(dlq, "all_items", slow_read)
    first = SMALL
    second = SMALL.replace("每周带班检查一次", "带班检查（第二份）").replace("验收销号", "验收（第二份）")
    second += "  - {id: z, role: staff, title: 班前确认, frequency: 每个工作日1次, evidence: checkins}\n"
    other = Database(org.url)
    try:

        async def run(db: Database, text: str) -> DutiesReport:
            return done(await run_text(db, text))

        reports = await asyncio.gather(run(org, first), run(other, second))
    finally:
        await other.dispose()
    assert sorted(r.created for r in reports) in ([0, 4], [1, 3])  # one created them, the other found them
    items = await stored(org)
    titles = {k: v[0] for k, v in items.items() if v[-1]}
    one = {"a": "每周带班检查一次", "b": "验收销号", "c": "爆破前检查"}
    two = {"a": "带班检查（第二份）", "b": "验收（第二份）", "c": "爆破前检查", "z": "班前确认"}
    assert titles in (one, two)
    async with org.session() as session:
        ids = [i.id for i in (await session.exec(select(DutyItem))).all()]
    assert len(ids) == len(set(ids))


def test_the_cli_prints_counts_then_problems_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import app as main_app

    monkeypatch.setenv("SAFETYBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    monkeypatch.setenv("SAFETYBOT_LANGUAGE", "zh-CN")
    assert runner.invoke(main_app, ["import", "org", str(EXAMPLES / "org.yaml")]).exit_code == 0
    app = typer.Typer()
    app.command()(import_duties_command)
    finished = runner.invoke(app, [str(DUTIES)])
    assert finished.exit_code == 0, finished.output
    assert "责任清单：新增 13，更新 0，停用 0，恢复 0，未变 0" in finished.stdout
    assert "来源：示例责任清单（非企业正式文本）" in finished.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "duties:\n  - {id: a, role: manager, title: 检查, frequency: 每周1次, evidence: photos}\n",
        encoding="utf-8",
    )
    refused = runner.invoke(app, [str(bad)])
    assert refused.exit_code == 1
    assert f"{bad}:2: 未知的履职依据 'photos'" in refused.stderr
    monkeypatch.setenv("SAFETYBOT_LANGUAGE", "en")
    again = runner.invoke(app, [str(DUTIES)])
    assert again.exit_code == 0, again.output
    assert "Duty list: 0 new, 0 updated, 0 deactivated, 0 reactivated, 13 unchanged" in again.stdout
