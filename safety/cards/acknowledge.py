"""A recipient's answer to a card: 已阅 (`cr`), 已部署落实 (`cd`), then an optional note or 跳过 (`cn`).

Every press is re-checked here: the button's recipient must be the presser, and it must be of the card's
current revision (an older one's press is told the card was revised and shown the new version). Each answer
is one compare-and-set on the recipient's version, so a double tap records one event; the answer that
completes the card closes the person's card_ack obligation (acknowledged, by them) and edits the digests
that list it. A typed note is the step "note" of the flow "card_note" (≤ NOTE_MAX characters); skipping
stores an empty note, so the card shows as complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import flows
from safety.cards import lessons, views
from safety.config import Defaults
from safety.flows import Flow
from safety.views import View
from storage import card_queries as cq
from storage.models import Card, CardOccurrence, CardRecipient

FLOW, STEP = "card_note", "note"
NOTE_MAX = 500


class Status(StrEnum):
    RECORDED = "recorded"  # the answer was recorded (the view shows what comes next)
    INVALID = "invalid"  # not a card button, or the card is gone
    NOT_YOURS = "not_yours"
    REVISED = "revised"  # the button is of an older revision: the view shows the current one
    STALE = "stale"  # answered already (a double tap, an old button): the view shows the state now


@dataclass(frozen=True)
class Outcome:
    status: Status
    key: str  # the text key of the answer to the presser
    view: View | None = None  # the card as the message should show it now
    params: dict[str, Any] = field(default_factory=dict)
    interrupted: str | None = None  # the flow a note step replaced


@dataclass(frozen=True)
class Loaded:
    recipient: CardRecipient
    occurrence: CardOccurrence
    card: Card | None

    @property
    def ack(self) -> list[str]:
        return self.card.ack if self.card else ["read"]

    def view(self, **kwargs: Any) -> View:
        """The card as it stands, with a lesson's quiz offer once read (safety/cards/lessons.py)."""
        view = views.card_view(self.occurrence, self.recipient, self.ack, **kwargs)
        return lessons.with_offer(view, self.recipient, self.card)


async def load(session: AsyncSession, recipient_id: int) -> Loaded | None:
    recipient = await cq.get_recipient(session, recipient_id=recipient_id)
    if recipient is None:
        return None
    occurrence = await cq.get_occurrence(session, occurrence_id=recipient.occurrence_id)
    if occurrence is None:
        return None
    card = (await cq.cards_by_ids(session, ids=[occurrence.card_id])).get(occurrence.card_id)
    return Loaded(recipient, occurrence, card)


async def press(
    session: AsyncSession, *, action: str, arg: str, actor_id: int, now: datetime, defaults: Defaults
) -> Outcome:
    """One press of a card button by `actor_id`, all in the caller's transaction."""
    parsed = views.parse_arg(arg)
    found = await load(session, parsed.recipient_id) if parsed else None
    if parsed is None or found is None or action not in (views.READ, views.DEPLOYED, views.NOTE):
        return Outcome(Status.INVALID, "cards.button_invalid")
    if found.recipient.person_id != actor_id:
        return Outcome(Status.NOT_YOURS, "cards.not_yours")
    if parsed.revision is not None and parsed.revision != found.recipient.revision:
        return Outcome(Status.REVISED, "cards.revised", found.view(revised=True))
    if action == views.READ:
        return await _read(session, found, parsed.version, now=now, defaults=defaults)
    if action == views.DEPLOYED:
        return await _deployed(session, found, parsed.version, now=now, defaults=defaults)
    return await _skip(session, found, parsed.version, now=now)


async def _read(
    session: AsyncSession, found: Loaded, version: int, *, now: datetime, defaults: Defaults
) -> Outcome:
    if found.recipient.read_at is not None or not await _answer(session, found, version, read_at=now):
        return await _stale(session, found)
    await _event(session, found, "read", now=now)
    fresh = await load(session, found.recipient.id or 0)
    assert fresh is not None
    if not views.wants_deployed(found.ack):
        await _close(session, found, now=now, defaults=defaults)
        return Outcome(Status.RECORDED, "cards.done_complete", fresh.view())
    return Outcome(Status.RECORDED, "cards.done_read", fresh.view())


