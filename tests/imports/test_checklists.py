"""`safetybot import checklists`: the sample file loads; every problem names its line and nothing is
stored; importing again changes nothing; a checklist left out is deactivated and comes back when listed;
org files carry a unit's required inspection."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from safety.imports.checklists_file import (
    ChecklistsReport,
    import_checklists,
    import_checklists_file,
    parse_checklists,
)
from safety.imports.org_file import parse_org
from safety.imports.plan import OrgPlan
from safety.imports.results import ImportRejected
from storage.db import Database
from storage.models import AuditEntry, Checklist

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

GOOD = """\
source: 测试检查表
checklists:
  - id: fire
    title: 消防器材检查
    items: [灭火器在有效期内, 消防通道畅通]
  - id: edges
    title: 临边洞口
    items:
      - 临边设置防护栏杆
"""


async def test_the_sample_file_loads_and_again_changes_nothing(db: Database) -> None:
    async with db.session() as session:
        report = await import_checklists_file(session, EXAMPLES / "checklists.yaml")
    assert isinstance(report, ChecklistsReport), report
    assert report.counts.created == 5 and "示例" in (report.plan.source or "")
    async with db.session() as session:
        stored = (await session.exec(select(Checklist))).all()
        again = await import_checklists_file(session, EXAMPLES / "checklists.yaml")
    assert {c.id for c in stored} == {"scaffold", "lifting", "fire", "edges", "confined"}
    assert all(5 <= len(c.items) <= 8 and c.active for c in stored)
    assert isinstance(again, ChecklistsReport)
    assert (again.counts.created, again.counts.updated, again.counts.unchanged) == (0, 0, 5)


async def test_updates_deactivates_and_reactivates_by_id(db: Database) -> None:
    async with db.session() as session:
        assert isinstance(await import_checklists(session, GOOD), ChecklistsReport)
    changed = GOOD.replace("消防通道畅通", "消防通道畅通无阻").split("  - id: edges")[0]
    async with db.session() as session:
        report = await import_checklists(session, changed)
    assert isinstance(report, ChecklistsReport)
    assert (report.counts.updated, report.counts.deactivated) == (1, 1)
    async with db.session() as session:
        rows = {c.id: c for c in (await session.exec(select(Checklist))).all()}
    assert rows["fire"].items == ["灭火器在有效期内", "消防通道畅通无阻"]
    assert not rows["edges"].active  # kept for past inspections, no longer offered
    async with db.session() as session:
        back = await import_checklists(session, GOOD)
        audits = (
            await session.exec(select(AuditEntry).where(AuditEntry.action == "import.checklists"))
        ).all()
    assert isinstance(back, ChecklistsReport) and back.counts.reactivated == 1
    assert len(audits) == 3


async def test_a_file_with_errors_names_each_line_and_stores_nothing(db: Database) -> None:
    many = ", ".join(f"第{i}项" for i in range(51))
    bad = f"""\
checklists:
  - id: fire
    title: 消防
    items: [灭火器, 灭火器]
  - id: fire
    title: 又一张
    items: [a]
  - id: empty
    title: 空表
    items: []
  - id: many
    title: 太多
    items: [{many}]
  - id: long
    title: 太长
    items: [{"长" * 301}]
  - id: hidden
    title: "隐\u200b藏"
    items: ["项\u200b目"]
  - id: extra
    title: 多余
    items: [a]
    colour: red
  - id: has space
    title: 空格
    items: [a]
"""
    async with db.session() as session:
        result = await import_checklists(session, bad)
        stored = (await session.exec(select(Checklist))).all()
    assert isinstance(result, ImportRejected)
    found = [(p.line, p.code) for p in result.problems]
    assert found == [
        (4, "duplicate_checklist_item"),
        (5, "duplicate_checklist"),
        (10, "empty_list"),
        (13, "too_many_checklist_items"),
        (16, "too_long"),
        (18, "hidden_characters"),
        (19, "hidden_characters"),
        (23, "unknown_key"),
        (24, "bad_id"),
    ]
    assert result.problems[1].params["first_line"] == 2
    assert stored == []


def test_an_empty_list_or_missing_key_is_refused() -> None:
    empty = parse_checklists("checklists: []\n")
    assert isinstance(empty, tuple) and [p.code for p in empty] == ["empty_list"]
    missing = parse_checklists("source: x\n")
    assert isinstance(missing, tuple) and [p.code for p in missing] == ["missing_field"]


def test_cli_prints_lines_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("checklists:\n  - id: a\n    title: t\n    items: [x, x]\n", encoding="utf-8")
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    result = CliRunner().invoke(app, ["import", "checklists", str(path), "--database-url", url])
    assert result.exit_code == 1, result.output
    assert f"{path}:4:" in result.output
    good = CliRunner().invoke(
        app, ["import", "checklists", str(EXAMPLES / "checklists.yaml"), "--database-url", url]
    )
    assert good.exit_code == 0, good.output
    assert "5" in good.output


ORG = """\
units:
  - id: root
    name: 项目部
    children:
      - id: team
        name: 班组
        inspection: {every: daily, due: "17:00", by: team_leader}
      - id: other
        name: 另一个班组
        inspection: {every: weekly, due: "25:00", by: boss, when: x}
"""


def test_org_file_validates_required_inspections() -> None:
    result = parse_org(ORG)
    assert isinstance(result, tuple)
    assert [(p.line, p.code) for p in result] == [
        (10, "unknown_key"),
        (10, "bad_inspection_every"),
        (10, "bad_time"),
        (10, "unknown_role"),
    ]
    good = parse_org(ORG.split("      - id: other")[0])
    assert isinstance(good, OrgPlan)
    team = next(u for u in good.units if u.id == "team")
    assert team.inspection == {"every": "daily", "due": "17:00", "by": "team_leader"}
