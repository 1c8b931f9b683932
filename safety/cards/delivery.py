"""Sending a card: each occurrence once to every active holder of its audience roles in its units.

`publish` does it for one (card, event date), all in the caller's transaction: the occurrence (unique per
card and date), one `CardRecipient` per person (unique per occurrence and person), one outbox message per
new recipient and one `card_ack` obligation each. Every insert ignores what is there already, so a second
publish — a restart, a second process on PostgreSQL at the same moment — writes nothing twice: the second
writer waits on the unique keys and then finds the first one's rows. The card message is the obligation's
first `self` step (when its policy starts with one at PT0M), so the tick does not send it again.

`send_due` is the housekeeping: the file cards' occurrences now due, and revised cards' occurrences.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import digests, outbox
from safety.calendar import WorkCalendar
from safety.cards import dates, views
from safety.config import Defaults
from safety.escalation import UnitTree
from safety.kinds import CARD_ACK
from safety.outbox import Envelope
from safety.policy import Step
from storage import card_queries as cq
from storage.models import Card, CardOccurrence, CardRecipient, Person

log = logging.getLogger(__name__)

GRACE = timedelta(days=1)  # an occurrence whose send time passed longer ago is not sent (an old import)
REVISION_WINDOW = timedelta(days=7)  # a revision asks again only about events at most this long past
_warned: set[tuple[str, int]] = set()  # unresolved (card, year), logged once per process


def ref_of(occurrence_id: int) -> str:
    """The obligations' reference of an occurrence (one digest speaks of one occurrence)."""
    return f"card:{occurrence_id}"


def message_key(occurrence_id: int, revision: int, person_id: int) -> str:
    return f"card:{occurrence_id}:r{revision}:p{person_id}"


async def publish(
    session: AsyncSession,
    *,
    card: Card,
    event_date: date,
    send_at: datetime,
    now: datetime,
    defaults: Defaults,
) -> CardOccurrence:
    """Create (or find) the occurrence of `card` on `event_date` and send it to every person of its audience
    not reached yet: a recipient row, the card message and a card_ack obligation each."""
    occurrence, _ = await cq.get_or_create_occurrence(
        session, card=card, event_date=event_date, send_at=send_at, now=now
    )
    assert occurrence.id is not None
    people = await _audience(session, card)
    rows = [
        {
            "occurrence_id": occurrence.id,
            "person_id": p.id,
            "unit_id": p.unit_id,
            "revision": occurrence.revision,
            "version": 0,
            "created_at": now,
        }
        for p in people
    ]
    new = await cq.add_recipients(session, rows=rows)
    if new:
        recipients = await cq.recipients_of(session, occurrence_id=occurrence.id, person_ids=new)
        tree = await UnitTree.load(session)
        await _send(session, occurrence, card, recipients, now=now, defaults=defaults, revised=False)
        await cq.open_obligations(
            session, rows=[_obligation_row(tree, occurrence, r, now) for r in recipients]
        )
    await cq.mark_sent(session, occurrence_id=occurrence.id, now=now)
    return occurrence


async def _audience(session: AsyncSession, card: Card) -> list[Person]:
    """Active holders of the card's roles in its units and below (None: every unit)."""
    if card.audience_units is None:
        return await cq.audience(session, roles=card.audience_roles, unit_ids=None)
    units = await cq.all_units(session)
    children: dict[str, list[str]] = {}
    for unit in units:
        if unit.parent_id:
            children.setdefault(unit.parent_id, []).append(unit.id)
    scope: list[str] = [u for u in card.audience_units if any(x.id == u for x in units)]
    seen = set(scope)
    for current in scope:
        for child in children.get(current, []):
            if child not in seen:
                seen.add(child)
                scope.append(child)
    return await cq.audience(session, roles=card.audience_roles, unit_ids=scope)


def first_steps(steps: tuple[Step, ...], due_at: datetime) -> tuple[int, datetime | None]:
    """The obligation's level and next step time when the card message itself was its first step: a first
    `self` step at PT0M counts as fired (level 0); otherwise nothing fired yet."""
    if steps and steps[0].to == "self" and steps[0].after <= timedelta(0):
        return 0, (due_at + steps[1].after if len(steps) > 1 else None)
    return -1, (due_at + steps[0].after if steps else None)


def _obligation_row(
    tree: UnitTree, occurrence: CardOccurrence, recipient: CardRecipient, now: datetime
) -> dict[str, Any]:
    level, next_at = first_steps(tree.steps(recipient.unit_id, CARD_ACK), occurrence.send_at)
    return {
        "kind": CARD_ACK,
        "ref": ref_of(occurrence.id or 0),
        "subject_id": recipient.person_id,
        "unit_id": recipient.unit_id,
        "due_at": occurrence.send_at,
        "state": "open",
        "level": level,
        "next_step_at": next_at,
        "created_at": now,
    }