async def _deployed(
    session: AsyncSession, found: Loaded, version: int, *, now: datetime, defaults: Defaults
) -> Outcome:
    recipient = found.recipient
    if (
        recipient.read_at is None
        or recipient.deployed_at is not None
        or not views.wants_deployed(found.ack)
        or not await _answer(session, found, version, deployed_at=now)
    ):
        return await _stale(session, found)
    await _event(session, found, "deployed", now=now)
    await _close(session, found, now=now, defaults=defaults)
    fresh = await load(session, recipient.id or 0)
    assert fresh is not None
    _, interrupted = await flows.start(
        session, person_id=recipient.person_id, name=FLOW, step=STEP, now=now, recipient=recipient.id
    )
    return Outcome(Status.RECORDED, "cards.done_deployed", fresh.view(), interrupted=interrupted)


async def _skip(session: AsyncSession, found: Loaded, version: int, *, now: datetime) -> Outcome:
    recipient = found.recipient
    if (
        recipient.deployed_at is None
        or recipient.note is not None
        or not await _answer(session, found, version, note="")
    ):
        return await _stale(session, found)
    await _end_note_flow(session, recipient, now=now)
    fresh = await load(session, recipient.id or 0)
    assert fresh is not None
    return Outcome(Status.RECORDED, "cards.done_skipped", fresh.view())


@dataclass(frozen=True)
class NoteOutcome:
    status: Status
    key: str
    view: View | None = None
    params: dict[str, Any] = field(default_factory=dict)


async def note(session: AsyncSession, flow: Flow, *, text: str, now: datetime) -> NoteOutcome:
    """A typed note at the flow's step: stored on the recipient (once) with a CardEvent "note"; a note
    over NOTE_MAX characters is refused and nothing is kept (the step stays open)."""
    text = text.strip()
    if not text:
        return NoteOutcome(Status.INVALID, "cards.note_empty")
    if len(text) > NOTE_MAX:
        return NoteOutcome(Status.INVALID, "cards.note_too_long", params={"max": NOTE_MAX, "n": len(text)})
    recipient_id = flow.get("recipient")
    found = await load(session, int(recipient_id)) if isinstance(recipient_id, int) else None
    if found is None or found.recipient.person_id != flow.person_id:
        await flows.end(session, person_id=flow.person_id, version=flow.version)
        return NoteOutcome(Status.INVALID, "cards.gone")
    recipient = found.recipient
    if recipient.note is not None or recipient.deployed_at is None:
        await flows.end(session, person_id=flow.person_id, version=flow.version)
        if recipient.note is None:  # the card was revised meanwhile: it asks for a new answer first
            return NoteOutcome(Status.REVISED, "cards.revised", found.view(revised=True))
        return NoteOutcome(Status.STALE, "cards.note_already", found.view())
    if not await _answer(session, found, recipient.version, note=text):
        return NoteOutcome(Status.STALE, "cards.note_already", found.view())
    await _event(session, found, "note", now=now, note=text)
    await flows.end(session, person_id=flow.person_id, version=flow.version)
    fresh = await load(session, recipient.id or 0)
    assert fresh is not None
    return NoteOutcome(Status.RECORDED, "cards.done_noted", fresh.view())


# --- helpers ---


async def _answer(session: AsyncSession, found: Loaded, version: int, **values: Any) -> bool:
    return await cq.answer(
        session,
        recipient_id=found.recipient.id or 0,
        version=version,
        revision=found.recipient.revision,
        values=values,
    )


async def _stale(session: AsyncSession, found: Loaded) -> Outcome:
    fresh = await load(session, found.recipient.id or 0) or found
    return Outcome(Status.STALE, "cards.already_answered", fresh.view())


async def _event(
    session: AsyncSession, found: Loaded, action: str, *, now: datetime, note: str | None = None
) -> None:
    row = {
        "occurrence_id": found.occurrence.id,
        "person_id": found.recipient.person_id,
        "revision": found.recipient.revision,
        "action": action,
        "note": note,
        "at": now,
    }
    await cq.add_events(session, rows=[row])


async def _close(session: AsyncSession, found: Loaded, *, now: datetime, defaults: Defaults) -> None:
    """The answer may complete the card: then the person's obligation closes (acknowledged, by them) and
    the digests listing it are edited. A lesson with a quiz stays open until it is passed."""
    fresh = await cq.get_recipient(session, recipient_id=found.recipient.id or 0)
    if fresh is not None:
        await lessons.close_if_complete(session, fresh, now=now, defaults=defaults)


async def _end_note_flow(session: AsyncSession, recipient: CardRecipient, *, now: datetime) -> None:
    row = await flows.current(session, person_id=recipient.person_id, now=now)
    if isinstance(row, Flow) and row.name == FLOW and row.get("recipient") == recipient.id:
        await flows.end(session, person_id=recipient.person_id, version=row.version)
