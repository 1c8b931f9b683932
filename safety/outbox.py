"""Writing proactive messages to the outbox, in the caller's transaction, idempotent by key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.delivery import OutMessage
from storage.dialects import insert_many
from storage.models import OutboxMessage


@dataclass(frozen=True)
class Envelope:
    """One outbox row to write: to a person (their chat is resolved at send time) or to a group chat."""

    key: str
    kind: str
    message: OutMessage
    person_id: int | None = None
    chat_id: str | None = None
    edit_of: str | None = None
    not_before: datetime | None = None


async def enqueue(session: AsyncSession, envelopes: Sequence[Envelope], *, now: datetime) -> int:
    """Insert the rows whose key is new; a known key is skipped (restarts, retries). Returns the count."""
    if not envelopes:
        return 0
    payloads: dict[int, dict[str, object]] = {}  # one message is often sent to many (a round's reminder)
    rows = [
        {
            "key": e.key,
            "kind": e.kind,
            "person_id": e.person_id,
            "chat_id": e.chat_id,
            "payload": _payload(e.message, payloads),
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


def _payload(message: OutMessage, cache: dict[int, dict[str, object]]) -> dict[str, object]:
    if id(message) not in cache:
        cache[id(message)] = message.to_payload()
    return cache[id(message)]