async def _send(
    session: AsyncSession,
    occurrence: CardOccurrence,
    card: Card,
    recipients: Iterable[CardRecipient],
    *,
    now: datetime,
    defaults: Defaults,
    revised: bool,
) -> int:
    envelopes = [
        Envelope(
            key=message_key(occurrence.id or 0, occurrence.revision, r.person_id),
            kind="card",
            view=views.card_view(occurrence, r, card.ack, revised=revised),
            person_id=r.person_id,
            not_before=occurrence.send_at if occurrence.send_at > now else None,
        )
        for r in recipients
    ]
    return await outbox.enqueue(session, envelopes, now=now, default_channel=defaults.channel)


# --- housekeeping ---


async def send_due(
    session: AsyncSession, *, now: datetime, defaults: Defaults, calendar: WorkCalendar
) -> int:
    """Publish the active file cards' occurrences now due (sent at most GRACE late), and ask recipients of
    revised cards' occurrences for the new version. Returns the occurrences published or revised."""
    cards = await cq.active_file_cards(session)
    if not cards:
        return 0
    known = {
        (o.card_id, o.event_date): o
        for o in await cq.occurrences_of_cards(
            session, card_ids=[c.id for c in cards], since=(now - REVISION_WINDOW).date()
        )
    }
    done = 0
    for card in cards:
        for found in _due_occurrences(card, now=now, defaults=defaults, calendar=calendar):
            existing = known.get((card.id, found.event_date))
            if existing is not None and existing.sent_at is not None:
                continue
            await publish(
                session,
                card=card,
                event_date=found.event_date,
                send_at=found.send_at,
                now=now,
                defaults=defaults,
            )
            done += 1
    by_id = {c.id: c for c in cards}
    for occurrence in known.values():
        revised = by_id.get(occurrence.card_id)
        if revised is not None and occurrence.sent_at is not None and revised.revision > occurrence.revision:
            done += await resend_revision(session, occurrence, revised, now=now, defaults=defaults)
    return done


def _due_occurrences(
    card: Card, *, now: datetime, defaults: Defaults, calendar: WorkCalendar
) -> list[dates.Occurrence]:
    zone: ZoneInfo = defaults.zone(card.timezone)
    year = now.astimezone(zone).year
    due: list[dates.Occurrence] = []
    for y in (year - 1, year, year + 1):
        found = dates.occurrences(card, y, calendar, zone)
        if not isinstance(found, list):
            if (card.id, y) not in _warned and y >= year:
                _warned.add((card.id, y))
                log.warning("card %s: unresolved for %s (%s)", card.id, y, found.reason)
            continue
        due += [o for o in found if now - GRACE < o.send_at <= now]
    return due


async def resend_revision(
    session: AsyncSession, occurrence: CardOccurrence, card: Card, *, now: datetime, defaults: Defaults
) -> int:
    """The card was revised after this occurrence went out: the occurrence takes the new title and items
    (once, compare-and-set on its revision), each recipient is asked again (their answer reset), gets the
    new version and their obligation starts again. Returns 1 when this call revised it."""
    assert occurrence.id is not None
    if not await cq.revise_occurrence(
        session, occurrence_id=occurrence.id, old_revision=occurrence.revision, card=card
    ):
        return 0
    fresh = await cq.get_occurrence(session, occurrence_id=occurrence.id)
    assert fresh is not None
    reset: list[CardRecipient] = []
    for recipient in await cq.recipients_of(session, occurrence_id=fresh.id or 0):
        if await cq.reset_for_revision(session, recipient_id=recipient.id or 0, revision=fresh.revision):
            reset.append(recipient)
    if not reset:
        return 1
    reset = await cq.recipients_of(
        session, occurrence_id=fresh.id or 0, person_ids=[r.person_id for r in reset]
    )
    await cq.add_events(
        session,
        rows=[
            {
                "occurrence_id": fresh.id,
                "person_id": r.person_id,
                "revision": fresh.revision,
                "action": "resent",
                "note": None,
                "at": now,
            }
            for r in reset
        ],
    )
    await _send(session, fresh, card, reset, now=now, defaults=defaults, revised=True)
    tree = await UnitTree.load(session)
    for r in reset:
        level, next_at = first_steps(tree.steps(r.unit_id, CARD_ACK), now)
        await cq.reopen_obligation(
            session,
            kind=CARD_ACK,
            ref=ref_of(fresh.id or 0),
            subject_id=r.person_id,
            due_at=now,
            level=level,
            next_step_at=next_at,
        )
    await digests.refresh(session, kind=CARD_ACK, ref=ref_of(fresh.id or 0), now=now, defaults=defaults)
    return 1
