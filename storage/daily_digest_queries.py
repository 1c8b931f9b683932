"""Reads for the daily digest (safety/daily_digest): who leads which units, and the day's figures of a set of
units — check-ins per round, open hazards, overdue rectifications, quiz clearance, unacknowledged cards.
Plain counts grouped in SQL; the domain turns them into rates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import case
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import CheckIn, OutboxMessage, Person, Report, RoleAssignment, Round
from storage.models.cards import CardRecipient


async def leader_units(session: AsyncSession, *, roles: Iterable[str]) -> dict[int, set[str]]:
    """The active holders of `roles`: person id -> the units they hold one of them at."""
    query = (
        select(RoleAssignment.person_id, RoleAssignment.unit_id)
        .join(Person, col(Person.id) == col(RoleAssignment.person_id))
        .where(col(RoleAssignment.role).in_(list(roles)), col(Person.active).is_(True))
    )
    found: dict[int, set[str]] = {}
    for person_id, unit_id in (await session.exec(query)).all():
        found.setdefault(person_id, set()).add(unit_id)
    return found


async def known_keys(session: AsyncSession, *, keys: Iterable[str]) -> set[str]:
    """Which of these outbox keys exist already (a digest written by an earlier pass or process)."""
    wanted = list(keys)
    if not wanted:
        return set()
    query = select(OutboxMessage.key).where(col(OutboxMessage.key).in_(wanted))
    return set((await session.exec(query)).all())


async def rounds_between(
    session: AsyncSession, *, unit_ids: Iterable[str], first: date, last: date
) -> list[tuple[str, date, int]]:
    """The rounds of these units from `first` to `last`: (unit, day, people who answered)."""
    query = (
        select(col(Round.unit_id), col(Round.day), func.count(func.distinct(CheckIn.person_id)))
        .join(CheckIn, col(CheckIn.round_id) == col(Round.id), isouter=True)
        .where(col(Round.unit_id).in_(list(unit_ids)), col(Round.day) >= first, col(Round.day) <= last)
        .group_by(col(Round.unit_id), col(Round.day))
    )
    return [(u, d, int(n)) for u, d, n in (await session.exec(query)).all()]


async def people_counts(session: AsyncSession, *, unit_ids: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Active people per unit: unit -> (all, cleared by the quiz)."""
    cleared = func.sum(case((col(Person.cleared).is_(True), 1), else_=0))
    query = (
        select(Person.unit_id, func.count(), cleared)
        .where(col(Person.unit_id).in_(list(unit_ids)), col(Person.active).is_(True))
        .group_by(col(Person.unit_id))
    )
    return {u: (int(n), int(c or 0)) for u, n, c in (await session.exec(query)).all()}


async def open_hazards(
    session: AsyncSession, *, unit_ids: Iterable[str]
) -> list[tuple[datetime, date | None, str]]:
    """Hazards not closed yet: (reported at, rectification deadline, state)."""
    query = select(col(Report.created_at), col(Report.deadline), col(Report.state)).where(
        Report.kind == "hazard", Report.state != "closed", col(Report.unit_id).in_(list(unit_ids))
    )
    return [(c, d, s) for c, d, s in (await session.exec(query)).all()]


async def unacknowledged_cards(session: AsyncSession, *, unit_ids: Iterable[str]) -> int:
    """Card recipients in these units who have not pressed 已阅 yet."""
    query = (
        select(func.count())
        .select_from(CardRecipient)
        .where(col(CardRecipient.unit_id).in_(list(unit_ids)), col(CardRecipient.read_at).is_(None))
    )
    return int((await session.exec(query)).one())
