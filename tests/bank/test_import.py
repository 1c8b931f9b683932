"""`import questions` against the database (SQLite and PostgreSQL): the sample bank, idempotency, the three
formats, all-or-nothing refusal, deactivation and the questions-only CSV."""

from __future__ import annotations

import copy
from pathlib import Path

from bot.demo import prepare_sandbox
from bot.sandbox import SandboxServer
from bot.settings import Settings
from safety import bank
from storage.db import Database
from tests.bank.helpers import (
    SAMPLE,
    SAMPLE_DATA,
    audit_count,
    audit_entries,
    ok,
    rejected,
    run_import,
    snapshot,
    write_csv,
    write_xlsx,
    write_yaml,
)

NONE = {"created": 0, "updated": 0, "deactivated": 0, "reactivated": 0}


def _no_changes(report_counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in report_counts.items() if k != "unchanged"}


async def test_sample_bank_imports_nine_prohibitions_and_fifteen_questions(db: Database) -> None:
    report = ok(await run_import(db, SAMPLE))
    assert report.as_dict() == {
        "prohibitions": {**NONE, "created": 9, "unchanged": 0},
        "questions": {**NONE, "created": 15, "unchanged": 0},
    }
    assert report.is_sample and report.source == SAMPLE_DATA["source"]
    async with db.session() as session:
        view = await bank.loaded_bank(session)
        draw = await bank.questions_for_draw(session)
    assert view.loaded and view.is_sample and view.source == SAMPLE_DATA["source"]
    assert [p.number for p in view.prohibitions] == list(range(1, 10))
    assert view.prohibitions[3].title == "严禁违章指挥、违章作业" and view.prohibitions[3].questions == 3
    assert view.question_count == 15
    assert list(draw) == list(range(1, 10)) and [q.id for q in draw[4]] == ["q-006", "q-007", "q-008"]
    q002 = next(q for q in draw[1] if q.id == "q-002")
    assert (q002.type, q002.options, q002.answer) == ("judge", ["对", "错"], [1])
    q003 = draw[2][0]
    assert (q003.type, q003.answer, len(q003.options)) == ("multi", [0, 1, 3], 4)
    entries = await audit_entries(db)
    assert len(entries) == 1 and entries[0].subject == "questions.yaml"
    assert entries[0].detail is not None and entries[0].detail["questions"]["created"] == 15
    assert entries[0].detail["source"] == SAMPLE_DATA["source"] and entries[0].detail["sample"] is True


async def test_reimport_changes_nothing(db: Database) -> None:
    ok(await run_import(db, SAMPLE))
    before = await snapshot(db)
    again = ok(await run_import(db, SAMPLE))
    assert again.created == 0 and again.updated == 0 and not again.changed
    assert again.as_dict()["questions"] == {**NONE, "unchanged": 15}
    assert await snapshot(db) == before
    assert len(await audit_entries(db)) == 2  # every applied import is audited


async def test_yaml_csv_and_xlsx_store_the_same_bank(db: Database, tmp_path: Path) -> None:
    ok(await run_import(db, SAMPLE))
    from_yaml = await snapshot(db)
    # XLSX over a different bank: the result is the sample again
    other = copy.deepcopy(SAMPLE_DATA)
    other["source"] = "公司题库 2026"
    for question in other["questions"]:
        question["stem"] += "？"
    ok(await run_import(db, write_yaml(tmp_path / "other.yaml", other)))
    assert await snapshot(db) != from_yaml
    report = ok(await run_import(db, write_xlsx(tmp_path / "bank.xlsx", SAMPLE_DATA)))
    assert report.as_dict()["questions"] == {**NONE, "updated": 15, "unchanged": 0}
    assert await snapshot(db) == from_yaml
    # CSV: questions only, onto the loaded prohibitions; first change them back through the other bank
    ok(await run_import(db, write_yaml(tmp_path / "other.yaml", {**other, "source": SAMPLE_DATA["source"]})))
    csv_report = ok(await run_import(db, write_csv(tmp_path / "q.csv", SAMPLE_DATA["questions"])))
    assert csv_report.prohibitions is None and csv_report.as_dict()["questions"]["updated"] == 15
    assert await snapshot(db) == from_yaml


async def test_xlsx_with_the_source_on_every_row(db: Database, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "bank.xlsx", SAMPLE_DATA, source_on_every_row=True)
    report = ok(await run_import(db, path))
    assert report.source == SAMPLE_DATA["source"] and report.created == 24


async def test_file_with_three_errors_lists_them_all_and_changes_nothing(
    db: Database, tmp_path: Path
) -> None:
    ok(await run_import(db, SAMPLE))
    before, audits = await snapshot(db), await audit_count(db)
    text = SAMPLE.read_text(encoding="utf-8")
    edits = {
        "    answer: A\n    explanation: 隐患未排除": "    answer: E\n    explanation: 隐患未排除",  # q-001
        "id: q-013\n    prohibition: 8\n    type: judge": "id: q-013\n    prohibition: 8\n    type: tf",
        "  - id: q-014\n    prohibition: 9": "  - id: q-014\n    prohibition: 12",
    }
    for old, new in edits.items():
        assert text.count(old) == 1
        text = text.replace(old, new)
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()

    def line_of(fragment: str) -> int:
        return next(n for n, line in enumerate(lines, start=1) if fragment in line)

    assert rejected(await run_import(db, path)) == [
        (line_of("answer: E"), "answer_beyond_options"),
        (line_of("type: tf"), "bad_question_type"),
        (line_of("prohibition: 12"), "unknown_prohibition"),
    ]
    assert await snapshot(db) == before and await audit_count(db) == audits


