"""Queries of the duty list (责任清单, `DutyItem`) and of the people it applies to.

Keyword-only, the session passed explicitly. Two imports at once serialise on one lock
(`lock_duty_lists`), so the later one reads what the earlier one stored and the list ends as one file's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import is_postgresql
from storage.models import DutyItem, Person, RoleAssignment

CHUNK = 1000
LOCK_NAME = "import|duties"


async def lock_duty_lists(session: AsyncSession) -> None:
    """Hold the duty list until the transaction ends, across processes. PostgreSQL: a transaction-scoped
    advisory lock; SQLite: a write transaction holds the database's write lock from its start (storage.db)."""
    if is_postgresql(session):
        await session.exec(sa_select(func.pg_advisory_xact_lock(func.hashtext(LOCK_NAME))))  # type: ignore[call-overload]


async def all_items(session: AsyncSession) -> list[DutyItem]:
    """Every stored duty, deactivated ones included, in the file's order (read fresh)."""
    query = (
        select(DutyItem)
        .order_by(col(DutyItem.position), col(DutyItem.id))
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(query)).all())


async def items_in_force(session: AsyncSession, *, since: datetime) -> list[DutyItem]:
    """The duties active now or deactivated at `since` or later (a month's record still shows a duty
    removed after the month began), in the file's order."""
    query = (
        select(DutyItem)
        .where(or_(col(DutyItem.active).is_(True), col(DutyItem.deactivated_at) >= since))
        .order_by(col(DutyItem.position), col(DutyItem.id))
    )
    return list((await session.exec(query)).all())


async def insert_items(session: AsyncSession, *, items: Sequence[DutyItem]) -> None:
    session.add_all(list(items))
    await session.flush()


async def update_item(session: AsyncSession, *, item_id: str, values: dict[str, Any]) -> None:
    await session.exec(
        update(DutyItem)
        .where(col(DutyItem.id) == item_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def deactivate_items(session: AsyncSession, *, item_ids: Sequence[str], now: datetime) -> int:
    """Deactivate these duties (kept for the record); the count of those that were active."""
    changed = 0
    for start in range(0, len(item_ids), CHUNK):
        result = await session.exec(
            update(DutyItem)
            .where(
                col(DutyItem.id).in_(list(item_ids[start : start + CHUNK])), col(DutyItem.active).is_(True)
            )
            .values(active=False, deactivated_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        changed += int(getattr(result, "rowcount", 0) or 0)
    return changed


@dataclass
class Holder:
    """A person as the duty list sees them: where they belong and the roles they hold where."""

    person_id: int
    employee_no: str
    name: str
    unit_id: str
    active: bool
    roles: list[tuple[str, str]] = field(default_factory=list)  # (role, unit_id)


async def holders(
    session: AsyncSession, *, unit_ids: Iterable[str] = (), person_id: int | None = None
) -> list[Holder]:
    """The people of these units (or the one person) with their roles, by unit and employee number."""
    query = select(Person).order_by(col(Person.unit_id), col(Person.employee_no))
    if person_id is not None:
        query = query.where(col(Person.id) == person_id)
        people = list((await session.exec(query)).all())
    else:
        people = []
        for batch in _chunks(sorted(set(unit_ids))):
            people.extend((await session.exec(query.where(col(Person.unit_id).in_(batch)))).all())
        people.sort(key=lambda p: (p.unit_id, p.employee_no))
    found = {
        p.id: Holder(p.id, p.employee_no, p.name, p.unit_id, p.active) for p in people if p.id is not None
    }
    for batch in _chunks(sorted(found)):
        rows = await session.exec(
            select(RoleAssignment)
            .where(col(RoleAssignment.person_id).in_(batch))
            .order_by(col(RoleAssignment.id))
        )
        for assignment in rows.all():
            found[assignment.person_id].roles.append((assignment.role, assignment.unit_id))
    return list(found.values())


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
