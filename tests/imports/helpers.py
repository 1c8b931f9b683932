"""Shared helpers for the import tests: running an import in one session and snapshotting the org tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmodel import func, select

from safety.imports import ImportRejected, ImportReport, import_org, import_roster_file
from storage import org_queries as q
from storage.db import Database
from storage.models import AuditEntry

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ORG_TEXT = (EXAMPLES / "org.yaml").read_text(encoding="utf-8")


async def run_org(db: Database, text: str) -> ImportReport | ImportRejected:
    async with db.session() as session:
        return await import_org(session, text)


async def run_roster(db: Database, path: Path) -> ImportReport | ImportRejected:
    async with db.session() as session:
        return await import_roster_file(session, path)


def ok(result: ImportReport | ImportRejected) -> ImportReport:
    assert isinstance(result, ImportReport), [f"{p.line}: {p.message}" for p in result.problems]
    return result


def rejected(result: ImportReport | ImportRejected) -> list[tuple[int, str]]:
    assert isinstance(result, ImportRejected), f"expected problems, got {result}"
    return [(p.line, p.code) for p in result.problems]


def _j(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of units, people and role assignments (ids and timestamps included)."""
    async with db.session() as session:
        units = [
            (u.id, u.name, u.parent_id, u.timezone, _j(u.checkin), _j(u.escalation), u.sort_order, u.active)
            for u in await q.all_units(session)
        ]
        people = [
            (p.id, p.employee_no, p.name, p.phone, p.unit_id, p.language, p.active, p.created_at)
            for p in await q.all_people(session)
        ]
        roles = [(a.id, a.person_id, a.role, a.unit_id) for a in await q.all_role_assignments(session)]
    return {"units": sorted(units), "people": sorted(people), "roles": sorted(roles)}


async def audit_count(db: Database) -> int:
    async with db.session() as session:
        return int((await session.exec(select(func.count()).select_from(AuditEntry))).one())


async def people_state(db: Database) -> dict[str, tuple[Any, ...]]:
    """employee_no -> (name, phone, unit, active, sorted roles), independent of ids."""
    async with db.session() as session:
        people = await q.all_people(session)
        roles = await q.all_role_assignments(session)
    by_person: dict[int, list[str]] = {}
    for a in roles:
        by_person.setdefault(a.person_id, []).append(f"{a.role}@{a.unit_id}")
    return {
        p.employee_no: (p.name, p.phone, p.unit_id, p.active, tuple(sorted(by_person.get(p.id or 0, []))))
        for p in people
    }
