"""The export's 履职记录 sheet, on both databases: one row per leader of the exported units, in the order of
their unit and employee number, each with the figures of their own month; headers from the catalog; the
rows streamed (an async generator)."""

from __future__ import annotations

import inspect
from pathlib import Path

from safety.export.period import parse_month
from safety.export.scope import load_scope
from safety.imports.results import ImportReport
from safety.imports.service import import_org_file
from safety.leader_record.sheet import COLUMNS, RECORD_SHEET, RecordSheet
from safety.texts import t
from storage.db import Database
from tests.flow.harness import EXAMPLES
from tests.record.script import DEFAULTS, READ_AT, play

EMPTY = [0, 0, 0, None, 0, None, 0, None, 0, 0, 0, None, 0, None, 0, None, 0, 0, None, 0]


async def _rows(
    db: Database, sheet: RecordSheet, unit: str | None, language: str = "zh-CN"
) -> list[list[object]]:
    async with db.session() as session:
        scope = await load_scope(session, month=parse_month("2026-11"), unit=unit, defaults=DEFAULTS)
        produced = sheet.rows(session, scope, language)
        assert inspect.isasyncgen(produced)
        return [row async for row in produced]


async def test_one_row_per_leader_with_their_own_figures(db: Database, tmp_path: Path) -> None:
    async with db.session() as session:
        assert isinstance(await import_org_file(session, EXAMPLES / "org.yaml"), ImportReport)
    await play(db, tmp_path)
    rows = await _rows(db, RecordSheet(now=READ_AT), None)
    assert [r[0] for r in rows] == [
        "A0002", "M0001", "M0101", "S0001", "S0002", "M0201", "S0201", "E1000", "E1100", "E1200", "E2000",
    ]  # fmt: skip
    by_no = {r[0]: r for r in rows}
    officer = t("zh-CN", "roles.safety_officer")
    assert by_no["S0001"][:4] == ["S0001", "王五", "普朗铜矿项目部", officer]
    # read, deployed, on time, median | accidents, median | shifts, median | remind, excuse, handled, median
    # | leave, median | assigned, median | accepted, rejected, median | late, unanswered
    assert by_no["S0001"][4:] == [1, 1, 1, 10, 1, 6, 1, 20, 0, 0, 1, 10, 1, 10, 1, 30, 1, 1, 70, 1, 3]
    # 吴敏: one 提醒 (5 min); the card she never read and the two reports never assigned wait on her
    assert by_no["S0002"][4:] == [0, 0, 0, None, *[0, None] * 2, 1, 0, 0, 5, *[0, None] * 2, 0, 0, None, 0, 3]
    assert by_no["E1000"][3] == t("zh-CN", "roles.team_leader")
    assert by_no["E1000"][4:] == [
        0,
        0,
        0,
        None,
        *[0, None] * 2,
        0,
        0,
        0,
        None,
        1,
        10,
        0,
        None,
        0,
        0,
        None,
        0,
        0,
    ]
    assert by_no["E2000"][4:] == [*EMPTY, 0]
    assert all(len(r) == len(COLUMNS) for r in rows)


async def test_the_units_exported_decide_whose_rows(db: Database, tmp_path: Path) -> None:
    async with db.session() as session:
        assert isinstance(await import_org_file(session, EXAMPLES / "org.yaml"), ImportReport)
    rows = await _rows(db, RECORD_SHEET, "proj-xinqiao", "en")
    assert [r[:4] for r in rows] == [
        ["M0201", "郑强", "新桥选矿厂项目部", t("en", "roles.manager")],
        ["S0201", "冯丽", "新桥选矿厂项目部", t("en", "roles.safety_officer")],
        ["E2000", "林涛", "选矿班", t("en", "roles.team_leader")],
    ]
    headers = [c.header for c in RECORD_SHEET.columns("en")]
    assert headers[0] == t("en", "export.record_col.employee_no") and len(headers) == len(COLUMNS)
    assert RECORD_SHEET.key == "record" and t("zh-CN", "export.sheet.record") == "履职记录"
