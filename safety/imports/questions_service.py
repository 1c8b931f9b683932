"""`safetybot import questions FILE` end to end: read, validate everything, then apply in the caller's
session (all-or-nothing: nothing is written before the whole file has been validated).

Keys: prohibition `number`, question `id`. Rows are compared before they are written, so importing the same
file again changes nothing (0 created, 0 updated). A full bank (YAML, XLSX) is the whole bank: prohibitions
and questions missing from it are deactivated, never deleted (past attempts keep their own snapshots), and
listed inactive ones are reactivated. A questions-only file (CSV) adds and updates questions of the loaded
prohibitions and deactivates nothing; afterwards every loaded prohibition must still have a question.
One AuditEntry `import.questions` per applied import (detail: file, source, counts).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.bank import is_sample_source
from safety.imports.apply import assign
from safety.imports.problems import Problem, problem
from safety.imports.questions_model import (
    BankPlan,
    BankReport,
    ProhibitionSpec,
    QuestionSpec,
    RawBank,
    sort_key,
)
from safety.imports.questions_read import read_bank
from safety.imports.questions_rules import validate_bank
from safety.imports.results import EntityCounts, ImportRejected, Progress, rejected
from storage import bank_queries as bq
from storage import org_queries
from storage.models import Prohibition, Question

BATCH = 500
SUBJECT_MAX = 128


def _rejected(problems: Sequence[Problem]) -> ImportRejected:
    return rejected(problems, key=sort_key)


async def import_questions_file(
    session: AsyncSession,
    path: Path,
    *,
    channel: str = "cli",
    actor_id: int | None = None,
    progress: Progress | None = None,
) -> BankReport | ImportRejected:
    """Read and validate a .yaml/.yml, .csv or .xlsx bank, then apply it."""
    raw, problems = read_bank(path)
    if raw is None:
        return _rejected(problems)
    return await import_bank(
        session, raw, problems, file=path.name, channel=channel, actor_id=actor_id, progress=progress
    )


async def import_bank(
    session: AsyncSession,
    raw: RawBank,
    read_problems: Sequence[Problem] = (),
    *,
    file: str = "questions",
    channel: str = "cli",
    actor_id: int | None = None,
    progress: Progress | None = None,
) -> BankReport | ImportRejected:
    """Validate a read bank against itself and the stored bank, then apply it."""
    problems = list(read_problems)
    loaded = await bq.all_prohibitions(session, active_only=True)
    if raw.prohibitions is None and not loaded:
        return _rejected([*problems, problem(0, "no_bank_loaded")])
    plan = validate_bank(raw, loaded=[p.number for p in loaded])
    if isinstance(plan, list):
        return _rejected(problems + plan)
    if not plan.full:
        problems += await _uncovered(session, plan, loaded)
    if problems:
        return _rejected(problems)
    source = plan.source if plan.source is not None else loaded[0].source
    prohibitions = None
    if plan.prohibitions is not None:
        prohibitions = await _apply_prohibitions(session, plan.prohibitions, source)
    questions = await _apply_questions(
        session, plan.questions, source, deactivate_missing=plan.full, progress=progress
    )
    report = BankReport(
        source=source, is_sample=is_sample_source(source), questions=questions, prohibitions=prohibitions
    )
    await org_queries.add_audit_entry(
        session,
        action="import.questions",
        channel=channel,
        subject=file[:SUBJECT_MAX],
        detail={"file": file, "source": source, "sample": report.is_sample, **report.as_dict()},
        actor_id=actor_id,
    )
    return report


async def _uncovered(session: AsyncSession, plan: BankPlan, loaded: Sequence[Prohibition]) -> list[Problem]:
    """A questions-only file must leave every loaded prohibition with at least one active question."""
    listed = {spec.id for spec in plan.questions}
    counts = {p.number: 0 for p in loaded}
    for question in await bq.all_questions(session):
        if question.active and question.id not in listed and question.prohibition in counts:
            counts[question.prohibition] += 1
    for spec in plan.questions:
        counts[spec.prohibition] += 1
    return [problem(0, "prohibition_without_questions", number=n) for n, c in counts.items() if c == 0]


def _count(counts: EntityCounts, row: Prohibition | Question, changed: bool) -> None:
    if not row.active:
        row.active = True
        counts.reactivated += 1
    elif changed:
        counts.updated += 1
    else:
        counts.unchanged += 1


async def _apply_prohibitions(
    session: AsyncSession, specs: Sequence[ProhibitionSpec], source: str
) -> EntityCounts:
    counts = EntityCounts()
    existing = {p.number: p for p in await bq.all_prohibitions(session)}
    new: list[Prohibition] = []
    for spec in specs:
        values = {"title": spec.title, "text": spec.text, "source": source}
        row = existing.get(spec.number)
        if row is None:
            new.append(Prohibition(number=spec.number, active=True, **values))
        else:
            _count(counts, row, assign(row, values))
    listed = {spec.number for spec in specs}
    for number, row in existing.items():
        if number not in listed and row.active:
            row.active = False
            counts.deactivated += 1
    counts.created = len(new)
    await bq.add_prohibitions(session, rows=new)  # flushes the updates too
    return counts


async def _apply_questions(
    session: AsyncSession,
    specs: Sequence[QuestionSpec],
    source: str,
    *,
    deactivate_missing: bool,
    progress: Progress | None,
) -> EntityCounts:
    counts = EntityCounts()
    existing = {q.id: q for q in await bq.all_questions(session)}
    total = len(specs)
    for start in range(0, total, BATCH):
        new: list[Question] = []
        for spec in specs[start : start + BATCH]:
            values: dict[str, Any] = {
                "prohibition": spec.prohibition,
                "type": spec.type,
                "stem": spec.stem,
                "options": list(spec.options),
                "answer": list(spec.answer),
                "explanation": spec.explanation,
                "source": source,
            }
            row = existing.get(spec.id)
            if row is None:
                new.append(Question(id=spec.id, active=True, **values))
            else:
                _count(counts, row, assign(row, values))
        counts.created += len(new)
        await bq.add_questions(session, rows=new)
        if progress is not None:
            progress("questions", min(start + BATCH, total), total)
    if deactivate_missing:
        listed = {spec.id for spec in specs}
        for question_id, row in existing.items():
            if question_id not in listed and row.active:
                row.active = False
                counts.deactivated += 1
    await session.flush()
    return counts
