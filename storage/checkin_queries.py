"""Queries of a check-in answer: the press path of the morning rush, so as few statements as possible.

A press of 全部正常 reads its round with the unit (one statement), the person's obligation with any earlier
check-in (one), inserts the check-in ignoring a duplicate (one, no savepoint) and closes the obligation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import CheckIn, Obligation, Round, Unit


class Duty(NamedTuple):
    """A person's obligation for a round, and when they checked in already (None: not yet)."""

    obligation_id: int
    state: str
    checked_in_at: datetime | None


async def round_with_unit(session: AsyncSession, *, round_id: int) -> tuple[Round, Unit] | None:
    result = await session.exec(
        select(Round, Unit).join(Unit, col(Unit.id) == col(Round.unit_id)).where(col(Round.id) == round_id)
    )
    row = result.first()
    return (row[0], row[1]) if row is not None else None


async def duty_of(session: AsyncSession, *, round_id: int, person_id: int) -> Duty | None:
    """The person's check-in obligation of the round with any earlier check-in; None: not expected."""
    query: Any = (
        sa_select(col(Obligation.id), col(Obligation.state), col(CheckIn.at))
        .outerjoin(CheckIn, and_(col(CheckIn.round_id) == round_id, col(CheckIn.person_id) == person_id))
        .where(
            col(Obligation.kind) == "checkin",
            col(Obligation.ref) == f"round:{round_id}",
            col(Obligation.subject_id) == person_id,
        )
    )
    row = (await session.exec(query)).first()
    return Duty._make(row) if row is not None else None


async def insert_checkin(session: AsyncSession, *, checkin: CheckIn) -> CheckIn | None:
    """Insert unless the person has one for the round already (a double press): then None."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    values = checkin.model_dump(exclude={"id"})
    statement = (
        insert(CheckIn)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["round_id", "person_id"])
        .returning(col(CheckIn.id))
    )
    new_id = (await session.exec(statement)).scalar_one_or_none()
    if new_id is None:
        return None
    checkin.id = new_id
    return checkin
