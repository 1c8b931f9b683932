"""Checking a read question bank (any format) and turning it into a `BankPlan`.

Rules: prohibition numbers are positive whole numbers, unique; question ids single words, unique; every
question names a prohibition of the file (a questions-only file: a loaded one); type is single, multi or
judge (单选, 多选, 判断 accepted); single and multi questions have 2 to 6 distinct options, answered by
letters in option order (`A`, `ACD`; case, spaces and commas ignored), a single question exactly one
letter, a multi question at least two; a judge question has no options and is answered 对 or 错 (also 正确
/ 错误, √ / ×, T / F, true / false) and is stored with the options [对, 错]; texts have length limits (stem
500, option 100: options become button labels); in a full bank every prohibition has a question, since a
quiz draws one per prohibition. Missing values were already reported by the reader and are skipped here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from safety.imports.fields import check_id, check_visible
from safety.imports.problems import Problem, problem
from safety.imports.questions_model import (
    EXPLANATION_MAX,
    ID_MAX,
    JUDGE_OPTIONS,
    MAX_OPTIONS,
    MIN_OPTIONS,
    OPTION_LETTERS,
    OPTION_MAX,
    SOURCE_MAX,
    STEM_MAX,
    TEXT_MAX,
    TITLE_MAX,
    TYPES,
    BankPlan,
    ProhibitionSpec,
    QuestionSpec,
    RawBank,
    RawRow,
    in_sheet,
)

MAX_NUMBER = 9999
MULTILINE = frozenset({"text", "stem", "explanation"})  # may span lines; titles, options and source may not
TYPE_ALIASES = {"单选": "single", "单选题": "single", "多选": "multi", "多选题": "multi"}
TYPE_ALIASES |= {"判断": "judge", "判断题": "judge"}
JUDGE_TRUE = frozenset({"对", "正确", "√", "✓", "✔", "t", "true", "是"})
JUDGE_FALSE = frozenset({"错", "错误", "×", "✗", "✘", "x", "f", "false", "否"})
_ANSWER_SEPARATORS = re.compile(r"[\s,，、;；/]+")


def validate_bank(raw: RawBank, *, loaded: Iterable[int] = ()) -> BankPlan | list[Problem]:
    """The plan, or every problem found. `loaded`: the active prohibition numbers (for a CSV file)."""
    problems: list[Problem] = []
    prohibitions: list[ProhibitionSpec] | None = None
    source = None
    if raw.prohibitions is not None:
        source = _source(raw, problems)
        prohibitions = _prohibitions(raw, problems)
        # every numbered row counts, valid or not: an invalid prohibition is reported on its own line
        known = {n for row in raw.prohibitions if (n := number_value(row.values.get("number", "")))}
    else:
        known = set(loaded)
    questions = _questions(raw, known, problems)
    if prohibitions is not None:
        # every question row counts, valid or not: an invalid question is reported once, on its own line
        covered = {number_value(row.values.get("prohibition", "")) for row in raw.questions}
        sheet = raw.sheets.get("prohibitions")
        for spec in prohibitions:
            if spec.number not in covered:
                found = [problem(spec.line, "prohibition_without_questions", number=spec.number)]
                problems.extend(in_sheet(found, sheet))
    if problems:
        return problems
    return BankPlan(
        source=source,
        prohibitions=tuple(prohibitions) if prohibitions is not None else None,
        questions=tuple(questions),
    )


def _source(raw: RawBank, problems: list[Problem]) -> str | None:
    if raw.source is None:
        return None  # reported by the reader
    found: list[Problem] = []
    if len(raw.source) > SOURCE_MAX:
        found.append(problem(raw.at("source"), "too_long", field="source", max=SOURCE_MAX))
    else:
        check_visible(raw.source, "source", raw.at("source"), found, free_text=True)
    problems.extend(in_sheet(found, raw.sheets.get("prohibitions")))
    return None if found else raw.source


def _limit(
    row: RawRow, name: str, max_len: int, found: list[Problem], label: str | None = None
) -> str | None:
    value = row.values.get(name)
    if value is not None and len(value) > max_len:
        found.append(problem(row.at(name), "too_long", field=label or name, max=max_len))
        return None
    if value is not None:
        return check_visible(
            value, label or name, row.at(name), found, free_text=True, multiline=name in MULTILINE
        )
    return value


def number_value(text: str) -> int | None:
    """A positive whole number (`3`, `03`, `3.0` from a spreadsheet) or None."""
    value = unicodedata.normalize("NFKC", text).strip().removesuffix(".0")
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_NUMBER else None


def _number(row: RawRow, name: str, found: list[Problem]) -> int | None:
    text = row.values.get(name)
    if text is None:
        return None
    value = number_value(text)
    if value is None:
        found.append(problem(row.at(name), "bad_number", field=name, value=text, max=MAX_NUMBER))
    return value


def _prohibitions(raw: RawBank, problems: list[Problem]) -> list[ProhibitionSpec]:
    rows = raw.prohibitions or []
    sheet = raw.sheets.get("prohibitions")
    if not rows:
        problems.extend(
            in_sheet([problem(raw.at("prohibitions"), "empty_list", field="prohibitions")], sheet)
        )
    specs: list[ProhibitionSpec] = []
    first: dict[int, int] = {}
    for row in rows:
        found: list[Problem] = []
        number = _number(row, "number", found)
        title = _limit(row, "title", TITLE_MAX, found)
        text = _limit(row, "text", TEXT_MAX, found)
        if number is not None and number in first:
            found.append(
                problem(row.at("number"), "duplicate_prohibition", number=number, first_line=first[number])
            )
            number = None
        elif number is not None:
            first[number] = row.at("number")
        problems.extend(in_sheet(found, sheet))
        if number is not None and title is not None and text is not None and not found:
            specs.append(ProhibitionSpec(number=number, title=title, text=text, line=row.line))
    return specs


def _questions(raw: RawBank, known: set[int], problems: list[Problem]) -> list[QuestionSpec]:
    sheet = raw.sheets.get("questions")
    if not raw.questions:
        problems.extend(in_sheet([problem(raw.at("questions"), "empty_list", field="questions")], sheet))
    specs: list[QuestionSpec] = []
    first: dict[str, int] = {}
    for row in raw.questions:
        found: list[Problem] = []
        spec = _question(row, known, first, found)
        problems.extend(in_sheet(found, sheet))
        if spec is not None and not found:
            specs.append(spec)
    return specs


def _question(
    row: RawRow, known: set[int], first: dict[str, int], found: list[Problem]
) -> QuestionSpec | None:
    qid = row.values.get("id")
    if qid is not None:
        qid = check_id(qid, "id", ID_MAX, row.at("id"), found)
    if qid is not None and qid in first:
        found.append(problem(row.at("id"), "duplicate_question", id=qid, first_line=first[qid]))
        qid = None
    elif qid is not None:
        first[qid] = row.at("id")
    number = _number(row, "prohibition", found)
    if number is not None and number not in known:
        found.append(problem(row.at("prohibition"), "unknown_prohibition", number=number))
    kind = _type(row, found)
    stem = _limit(row, "stem", STEM_MAX, found)
    explanation = _limit(row, "explanation", EXPLANATION_MAX, found) or ""
    options, answer = _options_and_answer(row, kind, found)
    if qid is None or number is None or kind is None or stem is None or options is None or answer is None:
        return None
    return QuestionSpec(
        id=qid,
        prohibition=number,
        type=kind,
        stem=stem,
        options=options,
        answer=answer,
        explanation=explanation,
        line=row.line,
    )


def _type(row: RawRow, found: list[Problem]) -> str | None:
    text = row.values.get("type")
    if text is None:
        return None
    kind = TYPE_ALIASES.get(text, text.lower())
    if kind not in TYPES:
        found.append(problem(row.at("type"), "bad_question_type", value=text, allowed=", ".join(TYPES)))
        return None
    return kind


def _options_and_answer(
    row: RawRow, kind: str | None, found: list[Problem]
) -> tuple[tuple[str, ...] | None, tuple[int, ...] | None]:
    answer = row.values.get("answer")
    if kind is None:
        return None, None  # the type was reported; its options cannot be judged
    if kind == "judge":
        if row.options:
            found.append(problem(row.options[0][1], "judge_with_options"))
        return JUDGE_OPTIONS, _judge_answer(answer, row.at("answer"), found)
    options = _options(row, found)
    if options is None or answer is None:
        return options, None
    return options, _letters(answer, row.at("answer"), kind, len(options), found)


def _options(row: RawRow, found: list[Problem]) -> tuple[str, ...] | None:
    count = len(row.options)
    if not MIN_OPTIONS <= count <= MAX_OPTIONS:
        line = row.options[0][1] if row.options else row.line
        found.append(problem(line, "option_count", count=count, min=MIN_OPTIONS, max=MAX_OPTIONS))
        return None
    ok = True
    seen: dict[str, str] = {}
    for index, (text, line) in enumerate(row.options):
        letter = OPTION_LETTERS[index]
        if len(text) > OPTION_MAX:
            found.append(problem(line, "too_long", field=f"option {letter}", max=OPTION_MAX))
            ok = False
        elif check_visible(text, f"option {letter}", line, found, free_text=True) is None:
            ok = False
        key = unicodedata.normalize("NFKC", text).casefold()
        if key in seen:
            found.append(problem(line, "duplicate_option", letter=letter, other=seen[key], text=text))
            ok = False
        seen.setdefault(key, letter)
    return tuple(text for text, _ in row.options) if ok else None


def _judge_answer(text: str | None, line: int, found: list[Problem]) -> tuple[int, ...] | None:
    if text is None:
        return None
    value = unicodedata.normalize("NFKC", text).strip().casefold()
    if value in JUDGE_TRUE:
        return (0,)
    if value in JUDGE_FALSE:
        return (1,)
    found.append(problem(line, "bad_judge_answer", value=text))
    return None


def answer_letters(text: str) -> str | None:
    """`a, c d` -> `ACD`; None if anything but letters and separators is written, or a letter repeats."""
    letters = _ANSWER_SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    if not letters or not letters.isascii() or not letters.isalpha() or len(set(letters)) != len(letters):
        return None
    return letters


def _letters(text: str, line: int, kind: str, count: int, found: list[Problem]) -> tuple[int, ...] | None:
    letters = answer_letters(text)
    if letters is None:
        found.append(problem(line, "bad_answer", value=text))
        return None
    beyond = [c for c in letters if ord(c) - ord("A") >= count]
    if beyond:
        last = OPTION_LETTERS[count - 1]
        found.append(problem(line, "answer_beyond_options", letter=beyond[0], count=count, last=last))
        return None
    if kind == "single" and len(letters) != 1:
        found.append(problem(line, "single_answer_count", value=letters))
        return None
    if kind == "multi" and len(letters) < 2:
        found.append(problem(line, "multi_answer_count", value=letters))
        return None
    return tuple(sorted(ord(c) - ord("A") for c in letters))
