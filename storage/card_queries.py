"""Queries of card delivery and acknowledgement: occurrences, recipients, their events and obligations.

Every write that two processes (or two taps) could make at once is one statement: an insert that ignores a
duplicate on the table's unique key (occurrence per card and date, recipient per occurrence and person,
obligation per kind, ref and subject), or an UPDATE whose WHERE is the version it expects (compare-and-set).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_ignoring_conflicts, insert_many
from storage.models import (
    Card,
    CardEvent,
    CardOccurrence,
    CardRecipient,
    Obligation,
    Person,
    RoleAssignment,
    Unit,
)

OBLIGATION_UNIQUE = ["kind", "ref", "subject_id"]


# --- occurrences ---


async def get_or_create_occurrence(
    session: AsyncSession, *, card: Card, event_date: date, send_at: datetime, now: datetime
) -> tuple[CardOccurrence, bool]:
    """The occurrence of (card, event date), created if missing; True when this call created it. A racing
    process waits on the unique key and then finds the row the other committed."""
    statement = insert_ignoring_conflicts(session, CardOccurrence, ["card_id", "event_date"]).values(
        card_id=card.id,
        event_date=event_date,
        send_at=send_at,
        revision=card.revision,
        title=card.title,
        items=list(card.items),
        created_at=now,
    )
    created = bool((await session.exec(statement)).rowcount)
    found = await occurrence_of(session, card_id=card.id, event_date=event_date)
    assert found is not None
    return found, created


async def occurrence_of(session: AsyncSession, *, card_id: str, event_date: date) -> CardOccurrence | None:
    query = (
        select(CardOccurrence)
        .where(CardOccurrence.card_id == card_id, CardOccurrence.event_date == event_date)
        .execution_options(populate_existing=True)
    )
    return (await session.exec(query)).first()


async def get_occurrence(session: AsyncSession, *, occurrence_id: int) -> CardOccurrence | None:
    query = (
        select(CardOccurrence)
        .where(col(CardOccurrence.id) == occurrence_id)
        .execution_options(populate_existing=True)
    )
    return (await session.exec(query)).first()


async def occurrences_by_ids(session: AsyncSession, *, ids: Iterable[int]) -> list[CardOccurrence]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    query = select(CardOccurrence).where(col(CardOccurrence.id).in_(wanted))
    return list((await session.exec(query.execution_options(populate_existing=True))).all())


async def occurrences_of_cards(
    session: AsyncSession, *, card_ids: Iterable[str], since: date
) -> list[CardOccurrence]:
    """The occurrences of these cards whose event date is `since` or later."""
    wanted = sorted(set(card_ids))
    if not wanted:
        return []
    query = select(CardOccurrence).where(
        col(CardOccurrence.card_id).in_(wanted), col(CardOccurrence.event_date) >= since
    )
    return list((await session.exec(query.execution_options(populate_existing=True))).all())


async def mark_sent(session: AsyncSession, *, occurrence_id: int, now: datetime) -> None:
    await session.exec(
        update(CardOccurrence)
        .where(col(CardOccurrence.id) == occurrence_id, col(CardOccurrence.sent_at).is_(None))
        .values(sent_at=now)
        .execution_options(synchronize_session=False)
    )


async def revise_occurrence(
    session: AsyncSession, *, occurrence_id: int, old_revision: int, card: Card
) -> bool:
    """Move the occurrence to the card's current revision (title, items), once: compare-and-set on the
    revision it was sent at (and only forward). True when this call moved it."""
    result = await session.exec(
        update(CardOccurrence)
        .where(
            col(CardOccurrence.id) == occurrence_id,
            col(CardOccurrence.revision) == old_revision,
            col(CardOccurrence.revision) < card.revision,
        )
        .values(revision=card.revision, title=card.title, items=list(card.items))
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


async def cards_by_ids(session: AsyncSession, *, ids: Iterable[str]) -> dict[str, Card]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = select(Card).where(col(Card.id).in_(wanted)).execution_options(populate_existing=True)
    return {c.id: c for c in (await session.exec(query)).all()}


async def active_file_cards(session: AsyncSession) -> list[Card]:
    query = select(Card).where(col(Card.active).is_(True), Card.source == "file").order_by(col(Card.id))
    return list((await session.exec(query)).all())


# --- audience ---


async def audience(
    session: AsyncSession, *, roles: Sequence[str], unit_ids: Iterable[str] | None
) -> list[Person]:
    """Active people holding one of `roles` at one of `unit_ids` (None: anywhere), once each, by id."""
    query = (
        select(Person)
        .join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
        .where(col(RoleAssignment.role).in_(list(roles)), col(Person.active).is_(True))
    )
    people: dict[int, Person] = {}
    if unit_ids is None:
        people.update((p.id or 0, p) for p in (await session.exec(query)).all())
    else:
        units = sorted(set(unit_ids))
        for start in range(0, len(units), 500):
            batch = units[start : start + 500]
            found = await session.exec(query.where(col(RoleAssignment.unit_id).in_(batch)))
            people.update((p.id or 0, p) for p in found.all())
    return [people[k] for k in sorted(people)]


async def all_units(session: AsyncSession) -> list[Unit]:
    return list((await session.exec(select(Unit).order_by(col(Unit.sort_order), col(Unit.id)))).all())


# --- recipients ---


async def add_recipients(session: AsyncSession, *, rows: Sequence[dict[str, Any]]) -> set[int]:
    """Insert recipients, ignoring those there already; the person ids this call inserted."""
    inserted = await insert_many(
        session, CardRecipient, rows, conflict=["occurrence_id", "person_id"], returning="person_id"
    )
    return {int(p) for p in inserted}


async def recipients_of(
    session: AsyncSession, *, occurrence_id: int, person_ids: Iterable[int] | None = None
) -> list[CardRecipient]:
    query = select(CardRecipient).where(CardRecipient.occurrence_id == occurrence_id)
    if person_ids is not None:
        wanted = sorted(set(person_ids))
        if not wanted:
            return []
        query = query.where(col(CardRecipient.person_id).in_(wanted))
    query = query.order_by(col(CardRecipient.id)).execution_options(populate_existing=True)
    return list((await session.exec(query)).all())


async def recipients_of_occurrences(
    session: AsyncSession, *, occurrence_ids: Iterable[int]
) -> list[CardRecipient]:
    wanted = sorted(set(occurrence_ids))
    if not wanted:
        return []
    query = (
        select(CardRecipient)
        .where(col(CardRecipient.occurrence_id).in_(wanted))
        .order_by(col(CardRecipient.id))
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(query)).all())


async def get_recipient(session: AsyncSession, *, recipient_id: int) -> CardRecipient | None:
    query = (
        select(CardRecipient)
        .where(col(CardRecipient.id) == recipient_id)
        .execution_options(populate_existing=True)
    )
    return (await session.exec(query)).first()


async def recipients_of_person(session: AsyncSession, *, person_id: int, limit: int) -> list[CardRecipient]:
    """The person's latest card recipients (newest occurrence first)."""
    query = (
        select(CardRecipient)
        .join(CardOccurrence, col(CardOccurrence.id) == col(CardRecipient.occurrence_id))
        .where(CardRecipient.person_id == person_id)
        .order_by(col(CardOccurrence.send_at).desc(), col(CardRecipient.id).desc())
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(query)).all())


