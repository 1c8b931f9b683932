"""Input at the edges of the imports: invisible and control characters, corrupt files, large files.

The database tests run on SQLite and PostgreSQL; the command-line tests on a temporary SQLite file.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from bot.cli_import import import_app
from safety.imports import files, parse_org, roster_file
from safety.imports.questions_read import read_bank
from storage.db import Database
from tests.imports.helpers import (
    EXAMPLES,
    ORG_TEXT,
    ok,
    people_state,
    rejected,
    run_org,
    run_roster,
    snapshot,
)

runner = CliRunner()
HEADER = "employee_no,name,phone,unit,roles"
UNITS = "units:\n  - id: team\n    name: 班组\n"


def codes_of(text: str) -> list[tuple[int, str]]:
    result = parse_org(text)
    assert isinstance(result, tuple), "expected the file to be refused"
    return [(p.line, p.code) for p in result]


# --- invisible and control characters -----------------------------------------------------------------


async def test_a_nul_in_an_employee_number_neither_adds_nor_deactivates(db: Database, tmp_path: Path) -> None:
    """The bug: E1001\\0 was a new person, and the real E1001, missing from the roster, was deactivated."""
    ok(await run_org(db, ORG_TEXT))
    before = await snapshot(db)
    lines = (EXAMPLES / "roster.csv").read_text(encoding="utf-8").splitlines()
    lines[10] = lines[10].replace("E1001,", "E1001\x00,")
    lines[11] = lines[11].replace("王二", "王\u200b二")
    lines[12] = lines[12].replace("E1003,陈刚,", "E1003,陈刚,1380000\ufeff0099")
    path = tmp_path / "roster.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = await run_roster(db, path)
    assert rejected(result) == [
        (11, "hidden_characters"),
        (12, "hidden_characters"),
        (13, "hidden_characters"),
    ]
    assert [p.message for p in result.problems] == [  # type: ignore[union-attr]
        "employee_no contains invisible or control characters (U+0000); delete them and type the value again",
        "name contains invisible or control characters (U+200B); delete them and type the value again",
        "phone contains invisible or control characters (U+FEFF); delete them and type the value again",
    ]
    assert await snapshot(db) == before
    assert (await people_state(db))["E1001"][3] is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            UNITS.replace("id: team", 'id: "te\\u200bam"'), [(2, "hidden_characters")], id="unit-id"
        ),
        pytest.param(UNITS.replace("班组", '"班\\u2060组"'), [(3, "hidden_characters")], id="unit-name"),
        pytest.param(UNITS.replace("班组", '"班组\\n二队"'), [(3, "hidden_characters")], id="name-newline"),
        pytest.param(
            UNITS + 'people:\n  - {employee_no: "E\\x01", name: 甲, unit: team, roles: [staff]}\n',
            [(5, "hidden_characters")],
            id="employee-no-control",
        ),
        pytest.param(
            UNITS
            + "    checkin: {days: workdays, opens: '07:00', due: '07:30', items: [\"戴好\\x07安全帽\"]}\n",
            [(4, "hidden_characters")],
            id="checklist-item-control",
        ),
        pytest.param(UNITS + "people: []\nname: \x00\n", [(5, "yaml_syntax")], id="raw-nul-names-its-line"),
        pytest.param(UNITS + "x: [\n", [(4, "yaml_syntax")], id="yaml-does-not-parse"),
    ],
)
def test_org_file_refuses_hidden_characters(text: str, expected: list[tuple[int, str]]) -> None:
    assert codes_of(text) == expected


def test_names_read_odd_spaces_as_spaces_and_items_keep_emoji() -> None:
    text = (
        UNITS.replace("班组", '"爆破\\u3000班"')
        + "    checkin: {days: workdays, opens: '07:00', due: '07:30',"
    )
    text += ' items: ["⛑️ 安全帽", "👷‍♂️ 工装"]}\n'
    plan = parse_org(text)
    assert not isinstance(plan, tuple), [p.message for p in plan]
    assert plan.units[0].name == "爆破 班"
    assert plan.units[0].checkin is not None and plan.units[0].checkin["items"] == ["⛑️ 安全帽", "👷‍♂️ 工装"]


BANK = """\
source: 测试题库
prohibitions:
  - {number: 1, title: 甲禁令, text: "严禁甲。\\n第二行。"}
