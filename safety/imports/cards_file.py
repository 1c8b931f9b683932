"""The reminder-card calendar (`safetybot import cards FILE.yaml`), format in DESIGN.md "Reminder cards".

```yaml
cards:
  - id: spring-festival
    title: 春节安全生产提示卡
    date: "lunar:01-01"               # a date rule of safety.cards.dates
    send: {before: P3D, at: "09:00"}  # optional: lead time (default P0D) and local send time (09:00)
    audience: {roles: [manager, safety_officer], units: [branch-sw]}   # units optional: all units
    items: [节前开展一次全面隐患排查, 落实节日期间领导带班和24小时值班]
    ack: [read, deployed]             # [read] or [read, deployed]
    quiz: {questions: 3, prohibitions: [1, 2]}   # optional: a lesson each recipient must pass
    timezone: Asia/Shanghai           # optional: the org's zone
    active: true                      # optional; false stops the card (it is kept for the record)
```
The whole file is checked before anything is stored and every problem names its line: unknown keys,
unknown or malformed date rules, unknown roles, unknown or deactivated units, a bad time, lead time, zone
or ack, a missing title, empty or repeated items. Applying is keyed by `id`: a new card is created; a
stored one whose title, items or quiz changed becomes a new revision (`revision` + 1, `content` = sha256 of
the canonical content), other changes update it without a revision. A card the file does not list is
KEPT as it is. Importing the same file again changes nothing (one audit entry `import.cards` per import).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.imports.cards_read import CardsFile, CardSpec, read_cards
from safety.imports.files import Unreadable, read_text
from safety.imports.problems import Problem, problem
from safety.imports.results import ImportRejected, rejected
from storage import bank_queries, card_rule_queries, org_queries
from storage.models import Card

SUBJECT_MAX = 128
__all__ = [
    "CardSpec",
    "CardsFile",
    "CardsReport",
    "content_digest",
    "import_cards",
    "import_cards_file",
    "parse_cards",
]


@dataclass
class CardsReport:
    """What the import changed; `kept`: stored cards the file does not list, left as they are."""

    created: int = 0
    revised: int = 0
    updated: int = 0
    deactivated: int = 0
    reactivated: int = 0
    unchanged: int = 0
    kept: int = 0


def content_digest(title: str, items: list[str] | tuple[str, ...], quiz: dict[str, Any] | None) -> str:
    """sha256 hex of the canonical content (title, items, quiz): what a revision is about."""
    canonical = json.dumps(
        {"title": title, "items": list(items), "quiz": quiz},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_cards(text: str) -> CardsFile:
    """The cards valid on their own, and every problem of the file (units not yet checked)."""
    return read_cards(text)


async def _database_problems(session: AsyncSession, read: CardsFile) -> list[Problem]:
    """Units must be stored and active; a quiz needs a loaded bank with its prohibitions."""
    units = {u.id: u for u in await org_queries.all_units(session)}
    found: list[Problem] = []
    for unit_id, line in read.units:
        unit = units.get(unit_id)
        if unit is None:
            found.append(problem(line, "unknown_unit", id=unit_id))
        elif not unit.active:
            found.append(problem(line, "inactive_unit", id=unit_id))
    if read.quizzes:
        numbers = {p.number for p in await bank_queries.all_prohibitions(session, active_only=True)}
        for quiz_line, prohibitions in read.quizzes:
            if not numbers:
                found.append(problem(quiz_line, "card_quiz_no_bank"))
                continue
            found.extend(
                problem(line, "unknown_prohibition", number=number)
                for number, line in prohibitions
                if number not in numbers
            )
    return found


def _row(spec: CardSpec) -> dict[str, Any]:
    return {
        "title": spec.title,
        "date_rule": spec.date_rule,
        "send_before": spec.send_before,
        "send_at": spec.send_at,
        "timezone": spec.timezone,
        "audience_roles": list(spec.roles),
        "audience_units": list(spec.units) if spec.units is not None else None,
        "items": list(spec.items),
        "ack": list(spec.ack),
        "quiz": spec.quiz,
        "active": spec.active,
    }


async def _apply(session: AsyncSession, specs: list[CardSpec], now: datetime) -> CardsReport:
    stored = {card.id: card for card in await card_rule_queries.all_cards(session)}
    report = CardsReport()
    new: list[Card] = []
    for spec in specs:
        values = _row(spec)
        digest = content_digest(spec.title, spec.items, spec.quiz)
        before = stored.get(spec.id)
        if before is None:
            new.append(
                Card(id=spec.id, source="file", content=digest, created_at=now, updated_at=now, **values)
            )
            report.created += 1
            continue
        changed = {k: v for k, v in values.items() if getattr(before, k) != v}
        revised = before.content != digest
        if not changed and not revised:
            report.unchanged += 1
            continue
        if revised:
            changed.update(revision=before.revision + 1, content=digest)
            report.revised += 1
        elif "active" in changed:
            report.reactivated += spec.active
            report.deactivated += not spec.active
        else:
            report.updated += 1
        await card_rule_queries.update_card(session, card_id=spec.id, values={**changed, "updated_at": now})
    await card_rule_queries.insert_cards(session, cards=new)
    listed = {spec.id for spec in specs}
    report.kept = sum(1 for card in stored.values() if card.id not in listed and card.active)
    return report


async def import_cards_file(
    session: AsyncSession, path: Path, *, now: datetime, channel: str = "cli", actor_id: int | None = None
) -> CardsReport | ImportRejected:
    try:
        text = read_text(path)
    except Unreadable as exc:
        return rejected([exc.problem])
    return await import_cards(session, text, now=now, source=path.name, channel=channel, actor_id=actor_id)


async def import_cards(
    session: AsyncSession,
    text: str,
    *,
    now: datetime,
    source: str = "cards.yaml",
    channel: str = "cli",
    actor_id: int | None = None,
) -> CardsReport | ImportRejected:
    """Validate the file (units and quiz against the database), then apply it in the caller's
    transaction; nothing is stored when any problem is found."""
    read = parse_cards(text)
    problems = [*read.problems, *await _database_problems(session, read)]
    if problems:
        return rejected(problems)
    specs = read.cards
    report = await _apply(session, specs, now)
    await org_queries.add_audit_entry(
        session,
        action="import.cards",
        channel=channel,
        subject=source[:SUBJECT_MAX],
        detail={"file": source, "cards": len(specs), **vars(report)},
        actor_id=actor_id,
    )
    return report
