"""Queries for escalation digests: the digest rows, what they list, and who they went to."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Digest, DigestEntry, DigestRecipient


async def get_or_create_digest(
    session: AsyncSession, *, kind: str, ref: str, unit_id: str, level: int
) -> Digest:
    query = select(Digest).where(
        Digest.kind == kind, Digest.ref == ref, Digest.unit_id == unit_id, Digest.level == level
    )
    found = (await session.exec(query)).first()
    if found is not None:
        return found
    try:
        async with session.begin_nested():
            digest = Digest(kind=kind, ref=ref, unit_id=unit_id, level=level)
            session.add(digest)
            await session.flush()
            return digest
    except IntegrityError:
        return (await session.exec(query)).one()


async def add_entries(session: AsyncSession, *, digest_id: int, obligation_ids: Sequence[int]) -> list[int]:
    """List the obligations in the digest (once each); returns everything it lists now."""
    known = set(
        (
            await session.exec(select(DigestEntry.obligation_id).where(DigestEntry.digest_id == digest_id))
        ).all()
    )
    new = [
        {"digest_id": digest_id, "obligation_id": o} for o in dict.fromkeys(obligation_ids) if o not in known
    ]
    if new:
        await session.exec(insert(DigestEntry), params=new)  # one executemany, no ORM objects
    return sorted(known | {int(row["obligation_id"]) for row in new})


async def entries_of(session: AsyncSession, *, digest_id: int) -> list[int]:
    result = await session.exec(select(DigestEntry.obligation_id).where(DigestEntry.digest_id == digest_id))
    return list(result.all())


async def recipients_of(session: AsyncSession, *, digest_id: int) -> list[DigestRecipient]:
    result = await session.exec(
        select(DigestRecipient)
        .where(DigestRecipient.digest_id == digest_id)
        .order_by(col(DigestRecipient.id))
    )
    return list(result)


async def digests_of_ref(session: AsyncSession, *, kind: str, ref: str) -> list[Digest]:
    result = await session.exec(
        select(Digest).where(Digest.kind == kind, Digest.ref == ref).order_by(col(Digest.id))
    )
    return list(result)


async def is_current_recipient(
    session: AsyncSession, *, obligation_id: int, level: int, person_id: int
) -> bool:
    """Did this person receive a digest listing the obligation at its current level?"""
    result = await session.exec(
        select(DigestRecipient.id)
        .join(Digest, col(Digest.id) == col(DigestRecipient.digest_id))
        .join(DigestEntry, col(DigestEntry.digest_id) == col(Digest.id))
        .where(
            DigestEntry.obligation_id == obligation_id,
            Digest.level == level,
            DigestRecipient.person_id == person_id,
        )
        .limit(1)
    )
    return result.first() is not None


async def group_digest_units(session: AsyncSession, *, obligation_id: int, level: int) -> list[str]:
    """Units whose group chat received a digest listing the obligation at its current level."""
    result = await session.exec(
        select(DigestRecipient.group_unit_id)
        .join(Digest, col(Digest.id) == col(DigestRecipient.digest_id))
        .join(DigestEntry, col(DigestEntry.digest_id) == col(Digest.id))
        .where(
            DigestEntry.obligation_id == obligation_id,
            Digest.level == level,
            col(DigestRecipient.group_unit_id).is_not(None),
        )
    )
    return [u for u in result.all() if u]