questions:
  - id: q1
    prohibition: 1
    type: judge
    stem: |
      第一行
      第二行
    answer: 对
"""


def test_question_bank_keys_and_texts(tmp_path: Path) -> None:
    def codes(text: str, name: str = "bank.yaml") -> list[tuple[int, str]]:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        raw, problems = read_bank(path)
        if raw is not None and not problems:
            from safety.imports.questions_rules import validate_bank

            plan = validate_bank(raw, loaded=(1,))  # a CSV refers to a loaded prohibition 1
            problems = plan if isinstance(plan, list) else []
        return [(p.line, p.code) for p in problems]

    assert codes(BANK) == []  # a stem and a prohibition's text may span lines
    assert codes(BANK.replace("id: q1", 'id: "q\\u200b1"')) == [(5, "hidden_characters")]
    assert codes(BANK.replace("title: 甲禁令", 'title: "甲\\n禁令"')) == [(3, "hidden_characters")]
    assert codes(BANK.replace("第二行\n", "第二\x1b行\n")) == [(10, "yaml_syntax")]  # YAML refuses ESC itself
    assert codes(BANK.replace("第二行\n", '第二行\n    explanation: "\\x1b[31m"\n')) == [
        (11, "hidden_characters")
    ]
    header = "id,prohibition,type,stem,option_a,option_b,answer,explanation"
    csv_text = f'{header}\nc1,1,single,"问\x00题",甲,乙,A,\nc2,1,single,问,"甲\u2028丁",乙,A,\n'
    assert codes(csv_text, "bank.csv") == [(2, "hidden_characters"), (3, "hidden_characters")]


# --- corrupt files: one line, exit 1, no traceback ----------------------------------------------------


def _zip_of_garbage(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<not xml")
        archive.writestr("xl/workbook.xml", b"\x00\x01\x02garbage")
    return path


def _broken_sheet(path: Path) -> Path:
    """A real workbook whose sheet XML is cut off half-way: found only while the rows are read."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    for i in range(2000):
        sheet.append([f"E{i}", "甲", None, "team", "staff"])
    whole = path.with_suffix(".whole.xlsx")
    book.save(whole)
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, data[: len(data) // 2] if info.filename.endswith("sheet1.xml") else data)
    return path


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SAFETYBOT_LANGUAGE", "en")
    database = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    done = runner.invoke(import_app, ["org", str(EXAMPLES / "org.yaml"), "--database-url", database])
    assert done.exit_code == 0, done.output
    return database


def _undecodable(path: Path) -> Path:
    rows = [HEADER] + [f"E{i},工人{i},,team-drill,staff" for i in range(20000)]
    path.write_bytes(("\n".join(rows) + "\n").encode("utf-8") + "张三,王五\n".encode("gbk"))
    return path


@pytest.mark.parametrize(
    ("command", "name", "make", "message"),
    [
        ("roster", "r.xlsx", lambda p: p.write_bytes(b"PK\x03\x04 not really"), "not a valid .xlsx workbook"),
        ("roster", "r.xlsx", _zip_of_garbage, "not a valid .xlsx workbook"),
        ("roster", "r.xlsx", _broken_sheet, "not a valid .xlsx workbook"),
        ("roster", "r.csv", _undecodable, "the file is not UTF-8 text"),
        ("questions", "q.xlsx", _zip_of_garbage, "not a valid .xlsx workbook"),
        ("questions", "q.csv", lambda p: p.write_bytes(b"id,stem\n\xff\xfe\n"), "the file is not UTF-8 text"),
        ("org", "o.yaml", lambda p: p.write_bytes(b"\xc3\x28"), "the file is not UTF-8 text"),
        ("holidays", "h.yaml", lambda p: p.write_text("year: [2027\n"), "not valid YAML"),
    ],
)
def test_a_corrupt_file_is_one_line(
    url: str, tmp_path: Path, command: str, name: str, make, message: str
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    make(path)
    result = runner.invoke(import_app, [command, str(path), "--database-url", url])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"{path}") and message in lines[0], lines
    assert lines[1] == f"{path}: 1 problem(s); nothing was changed"
    assert "Traceback" not in result.output


# --- limits ------------------------------------------------------------------------------------------


def test_size_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "org.yaml"
    big.write_text(UNITS + "# padding\n" * (files.MAX_YAML_BYTES // 10 + 1), encoding="utf-8")
    with pytest.raises(files.Unreadable) as caught:
        files.read_text(big)
    assert caught.value.problem.code == "file_too_large"
    assert caught.value.problem.message == "the file is 8.0 MB; at most 8 MB is accepted"
    book = Workbook()
    book.save(tmp_path / "r.xlsx")
    monkeypatch.setattr(files, "MAX_XLSX_UNPACKED", 1000)  # a zip bomb unpacks to far more than it weighs
    reader = roster_file.RosterReader(tmp_path / "r.xlsx")
    assert list(reader) == [] and [p.code for p in reader.problems] == ["workbook_too_large"]


def test_nested_aliases_are_refused() -> None:
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in "bcdefgh":
        previous = chr(ord(level) - 1)
        laughs += f"{level}: &{level} [" + ", ".join([f"*{previous}"] * 10) + "]\n"
    assert codes_of(laughs) == [(1, "yaml_too_large")]
    reused = UNITS + "    checkin: &day {days: workdays, opens: '07:00', due: '07:30'}\n"
    reused += "  - {id: team2, name: 二班, checkin: *day}\n"
    plan = parse_org(reused)  # an alias that is merely reused is fine
    assert not isinstance(plan, tuple) and plan.units[0].checkin == plan.units[1].checkin


async def test_row_limit(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ok(await run_org(db, ORG_TEXT))
    monkeypatch.setattr(roster_file, "MAX_ROWS", 50)
    path = tmp_path / "long.csv"
    path.write_text(
        HEADER + "\n" + "".join(f"Z{i},工人,,team-drill,staff\n" for i in range(80)), encoding="utf-8"
    )
    result = await run_roster(db, path)
    assert rejected(result) == [(0, "too_many_rows")]
    assert (
        result.problems[0].message
        == "the file has more than 50 rows; split it, or check that it is the right file"
    )  # type: ignore[union-attr]


def test_at_most_100_problems_are_printed(url: str, tmp_path: Path) -> None:
    """A 4 MB roster with a problem on every row: the first 100 by line, one line for the rest."""
    path = tmp_path / "bad.csv"
    rows = [f"B{i:06d},工人{i},,no-such-unit,staff" for i in range(120_000)]
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert path.stat().st_size > 4_000_000
    result = runner.invoke(import_app, ["roster", str(path), "--database-url", url])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 102
    assert lines[0] == f"{path}:2: unknown unit 'no-such-unit'"
    assert lines[99] == f"{path}:101: unknown unit 'no-such-unit'"
    assert lines[100] == "… and 119,900 more problem(s)"
    assert lines[101] == f"{path}: 120,000 problem(s); nothing was changed"
    assert len(result.stderr) < 102 * (len(str(path)) + 50)  # bounded, whatever the file holds


def test_the_row_limit_is_printed_first(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(roster_file, "MAX_ROWS", 150)
    path = tmp_path / "long.csv"
    path.write_text(
        HEADER + "\n" + "".join(f"B{i},工人,,nowhere,staff\n" for i in range(200)), encoding="utf-8"
    )
    lines = runner.invoke(import_app, ["roster", str(path), "--database-url", url]).stderr.splitlines()
    assert (
        lines[0] == f"{path}: the file has more than 150 rows; split it, or check that it is the right file"
    )
    assert lines[1] == f"{path}:2: unknown unit 'nowhere'"
    assert lines[-2:] == ["… and 51 more problem(s)", f"{path}: 151 problem(s); nothing was changed"]
