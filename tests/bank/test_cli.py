"""`safetybot import questions FILE` through typer's CliRunner, on a temporary SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli_import import import_app
from safety.texts import t
from tests.bank.helpers import SAMPLE, SAMPLE_DATA, write_csv, write_xlsx, write_yaml

runner = CliRunner()


def en(key: str, **params: object) -> str:
    return t("en", key, **params)


def counts_line(kind: str, created: int = 0, unchanged: int = 0, **rest: int) -> str:
    values = {"created": created, "updated": 0, "deactivated": 0, "reactivated": 0, "unchanged": unchanged}
    return en("import_cli.counts", kind=en(f"bank.kind_{kind}"), **{**values, **rest})


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFETYBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SAFETYBOT_LANGUAGE", "en")


def test_sample_bank_then_again(tmp_path: Path) -> None:
    first = runner.invoke(import_app, ["questions", str(SAMPLE)])
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines() == [
        counts_line("prohibitions", created=9),
        counts_line("questions", created=15),
        en("bank.cli_source", source=SAMPLE_DATA["source"]),
        en("bank.cli_sample"),
    ]
    again = runner.invoke(import_app, ["questions", str(SAMPLE)])
    assert again.exit_code == 0, again.output
    assert counts_line("questions", unchanged=15) in again.stdout.splitlines()
    assert "0 created, 0 updated" in again.stdout


def test_company_bank_has_no_sample_note(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "company.yaml", {**SAMPLE_DATA, "source": "某公司安全生产禁令（2026版）"})
    result = runner.invoke(import_app, ["questions", str(path)])
    assert result.exit_code == 0, result.output
    assert en("bank.cli_sample") not in result.stdout
    assert en("bank.cli_source", source="某公司安全生产禁令（2026版）") in result.stdout


def test_problems_exit_one_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = SAMPLE.read_text(encoding="utf-8").replace(
        "answer: ABD\n    explanation: 严禁使用", "answer: X\n    explanation: 严禁使用"
    )
    bad.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if row.strip() == "answer: X")
    result = runner.invoke(import_app, ["questions", str(bad)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{bad}:{line}: " + en("import_problem.answer_beyond_options", letter="X", count=4, last="D"),
        en("import_cli.problems_found", path=bad, count=1),
    ]
    # nothing was stored: a CSV now has no prohibitions to refer to
    csv = write_csv(tmp_path / "q.csv", SAMPLE_DATA["questions"])
    refused = runner.invoke(import_app, ["questions", str(csv)])
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0] == f"{csv}: " + en("import_problem.no_bank_loaded")


def test_xlsx_problem_names_sheet_and_row(tmp_path: Path) -> None:
    data = {**SAMPLE_DATA, "questions": [dict(q) for q in SAMPLE_DATA["questions"]]}
    data["questions"][0]["stem"] = "问" * 501
    path = write_xlsx(tmp_path / "bank.xlsx", data)
    result = runner.invoke(import_app, ["questions", str(path)])
    assert result.exit_code == 1
    message = en(
        "bank.in_sheet", sheet="questions", problem=en("import_problem.too_long", field="stem", max=500)
    )
    assert result.stderr.splitlines()[0] == f"{path}:2: {message}"


def test_csv_after_a_bank(tmp_path: Path) -> None:
    assert runner.invoke(import_app, ["questions", str(SAMPLE)]).exit_code == 0
    result = runner.invoke(
        import_app, ["questions", str(write_csv(tmp_path / "q.csv", SAMPLE_DATA["questions"]))]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == counts_line("questions", unchanged=15)


def test_large_file_reports_progress(tmp_path: Path) -> None:
    questions = [
        {"id": f"j{i:04d}", "prohibition": 1, "type": "judge", "stem": f"判断题 {i}", "answer": "对"}
        for i in range(1200)
    ]
    data = {"source": "load test", "prohibitions": [SAMPLE_DATA["prohibitions"][0]], "questions": questions}
    result = runner.invoke(import_app, ["questions", str(write_yaml(tmp_path / "big.yaml", data))])
    assert result.exit_code == 0, result.output
    progress = [line for line in result.stderr.splitlines() if line.startswith(en("bank.kind_questions"))]
    assert progress and progress[-1].startswith(f"{en('bank.kind_questions')}: 1200/1200")
    assert counts_line("questions", created=1200) in result.stdout.splitlines()


def test_chinese_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAFETYBOT_LANGUAGE")
    result = runner.invoke(import_app, ["questions", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert t("zh-CN", "bank.cli_sample") in result.stdout.splitlines()
