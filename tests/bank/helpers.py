"""Shared helpers for the question bank tests: running an import, snapshotting the bank, writing tables."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook
from sqlmodel import col, func, select

from safety.imports.questions_model import BankReport
from safety.imports.questions_service import import_questions_file
from safety.imports.questions_tables import OPTION_COLUMNS
from safety.imports.results import ImportRejected
from storage import bank_queries as bq
from storage.db import Database
from storage.models import AuditEntry

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SAMPLE = EXAMPLES / "questions.yaml"
SAMPLE_DATA: dict[str, Any] = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
QUESTION_HEADER = ["id", "prohibition", "type", "stem", *OPTION_COLUMNS, "answer", "explanation"]


async def run_import(db: Database, path: Path) -> BankReport | ImportRejected:
    async with db.session() as session:
        return await import_questions_file(session, path)


def ok(result: BankReport | ImportRejected) -> BankReport:
    assert isinstance(result, BankReport), [f"{p.line}: {p.message}" for p in result.problems]
    return result


def rejected(result: BankReport | ImportRejected) -> list[tuple[int, str]]:
    assert isinstance(result, ImportRejected), f"expected problems, got {result}"
    return [(p.line, p.code) for p in result.problems]


def counts(report: BankReport) -> dict[str, dict[str, int]]:
    return report.as_dict()


async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every prohibition and question row, all columns."""
    async with db.session() as session:
        prohibitions = [
            (p.number, p.title, p.text, p.source, p.active) for p in await bq.all_prohibitions(session)
        ]
        questions = [
            (
                q.id,
                q.prohibition,
                q.type,
                q.stem,
                json.dumps(q.options, ensure_ascii=False),
                json.dumps(q.answer),
                q.explanation,
                q.source,
                q.active,
            )
            for q in await bq.all_questions(session)
        ]
    return {"prohibitions": prohibitions, "questions": questions}


async def audit_entries(db: Database) -> list[AuditEntry]:
    async with db.session() as session:
        query = (
            select(AuditEntry)
            .where(col(AuditEntry.action) == "import.questions")
            .order_by(col(AuditEntry.id))
        )
        return list((await session.exec(query)).all())


async def audit_count(db: Database) -> int:
    async with db.session() as session:
        return int((await session.exec(select(func.count()).select_from(AuditEntry))).one())


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def question_row(question: dict[str, Any]) -> list[str]:
    options = [str(o) for o in question.get("options", [])]
    options += [""] * (len(OPTION_COLUMNS) - len(options))
    return [
        str(question["id"]),
        str(question["prohibition"]),
        str(question["type"]),
        str(question["stem"]),
        *options,
        str(question["answer"]),
        str(question.get("explanation", "")),
    ]


def write_csv(path: Path, questions: list[dict[str, Any]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(QUESTION_HEADER)
    writer.writerows(question_row(q) for q in questions)
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")
    return path


def write_xlsx(path: Path, data: dict[str, Any], *, source_on_every_row: bool = False) -> Path:
    """A workbook from bank data: sheets prohibitions (with the source column) and questions."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "prohibitions"
    sheet.append(["number", "title", "text", "source"])
    for index, item in enumerate(data["prohibitions"]):
        source = data["source"] if index == 0 or source_on_every_row else None
        sheet.append([item["number"], item["title"], item["text"], source])
    questions = book.create_sheet("questions")
    questions.append(QUESTION_HEADER)
    for question in data["questions"]:
        row: list[Any] = question_row(question)
        row[1] = int(question["prohibition"])  # a number cell, as Excel stores it
        questions.append([value if value != "" else None for value in row])
    book.save(path)
    return path
