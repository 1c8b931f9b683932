"""Every validation rule of the question bank, without a database: YAML, CSV and XLSX readers and rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from safety.bank import is_sample_source
from safety.imports.problems import Problem
from safety.imports.questions_model import BankPlan, SheetProblem, sort_key
from safety.imports.questions_read import read_bank
from safety.imports.questions_rules import answer_letters, validate_bank
from safety.texts import t
from tests.bank.helpers import QUESTION_HEADER, SAMPLE, SAMPLE_DATA, write_xlsx

P1 = "{number: 1, title: 甲禁令, text: 严禁甲。}"
P2 = "{number: 2, title: 乙禁令, text: 严禁乙。}"
SINGLE = "{id: a1, prohibition: 1, type: single, stem: 问一, options: [甲, 乙, 丙], answer: B}"
JUDGE = "{id: a2, prohibition: 2, type: judge, stem: 问二, answer: 对}"
FIRST_QUESTION_LINE = 6  # source, prohibitions:, P1, P2, questions:


def bank_text(*questions: str, prohibitions: tuple[str, ...] = (P1, P2), source: str = "测试题库") -> str:
    lines = [f"source: {source}", "prohibitions:", *(f"  - {p}" for p in prohibitions), "questions:"]
    lines += [f"  - {q}" for q in questions]
    return "\n".join(lines) + "\n"


def check(path: Path, loaded: tuple[int, ...] = ()) -> BankPlan | list[Problem]:
    raw, problems = read_bank(path)
    if raw is None:
        return sorted(problems, key=sort_key)
    plan = validate_bank(raw, loaded=loaded)
    if isinstance(plan, list) or problems:
        return sorted(problems + (plan if isinstance(plan, list) else []), key=sort_key)
    return plan


def problems(path: Path, loaded: tuple[int, ...] = ()) -> list[Problem]:
    result = check(path, loaded)
    assert isinstance(result, list), result
    return result


def codes(tmp_path: Path, text: str, name: str = "bank.yaml") -> list[tuple[int, str]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = check(path)
    assert isinstance(result, list), result
    return [(p.line, p.code) for p in result]


def plan_of(tmp_path: Path, text: str) -> BankPlan:
    path = tmp_path / "bank.yaml"
    path.write_text(text, encoding="utf-8")
    result = check(path)
    assert isinstance(result, BankPlan), [f"{p.line}: {p.message}" for p in result]
    return result


def test_the_sample_file_is_valid_and_labelled_as_a_sample() -> None:
    plan = check(SAMPLE)
    assert isinstance(plan, BankPlan)
    assert plan.prohibitions is not None and len(plan.prohibitions) == 9 and len(plan.questions) == 15
    assert plan.source == SAMPLE_DATA["source"] and is_sample_source(plan.source)


@pytest.mark.parametrize(
    ("source", "sample"),
    [
        ("示例题库", True),
        ("Sample bank", True),
        ("EXAMPLE", True),
        ("样例", True),
        ("中铝集团十条禁令", False),
        ("", False),
    ],
)
def test_sample_detection(source: str, sample: bool) -> None:
    assert is_sample_source(source) is sample


def test_valid_minimal_bank(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, bank_text(SINGLE, JUDGE))
    single, judge = plan.questions
    assert (single.options, single.answer) == (("甲", "乙", "丙"), (1,))
    assert (judge.options, judge.answer, judge.explanation) == (("对", "错"), (0,), "")


def test_malformed_yaml(tmp_path: Path) -> None:
    assert codes(tmp_path, "source: x\nprohibitions: [\n") == [(2, "yaml_syntax")]


def test_unsupported_and_empty_files(tmp_path: Path) -> None:
    assert codes(tmp_path, "x", name="bank.txt") == [(0, "unsupported_file_type")]
    assert codes(tmp_path, "") == [(1, "empty_file")]


def test_missing_fields(tmp_path: Path) -> None:
    text = (
        "prohibitions:\n  - {number: 1, title: 甲}\n"
        "questions:\n  - {id: a1, prohibition: 1, type: judge, answer: 对}\n"
    )
    assert codes(tmp_path, text) == [(1, "missing_field"), (2, "missing_field"), (4, "missing_field")]


def test_unknown_key(tmp_path: Path) -> None:
    text = bank_text(SINGLE.replace("answer: B", "answer: B, level: 3"), JUDGE)
    assert codes(tmp_path, text) == [(FIRST_QUESTION_LINE, "unknown_key")]


def test_unknown_prohibition(tmp_path: Path) -> None:
    assert codes(
        tmp_path,
        bank_text(SINGLE, JUDGE, JUDGE.replace("a2", "a3").replace("prohibition: 2", "prohibition: 5")),
    ) == [(FIRST_QUESTION_LINE + 2, "unknown_prohibition")]


def test_duplicate_question_id(tmp_path: Path) -> None:
    assert codes(tmp_path, bank_text(SINGLE, JUDGE, JUDGE)) == [
        (FIRST_QUESTION_LINE + 2, "duplicate_question")
    ]


def test_duplicate_prohibition_number(tmp_path: Path) -> None:
    text = bank_text(SINGLE, JUDGE, prohibitions=(P1, P2, P1.replace("甲禁令", "丙禁令")))
    assert codes(tmp_path, text) == [(5, "duplicate_prohibition")]


def test_bad_numbers_and_ids(tmp_path: Path) -> None:
    text = bank_text(SINGLE.replace("prohibition: 1", "prohibition: one").replace("id: a1", "id: a 1"), JUDGE)
    assert codes(tmp_path, text) == [
        (3, "prohibition_without_questions"),  # its only question names no readable prohibition
        (FIRST_QUESTION_LINE, "bad_id"),
        (FIRST_QUESTION_LINE, "bad_number"),
    ]


@pytest.mark.parametrize("kind", ["essay", "fill"])
def test_bad_type(tmp_path: Path, kind: str) -> None:
    assert codes(tmp_path, bank_text(SINGLE.replace("single", kind), JUDGE)) == [
        (FIRST_QUESTION_LINE, "bad_question_type")
    ]


def test_chinese_type_names_are_accepted(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, bank_text(SINGLE.replace("single", "单选"), JUDGE.replace("judge", "判断")))
    assert [q.type for q in plan.questions] == ["single", "judge"]


@pytest.mark.parametrize(
    ("kind", "answer", "code"),
    [
        ("single", "AB", "single_answer_count"),
        ("multi", "B", "multi_answer_count"),
        ("single", "D", "answer_beyond_options"),
        ("multi", "A,F", "answer_beyond_options"),
        ("single", "A1", "bad_answer"),
        ("multi", "AA", "bad_answer"),
        ("single", "甲", "bad_answer"),
    ],
)
def test_bad_answers(tmp_path: Path, kind: str, answer: str, code: str) -> None:
    question = SINGLE.replace("single", kind).replace("answer: B", f"answer: '{answer}'")
    assert codes(tmp_path, bank_text(question, JUDGE)) == [(FIRST_QUESTION_LINE, code)]


@pytest.mark.parametrize(
    ("written", "letters"), [("a", "A"), ("A, C", "AC"), (" b c ", "BC"), ("a，b、c", "ABC"), ("ＡＣ", "AC")]
)
def test_answer_letters_tolerate_case_spaces_and_commas(written: str, letters: str) -> None:
    assert answer_letters(written) == letters


def test_multi_answer_as_list_and_letters_in_any_order(tmp_path: Path) -> None:
    multi = "{id: a3, prohibition: 1, type: multi, stem: 问三, options: [甲, 乙, 丙, 丁], answer: [d, a]}"
    plan = plan_of(tmp_path, bank_text(SINGLE, JUDGE, multi))
    assert plan.questions[2].answer == (0, 3)


@pytest.mark.parametrize(
    ("written", "index"),
    [("对", 0), ("错", 1), ("正确", 0), ("错误", 1), ("√", 0), ("×", 1), ("T", 0), ("f", 1), ("true", 0)],
)
def test_judge_answers(tmp_path: Path, written: str, index: int) -> None:
    plan = plan_of(tmp_path, bank_text(SINGLE, JUDGE.replace("answer: 对", f"answer: '{written}'")))
    assert plan.questions[1].answer == (index,)


def test_bad_judge_answer_and_judge_with_options(tmp_path: Path) -> None:
    text = bank_text(SINGLE, JUDGE.replace("answer: 对", "answer: A"))
    assert codes(tmp_path, text) == [(FIRST_QUESTION_LINE + 1, "bad_judge_answer")]
    text = bank_text(SINGLE, JUDGE.replace("answer: 对", "options: [对, 错], answer: 对"))
    assert codes(tmp_path, text) == [(FIRST_QUESTION_LINE + 1, "judge_with_options")]


@pytest.mark.parametrize("options", ["[甲]", "[]", "[甲, 乙, 丙, 丁, 戊, 己, 庚]"])
def test_option_count(tmp_path: Path, options: str) -> None:
    text = bank_text(SINGLE.replace("[甲, 乙, 丙]", options).replace("answer: B", "answer: A"), JUDGE)
    assert codes(tmp_path, text) == [(FIRST_QUESTION_LINE, "option_count")]


def test_six_options_are_allowed(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        bank_text(SINGLE.replace("[甲, 乙, 丙]", "[甲, 乙, 丙, 丁, 戊, 己]").replace("B", "F"), JUDGE),
    )
    assert len(plan.questions[0].options) == 6 and plan.questions[0].answer == (5,)


def test_missing_options(tmp_path: Path) -> None:
    text = bank_text(SINGLE.replace("options: [甲, 乙, 丙], ", ""), JUDGE)
    assert codes(tmp_path, text) == [(FIRST_QUESTION_LINE, "option_count")]


def test_duplicate_options(tmp_path: Path) -> None:
    text = bank_text(SINGLE.replace("[甲, 乙, 丙]", "[甲, 乙, 甲]"), JUDGE)
    found = problems(_write(tmp_path, text))
    assert [(p.line, p.code) for p in found] == [(FIRST_QUESTION_LINE, "duplicate_option")]
    assert found[0].params["letter"] == "C" and found[0].params["other"] == "A"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bank.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_text_limits(tmp_path: Path) -> None:
    long_stem = SINGLE.replace("问一", "问" * 501)
    long_option = SINGLE.replace("[甲, 乙, 丙]", f"[甲, 乙, {'丙' * 101}]")
    assert codes(tmp_path, bank_text(long_stem, JUDGE)) == [(FIRST_QUESTION_LINE, "too_long")]
    assert codes(tmp_path, bank_text(long_option, JUDGE)) == [(FIRST_QUESTION_LINE, "too_long")]
    at_limit = SINGLE.replace("问一", "问" * 500).replace("[甲, 乙, 丙]", f"[甲, 乙, {'丙' * 100}]")
    assert len(plan_of(tmp_path, bank_text(at_limit, JUDGE)).questions[0].stem) == 500


def test_prohibition_without_questions(tmp_path: Path) -> None:
    assert codes(tmp_path, bank_text(SINGLE)) == [(4, "prohibition_without_questions")]


def test_empty_lists(tmp_path: Path) -> None:
    assert codes(tmp_path, "source: x\nprohibitions: []\nquestions: []\n") == [
        (2, "empty_list"),
        (3, "empty_list"),
    ]


def test_messages_read_well_in_both_languages(tmp_path: Path) -> None:
    found = problems(_write(tmp_path, bank_text(SINGLE.replace("answer: B", "answer: D"), JUDGE)))
    assert found[0].text("en") == "answer letter D is beyond the 3 options (A to C)"
    assert found[0].text("zh-CN") == t(
        "zh-CN", "import_problem.answer_beyond_options", letter="D", count=3, last="C"
    )


# --- CSV and XLSX ------------------------------------------------------------------------------------------


def _csv(tmp_path: Path, *rows: str, header: str = ",".join(QUESTION_HEADER)) -> Path:
    path = tmp_path / "q.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_csv_rows(tmp_path: Path) -> None:
    path = _csv(tmp_path, "c1,1,single,问,甲,乙,,,,,a,解析", "c2,1,judge,问,,,,,,,错,")
    plan = check(path, loaded=(1,))
    assert isinstance(plan, BankPlan) and plan.prohibitions is None and plan.source is None
    assert [(q.id, q.options, q.answer) for q in plan.questions] == [
        ("c1", ("甲", "乙"), (0,)),
        ("c2", ("对", "错"), (1,)),
    ]


def test_csv_option_gap_missing_cell_and_header_problems(tmp_path: Path) -> None:
    path = _csv(tmp_path, "c1,1,single,问,甲,,丙,,,,a,", "c2,1,judge,,,,,,,,对,")
    assert [(p.line, p.code) for p in problems(path, loaded=(1,))] == [
        (2, "option_gap"),
        (3, "missing_field"),
    ]
    path = _csv(
        tmp_path, "c1,1,single,问,甲,乙,a", header="id,prohibition,kind,stem,option_a,option_b,answer"
    )
    assert [(p.line, p.code) for p in problems(path, loaded=(1,))] == [
        (1, "unknown_columns"),
        (1, "missing_columns"),
    ]


def test_csv_header_only(tmp_path: Path) -> None:
    assert [(p.line, p.code) for p in problems(_csv(tmp_path), loaded=(1,))] == [(1, "empty_list")]


def test_xlsx_problems_name_the_sheet(tmp_path: Path) -> None:
    data = {**SAMPLE_DATA, "questions": [dict(q) for q in SAMPLE_DATA["questions"]]}
    data["questions"][1]["answer"] = "maybe"
    result = check(write_xlsx(tmp_path / "bank.xlsx", data))
    assert isinstance(result, list) and len(result) == 1
    item = result[0]
    assert isinstance(item, SheetProblem) and (item.sheet, item.line, item.code) == (
        "questions",
        3,
        "bad_judge_answer",
    )
    assert item.text("en") == "sheet questions: " + t("en", "import_problem.bad_judge_answer", value="maybe")


def test_xlsx_missing_sheet_and_source(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "禁令"
    book.save(tmp_path / "a.xlsx")
    result = problems(tmp_path / "a.xlsx")
    assert [(p.line, p.code, p.params["sheet"]) for p in result] == [
        (0, "missing_sheet", "prohibitions"),
        (0, "missing_sheet", "questions"),
    ]
    no_source = write_xlsx(tmp_path / "b.xlsx", {**SAMPLE_DATA, "source": None})
    result = problems(no_source)
    assert [(getattr(p, "sheet", ""), p.line, p.code) for p in result] == [
        ("prohibitions", 2, "missing_field")
    ]


def test_xlsx_source_conflict(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "bank.xlsx", SAMPLE_DATA, source_on_every_row=True)
    from openpyxl import load_workbook

    book = load_workbook(path)
    book["prohibitions"]["D5"] = "另一个来源"
    book.save(path)
    result = check(path)
    assert [(getattr(p, "sheet", ""), p.line, p.code) for p in result] == [
        ("prohibitions", 5, "source_conflict")
    ]


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "bank.xlsx"
    path.write_bytes(b"not a zip")
    assert [(p.line, p.code) for p in problems(path)] == [(0, "unreadable_file")]
