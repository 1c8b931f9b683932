"""Reading a question bank file into rows: the dispatch by suffix and the YAML reader (formats: see
safety/imports/questions_file.py; CSV and XLSX: questions_tables.py)."""

from __future__ import annotations

from pathlib import Path

from yaml.nodes import Node

from safety.imports.files import Unreadable, csv_file_rows, read_text
from safety.imports.problems import Problem, problem
from safety.imports.questions_model import RawBank, RawRow
from safety.imports.questions_tables import read_csv_bank, read_xlsx_bank
from safety.imports.yamlnodes import NodeReader, compose, line_of

SUFFIXES = (".yaml", ".yml", ".csv", ".xlsx")
TOP_KEYS = ("source", "prohibitions", "questions")
PROHIBITION_KEYS = ("number", "title", "text")
QUESTION_KEYS = ("id", "prohibition", "type", "stem", "options", "answer", "explanation")
QUESTION_REQUIRED = ("id", "prohibition", "type", "stem", "answer")


def read_bank(path: Path) -> tuple[RawBank | None, list[Problem]]:
    """The rows of a bank file and the problems the reader found (None when nothing could be read)."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        allowed = ", ".join(SUFFIXES)
        return None, [problem(0, "unsupported_file_type", suffix=suffix or path.name, allowed=allowed)]
    try:
        if suffix == ".xlsx":
            return read_xlsx_bank(path)
        if suffix == ".csv":
            return read_csv_bank(csv_file_rows(path))
        return parse_yaml_bank(read_text(path))
    except Unreadable as exc:
        return None, [exc.problem]


def parse_yaml_bank(text: str) -> tuple[RawBank | None, list[Problem]]:
    root, problems = compose(text)
    if root is None:
        return None, problems
    reader = NodeReader()
    top = reader.mapping(root, "file", TOP_KEYS, required=TOP_KEYS)
    if top is None:
        return None, reader.problems
    bank = RawBank(prohibitions=[], questions=[])
    if "source" in top:
        bank.source = reader.text(top["source"], "source")
        bank.lines["source"] = line_of(top["source"])
    for name in ("prohibitions", "questions"):
        if name in top:
            bank.lines[name] = line_of(top[name])
    keys = (PROHIBITION_KEYS, PROHIBITION_KEYS)
    bank.prohibitions = _rows(reader, top.get("prohibitions"), "prohibitions", keys)
    bank.questions = _rows(reader, top.get("questions"), "questions", (QUESTION_KEYS, QUESTION_REQUIRED))
    return bank, reader.problems


def _rows(
    reader: NodeReader, node: Node | None, field: str, keys: tuple[tuple[str, ...], tuple[str, ...]]
) -> list[RawRow]:
    items = reader.sequence(node, field) if node is not None else None
    rows: list[RawRow] = []
    for item in items or []:
        found = reader.mapping(item, field, keys[0], required=keys[1])
        if found is None:
            continue
        row = RawRow(line=line_of(item))
        for key, value_node in found.items():
            row.lines[key] = line_of(value_node)
            if key == "options":
                row.options = reader.texts(value_node, f"{field}.options") or []
            elif key == "answer":
                letters = reader.texts(value_node, f"{field}.answer")
                if letters:
                    row.values[key] = "".join(text for text, _ in letters)
            else:
                value = reader.text(value_node, f"{field}.{key}")
                if value is not None:
                    row.values[key] = value
        rows.append(row)
    return rows
