"""Roster import (CSV and XLSX), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import event

from storage.db import Database
from tests.imports.helpers import (
    EXAMPLES,
    ORG_TEXT,
    audit_count,
    ok,
    people_state,
    rejected,
    run_org,
    run_roster,
    snapshot,
)

HEADER = ["employee_no", "name", "phone", "unit", "roles"]


def example_rows() -> list[list[str]]:
    with (EXAMPLES / "roster.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == HEADER
    return rows[1:]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER, bom: bool = False) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[Any]], header: list[str] = HEADER) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "花名册"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("other").append(["ignored"])
    workbook.save(path)
    return path


async def test_example_roster_after_example_org_changes_nothing(db: Database) -> None:
    ok(await run_org(db, ORG_TEXT))
    before = await snapshot(db)
    report = ok(await run_roster(db, EXAMPLES / "roster.csv"))
    assert (report.created, report.updated, report.deactivated, report.people.unchanged) == (0, 0, 0, 20)
    assert report.as_dict().keys() == {"people"}
    assert await snapshot(db) == before
    # and the org file after the roster changes nothing either
    assert not ok(await run_org(db, ORG_TEXT)).changed
    assert await snapshot(db) == before


async def test_csv_with_bom_creates_updates_and_reimports_idempotently(db: Database, tmp_path: Path) -> None:
    ok(await run_org(db, ORG_TEXT))
    rows = example_rows()
    rows[1] = ["A0001", "钱七", "13900000002", "proj-pulang", "admin;manager"]  # moved, new phone and roles
    rows.append(["E3000", "新员工", "", "team-mill", "staff；team_leader"])  # full-width separator
    path = write_csv(tmp_path / "roster.csv", rows, bom=True)
    report = ok(await run_roster(db, path))
    assert (report.people.created, report.people.updated, report.people.unchanged) == (1, 1, 19)
    state = await people_state(db)
    assert state["A0001"] == (
        "钱七",
        "13900000002",
        "proj-pulang",
        True,
        ("admin@proj-pulang", "manager@proj-pulang"),
    )
    assert state["E3000"] == ("新员工", None, "team-mill", True, ("staff@team-mill", "team_leader@team-mill"))
    before = await snapshot(db)
    again = ok(await run_roster(db, path))
    assert not again.changed and again.people.unchanged == 21
    assert await snapshot(db) == before
    assert await audit_count(db) == 3


async def test_xlsx_first_sheet_with_numeric_cells(db: Database, tmp_path: Path) -> None:
    ok(await run_org(db, ORG_TEXT))
    rows: list[list[Any]] = [list(r) for r in example_rows()]
    rows.append([90001, "数字工号", 13800000099, "team-blast", "staff"])  # typed as numbers in Excel
    rows.append([None, None, None, None, None])  # a blank row is skipped
    path = write_xlsx(tmp_path / "roster.xlsx", rows)
    report = ok(await run_roster(db, path))
    assert (report.people.created, report.people.unchanged) == (1, 20)
    assert (await people_state(db))["90001"] == (
        "数字工号",
        "13800000099",
        "team-blast",
        True,
        ("staff@team-blast",),
    )


async def test_missing_people_are_deactivated_not_deleted_and_come_back(db: Database, tmp_path: Path) -> None:
    ok(await run_org(db, ORG_TEXT))
    before = await snapshot(db)
    rows = [r for r in example_rows() if r[0] not in {"E1001", "E1002"}]
    report = ok(await run_roster(db, write_csv(tmp_path / "fewer.csv", rows)))
    assert (report.people.deactivated, report.people.unchanged) == (2, 18)
    state = await people_state(db)
    assert len(state) == 20
    assert state["E1001"][3] is False and state["E1002"][3] is False and state["E1000"][3] is True
    assert state["E1001"][4] == ("staff@team-blast",)  # history (and role rows) kept
    back = ok(await run_roster(db, EXAMPLES / "roster.csv"))
    assert (back.people.reactivated, back.people.unchanged, back.people.created) == (2, 18, 0)
    assert await snapshot(db) == before  # same ids, same rows as before the round trip


async def test_roster_errors_name_rows_and_change_nothing(db: Database, tmp_path: Path) -> None:
    ok(await run_org(db, ORG_TEXT))
    data = yaml_without_xinqiao()
    ok(await run_org(db, data))  # proj-xinqiao and team-mill are now deactivated
    before = await snapshot(db)
    rows = [r for r in example_rows() if r[3] not in {"proj-xinqiao", "team-mill"}]
    rows[0] = ["M0001", "赵六", "13800000001", "no-such-unit", "manager"]  # line 2
    rows[3] = ["M0101", "周建国", "138", "proj-pulang", "manager"]  # line 5
    rows[5] = ["S0002", "吴敏", "13800000006", "proj-pulang", "inspector"]  # line 7
    rows.append(["E9", "多行\n姓名", "", "team-mill", "staff"])  # starts on line 18, unit deactivated
    rows.append(["E1001", "重复", "", "team-blast", "staff"])  # line 20 (the row above takes two lines)
    result = await run_roster(db, write_csv(tmp_path / "bad.csv", rows))
    assert rejected(result) == [
        (2, "unknown_unit"),
        (5, "bad_phone"),
        (7, "unknown_role"),
        (18, "hidden_characters"),  # a name never spans lines (U+000A)
        (18, "inactive_unit"),
        (20, "duplicate_employee_no"),
    ]
    assert await snapshot(db) == before


def yaml_without_xinqiao() -> str:
    import yaml

    data = yaml.safe_load(ORG_TEXT)
    data["units"][0]["children"] = [c for c in data["units"][0]["children"] if c["id"] != "proj-xinqiao"]
    data["people"] = [p for p in data["people"] if p["unit"] not in {"proj-xinqiao", "team-mill"}]
    return str(yaml.safe_dump(data, allow_unicode=True))


async def test_unreadable_files_are_refused(db: Database, tmp_path: Path) -> None:
    ok(await run_org(db, ORG_TEXT))
    before = await snapshot(db)
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("employee_no,name,phone,unit,roles\nE1,张三,,team-blast,staff\n".encode("gbk"))
    bad_xlsx = tmp_path / "broken.xlsx"
    bad_xlsx.write_bytes(b"not a zip file")
    txt = tmp_path / "roster.txt"
    txt.write_text("x", encoding="utf-8")
    cases = {
        gbk: [(0, "bad_encoding")],
        bad_xlsx: [(0, "unreadable_file")],
        txt: [(0, "unsupported_file_type")],
        tmp_path / "missing.csv": [(0, "unreadable_file")],
        write_csv(
            tmp_path / "cols.csv",
            [["E1", "甲", "team-blast", "staff"]],
            ["employee_no", "name", "unit", "role"],
        ): [
            (1, "unknown_columns"),
            (1, "missing_columns"),
        ],
        write_csv(tmp_path / "empty.csv", []): [(1, "empty_roster")],
        write_xlsx(tmp_path / "empty.xlsx", []): [(1, "empty_roster")],
        write_csv(tmp_path / "noroles.csv", [["E1", "甲", "", "team-blast", " "]]): [(2, "missing_field")],
    }
    for path, expected in cases.items():
        assert rejected(await run_roster(db, path)) == expected, path.name
    assert await snapshot(db) == before


async def test_large_roster_uses_batched_queries(db: Database, tmp_path: Path) -> None:
    ok(await run_org(db, ORG_TEXT))
    teams = ["team-blast", "team-drill", "team-haul", "team-mill"]
    rows = [[f"X{i:05d}", f"工人{i}", f"139{i:08d}", teams[i % 4], "staff"] for i in range(3000)]
    path = write_csv(tmp_path / "big.csv", rows)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        report = ok(await run_roster(db, path))
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert (report.people.created, report.people.deactivated) == (3000, 20)
    assert len(statements) < 60, f"{len(statements)} statements for 3000 rows"
    state = await people_state(db)
    assert sum(1 for v in state.values() if v[3]) == 3000