async def test_questions_missing_from_a_new_bank_are_deactivated_not_deleted(
    db: Database, tmp_path: Path
) -> None:
    ok(await run_import(db, SAMPLE))
    smaller = copy.deepcopy(SAMPLE_DATA)
    smaller["prohibitions"] = [p for p in smaller["prohibitions"] if p["number"] != 9]
    smaller["questions"] = [
        q for q in smaller["questions"] if q["prohibition"] != 9 and q["id"] not in {"q-007", "q-008"}
    ]
    report = ok(await run_import(db, write_yaml(tmp_path / "smaller.yaml", smaller)))
    assert report.as_dict()["prohibitions"] == {**NONE, "deactivated": 1, "unchanged": 8}
    assert report.as_dict()["questions"] == {**NONE, "deactivated": 4, "unchanged": 11}
    rows = await snapshot(db)
    inactive = sorted(r[0] for r in rows["questions"] if not r[-1])
    assert inactive == ["q-007", "q-008", "q-014", "q-015"] and len(rows["questions"]) == 15
    assert [r[0] for r in rows["prohibitions"] if not r[-1]] == [9]
    async with db.session() as session:
        view = await bank.loaded_bank(session)
        draw = await bank.questions_for_draw(session)
    assert [p.number for p in view.prohibitions] == list(range(1, 9))
    assert 9 not in draw and [q.id for q in draw[4]] == ["q-006"]
    # the full bank again brings them back
    back = ok(await run_import(db, SAMPLE))
    assert back.as_dict()["questions"] == {**NONE, "reactivated": 4, "unchanged": 11}
    assert back.as_dict()["prohibitions"] == {**NONE, "reactivated": 1, "unchanged": 8}


async def test_csv_adds_and_updates_but_deactivates_nothing(db: Database, tmp_path: Path) -> None:
    ok(await run_import(db, SAMPLE))
    extra = {
        "id": "q-100",
        "prohibition": 4,
        "type": "judge",
        "stem": "班组长口头同意即可不系安全带进行高处作业。",
        "answer": "×",
        "explanation": "违章作业。",
    }
    report = ok(await run_import(db, write_csv(tmp_path / "more.csv", [extra])))
    assert report.as_dict() == {"questions": {**NONE, "created": 1, "unchanged": 0}}
    assert report.source == SAMPLE_DATA["source"]
    rows = {r[0]: r for r in (await snapshot(db))["questions"]}
    assert len(rows) == 16 and all(r[-1] for r in rows.values())
    assert rows["q-100"][4:6] == ('["对", "错"]', "[1]") and rows["q-100"][7] == SAMPLE_DATA["source"]


async def test_csv_needs_a_loaded_bank(db: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "q.csv", SAMPLE_DATA["questions"])
    assert rejected(await run_import(db, path)) == [(0, "no_bank_loaded")]
    assert (await snapshot(db))["questions"] == []


async def test_csv_must_not_empty_a_prohibition(db: Database, tmp_path: Path) -> None:
    ok(await run_import(db, SAMPLE))
    # q-013 is the only question of prohibition 8: moving it to 7 would leave 8 without any
    moved = next(dict(q) for q in SAMPLE_DATA["questions"] if q["id"] == "q-013")
    moved["prohibition"] = 7
    problems = rejected(await run_import(db, write_csv(tmp_path / "q.csv", [moved])))
    assert problems == [(0, "prohibition_without_questions")]


async def test_csv_unknown_prohibition_names_the_csv_line(db: Database, tmp_path: Path) -> None:
    ok(await run_import(db, SAMPLE))
    rows = [dict(q) for q in SAMPLE_DATA["questions"][:3]]
    rows[2]["prohibition"] = 10
    assert rejected(await run_import(db, write_csv(tmp_path / "q.csv", rows))) == [(4, "unknown_prohibition")]


async def test_no_bank_loaded_view(db: Database) -> None:
    async with db.session() as session:
        view = await bank.loaded_bank(session)
        assert await bank.questions_for_draw(session) == {}
        assert not await bank.has_questions(session)
    assert not view.loaded and view.source is None and not view.is_sample


async def test_sandbox_demo_loads_the_sample_bank_once(db: Database) -> None:
    server = SandboxServer(token="1:demo", host="127.0.0.1", port=0)
    settings = Settings(database_url=db.url, telegram_token=None, _env_file=None)  # type: ignore[call-arg]
    await prepare_sandbox(settings, server)
    async with db.session() as session:
        view = await bank.loaded_bank(session)
    assert view.is_sample and view.question_count == 15
    await prepare_sandbox(settings, server)
    assert len(await audit_entries(db)) == 1
