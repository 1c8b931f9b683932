"""Queries of a check-in answer: the press path of the morning rush, so as few statements as possible.

A press of 全部正常 reads its round with the unit, the person's obligation, any earlier check-in and
whether digests list the round (one statement), then inserts the check-in ignoring a duplicate and closes
the obligation (one statement on PostgreSQL, two on SQLite; no savepoint).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import and_
from sqlalchemy import select as sa_select
from sqlmodel import col, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_ignoring_conflicts, is_postgresql
from storage.models import CheckIn, Digest, Obligation, Round, Unit


class Duty(NamedTuple):
    """A person's obligation for a round, and when they checked in already (None: not yet)."""

    obligation_id: int
    state: str
    checked_in_at: datetime | None


@dataclass(frozen=True)
class PressContext:
    """What answering a round needs to know, read at once."""

    day: date  # the round's local date
    due_at: datetime
    unit: Unit
    duty: Duty | None  # None: the person is not expected in this round
    has_digests: bool  # escalation (step) digests list the round (they are edited after an answer)


async def press_context(session: AsyncSession, *, round_id: int, person_id: int) -> PressContext | None:
    """The round, its unit, the person's duty in it and whether digests list it; None: no such round."""
    ref = f"round:{round_id}"
    digests = (
        sa_select(col(Digest.id))
        .where(col(Digest.kind) == "checkin", col(Digest.ref) == ref, col(Digest.topic) == "step")
        .exists()
    )
    query: Any = (
        sa_select(
            col(Round.day),
            col(Round.due_at),
            Unit,
            col(Obligation.id),
            col(Obligation.state),
            col(CheckIn.at),
            digests,
        )
        .join(Unit, col(Unit.id) == col(Round.unit_id))
        .outerjoin(
            Obligation,
            and_(
                col(Obligation.kind) == "checkin",
                col(Obligation.ref) == ref,
                col(Obligation.subject_id) == person_id,
            ),
        )
        .outerjoin(CheckIn, and_(col(CheckIn.round_id) == col(Round.id), col(CheckIn.person_id) == person_id))
        .where(col(Round.id) == round_id)
    )
    row = (await session.exec(query)).first()
    if row is None:
        return None
    day, due_at, unit, obligation_id, state, checked_in_at, has_digests = row
    duty = Duty(obligation_id, state, checked_in_at) if obligation_id is not None else None
    return PressContext(day, due_at, unit, duty, bool(has_digests))


async def record_checkin(session: AsyncSession, *, checkin: CheckIn, obligation_id: int) -> CheckIn | None:
    """Insert the check-in unless the person has one for the round already (a double press: None), and
    close their open obligation as done. One statement on PostgreSQL (data-modifying CTEs), two on SQLite."""
    inserted = (
        insert_ignoring_conflicts(session, CheckIn, ["round_id", "person_id"])
        .values(**checkin.model_dump(exclude={"id"}))
        .returning(col(CheckIn.id))
    )
    close = {
        "state": "done",
        "closed_by": checkin.person_id,
        "closed_at": checkin.at,
        "next_step_at": None,
        "note": None,
    }
    open_duty = and_(col(Obligation.id) == obligation_id, col(Obligation.state) == "open")
    if is_postgresql(session):
        new = inserted.cte("new_checkin")
        closed = (
            update(Obligation)
            .where(open_duty, sa_select(new.c.id).exists())
            .values(**close)
            .returning(col(Obligation.id))
            .cte("closed_duty")
        )
        query: Any = sa_select(new.c.id).add_cte(closed)
        new_id = (await session.exec(query)).scalar_one_or_none()
    else:
        new_id = (await session.exec(inserted)).scalar_one_or_none()
        if new_id is not None:
            await session.exec(update(Obligation).where(open_duty).values(**close))
    if new_id is None:
        return None
    checkin.id = new_id
    return checkin
