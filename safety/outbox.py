"""Writing proactive messages to the outbox, in the caller's transaction, idempotent by key.

Every row names the channel that will send it: for a person, the channel they prefer among those they are
bound on and that still reach them (else the first bound that does, else any they are bound on, else the
default); for an edit, the channel of the message it edits;
for a group chat, the one the envelope names (the default channel's groups).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.views import View
from storage import channel_queries as cq
from storage import outbox_queries as oq
from storage.dialects import insert_many
from storage.models import OutboxMessage


@dataclass(frozen=True)
class Envelope:
    """One outbox row to write: to a person (their chat is resolved at send time) or to a group chat."""

    key: str
    kind: str
    view: View
    person_id: int | None = None
    chat_id: str | None = None
    edit_of: str | None = None
    not_before: datetime | None = None
    channel: str | None = None  # None: the person's channel, or the edited message's


async def enqueue(
    session: AsyncSession, envelopes: Sequence[Envelope], *, now: datetime, default_channel: str
) -> int:
    """Insert the rows whose key is new; a known key is skipped (restarts, retries). Returns the count."""
    if not envelopes:
        return 0
    edited = await oq.channels_of_keys(session, keys={e.edit_of for e in envelopes if e.edit_of})
    people = await cq.reachable_channels_of_people(
        session, person_ids={e.person_id for e in envelopes if e.person_id is not None}
    )
    payloads: dict[int, dict[str, object]] = {}  # one view is often sent to many (a round's checklist)
    rows = [
        {
            "key": e.key,
            "channel": e.channel or _channel(e, edited, people) or default_channel,
            "kind": e.kind,
            "person_id": e.person_id,
            "chat_id": e.chat_id,
            "payload": _payload(e.view, payloads),
            "edit_of": e.edit_of,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": e.not_before or now,
            "created_at": now,
        }
        for e in envelopes
    ]
    # One statement for all rows on PostgreSQL (arrays unnested; a payload shared by many rows is encoded
    # once); one compiled executemany on SQLite.
    return len(await insert_many(session, OutboxMessage, rows, conflict=["key"], returning="id"))


def _channel(envelope: Envelope, edited: dict[str, str], people: dict[int, str]) -> str | None:
    if envelope.edit_of and envelope.edit_of in edited:
        return edited[envelope.edit_of]
    return people.get(envelope.person_id) if envelope.person_id is not None else None


def _payload(view: View, cache: dict[int, dict[str, object]]) -> dict[str, object]:
    if id(view) not in cache:
        cache[id(view)] = view.to_payload()
    return cache[id(view)]