async def answer(
    session: AsyncSession, *, recipient_id: int, version: int, revision: int, values: dict[str, Any]
) -> bool:
    """Compare-and-set one answer on a recipient at the version and revision the button carried; the
    version grows by one. True when this call changed the row (a double tap: only the first)."""
    result = await session.exec(
        update(CardRecipient)
        .where(
            col(CardRecipient.id) == recipient_id,
            col(CardRecipient.version) == version,
            col(CardRecipient.revision) == revision,
        )
        .values(version=col(CardRecipient.version) + 1, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


async def reset_for_revision(session: AsyncSession, *, recipient_id: int, revision: int) -> bool:
    """Ask the recipient again at `revision`: read, deployed, note and pass cleared, once (only while the
    recipient is at an older revision). The version grows, so a press racing with it changes nothing."""
    result = await session.exec(
        update(CardRecipient)
        .where(col(CardRecipient.id) == recipient_id, col(CardRecipient.revision) < revision)
        .values(
            version=col(CardRecipient.version) + 1,
            revision=revision,
            read_at=None,
            deployed_at=None,
            note=None,
            passed_at=None,
            quiz_attempt_id=None,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


async def add_events(session: AsyncSession, *, rows: Sequence[dict[str, Any]]) -> None:
    await insert_many(session, CardEvent, rows)


# --- obligations ---


async def open_obligations(session: AsyncSession, *, rows: Sequence[dict[str, Any]]) -> None:
    """Open card_ack obligations (one per recipient), ignoring those there already."""
    await insert_many(session, Obligation, rows, conflict=OBLIGATION_UNIQUE)


async def reopen_obligation(
    session: AsyncSession,
    *,
    kind: str,
    ref: str,
    subject_id: int,
    due_at: datetime,
    level: int,
    next_step_at: datetime | None,
) -> bool:
    """Open the obligation again from its first step (a revised card): one statement."""
    result = await session.exec(
        update(Obligation)
        .where(
            col(Obligation.kind) == kind,
            col(Obligation.ref) == ref,
            col(Obligation.subject_id) == subject_id,
        )
        .values(
            state="open",
            level=level,
            due_at=due_at,
            next_step_at=next_step_at,
            closed_by=None,
            closed_at=None,
            note=None,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


async def close_obligation(
    session: AsyncSession, *, kind: str, ref: str, subject_id: int, by: int, now: datetime
) -> bool:
    """Close the subject's open obligation as acknowledged; True when this call closed it."""
    result = await session.exec(
        update(Obligation)
        .where(
            col(Obligation.kind) == kind,
            col(Obligation.ref) == ref,
            col(Obligation.subject_id) == subject_id,
            col(Obligation.state) == "open",
        )
        .values(state="acknowledged", closed_by=by, closed_at=now, next_step_at=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


async def people_by_ids(session: AsyncSession, *, ids: Iterable[int]) -> dict[int, Person]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = select(Person).where(col(Person.id).in_(wanted))
    return {p.id or 0: p for p in (await session.exec(query)).all()}


async def occurrences_in_units(session: AsyncSession, *, unit_ids: Iterable[str], limit: int) -> list[int]:
    """The latest occurrences (by send time) with a recipient in one of these units: their ids."""
    wanted = sorted(set(unit_ids))
    if not wanted:
        return []
    query = (
        select(CardOccurrence.id, CardOccurrence.send_at)
        .join(CardRecipient, col(CardRecipient.occurrence_id) == col(CardOccurrence.id))
        .where(col(CardRecipient.unit_id).in_(wanted))
        .distinct()
        .order_by(col(CardOccurrence.send_at).desc(), col(CardOccurrence.id).desc())
        .limit(limit)
    )
    return [int(i) for i, _ in (await session.exec(query)).all() if i is not None]
