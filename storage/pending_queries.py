"""Queries of /pending that no other list asks: the open duties of others that wait on a person because a
step digest named them to that person at their current level.

Read-only and read fresh at every command and press; the press itself is authorised again by the
obligation's own action (safety/obligation_actions.py), so this list only says what to offer."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Digest, DigestEntry, DigestRecipient, Obligation

STEP = "step"  # safety.digests.STEP: the escalation digest of one policy step


async def waiting_on_recipient(session: AsyncSession, *, person_id: int) -> list[Obligation]:
    """Open obligations of other people listed in a step digest this person received at the level the
    obligation stands at now (a digest of an earlier step no longer makes them the one to act), earliest
    due first."""
    query = (
        select(Obligation)
        .join(DigestEntry, col(DigestEntry.obligation_id) == col(Obligation.id))
        .join(Digest, col(Digest.id) == col(DigestEntry.digest_id))
        .join(DigestRecipient, col(DigestRecipient.digest_id) == col(Digest.id))
        .where(
            col(Obligation.state) == "open",
            col(Obligation.subject_id) != person_id,
            col(Digest.topic) == STEP,
            col(Digest.level) == col(Obligation.level),
            col(DigestRecipient.person_id) == person_id,
        )
        .distinct()
    )
    rows = list((await session.exec(query)).all())
    return sorted(rows, key=lambda o: (o.due_at, o.id or 0))
