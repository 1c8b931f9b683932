"""Queries for digests: the digest rows, what they list, and who they went to.

Several processes (or people) may extend the same digest at once: entries and recipients are inserted
ignoring conflicts on their unique keys, and a new version is taken in one atomic statement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import tuple_
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_ignoring_conflicts, insert_many
from storage.models import Digest, DigestEntry, DigestRecipient

DigestKey = tuple[str, str, str, str, int]  # kind, ref, unit_id, topic, level


async def get_or_create_digests(
    session: AsyncSession, *, keys: Sequence[DigestKey]
) -> dict[DigestKey, Digest]:
    """The digests of these keys, creating the missing ones (a racing process: conflicts are ignored)."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}

    async def existing() -> dict[DigestKey, Digest]:
        columns = (
            col(Digest.kind),
            col(Digest.ref),
            col(Digest.unit_id),
            col(Digest.topic),
            col(Digest.level),
        )
        rows = (await session.exec(select(Digest).where(tuple_(*columns).in_(wanted)))).all()
        return {(d.kind, d.ref, d.unit_id, d.topic, d.level): d for d in rows}

    found = await existing()
    missing = [k for k in wanted if k not in found]
    if missing:
        statement = insert_ignoring_conflicts(session, Digest, ["kind", "ref", "unit_id", "topic", "level"])
        params = [
            {"kind": k, "ref": r, "unit_id": u, "topic": tp, "level": lv, "version": 0}
            for k, r, u, tp, lv in missing
        ]
        await session.exec(statement, params=params)
        found = await existing()
    return found


async def add_entries_many(
    session: AsyncSession, *, entries: Mapping[int, Sequence[int]]
) -> tuple[dict[int, list[int]], set[int]]:
    """List obligations in digests (once each); returns every digest's listed obligations now, and the
    digests that got new ones."""
    if not entries:
        return {}, set()
    rows = (
        await session.exec(
            select(DigestEntry.digest_id, DigestEntry.obligation_id).where(
                col(DigestEntry.digest_id).in_(list(entries))
            )
        )
    ).all()
    listed: dict[int, set[int]] = {digest_id: set() for digest_id in entries}
    for digest_id, obligation_id in rows:
        listed[digest_id].add(obligation_id)
    new = [
        {"digest_id": digest_id, "obligation_id": o}
        for digest_id, ids in entries.items()
        for o in dict.fromkeys(ids)
        if o not in listed[digest_id]
    ]
    if new:
        await insert_many(session, DigestEntry, new, conflict=["digest_id", "obligation_id"])
        for row in new:
            listed[row["digest_id"]].add(row["obligation_id"])
    return {digest_id: sorted(ids) for digest_id, ids in listed.items()}, {row["digest_id"] for row in new}


async def recipients_of_many(
    session: AsyncSession, *, digest_ids: Sequence[int]
) -> dict[int, list[DigestRecipient]]:
    found: dict[int, list[DigestRecipient]] = {digest_id: [] for digest_id in digest_ids}
    if not digest_ids:
        return found
    rows = await session.exec(
        select(DigestRecipient)
        .where(col(DigestRecipient.digest_id).in_(list(digest_ids)))
        .order_by(col(DigestRecipient.id))
    )
    for recipient in rows.all():
        found[recipient.digest_id].append(recipient)
    return found


async def add_recipients(session: AsyncSession, *, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Record recipients (once each, whoever else writes them); returns the outbox keys that are new."""
    if not rows:
        return set()
    return set(
        await insert_many(session, DigestRecipient, rows, conflict=["outbox_key"], returning="outbox_key")
    )


async def next_version(session: AsyncSession, *, digest_id: int) -> int:
    """Take the digest's next version in one statement (concurrent editors each get their own)."""
    result = await session.exec(
        update(Digest)
        .where(col(Digest.id) == digest_id)
        .values(version=col(Digest.version) + 1)
        .returning(col(Digest.version))
    )
    return int(result.scalar_one())


async def entries_of(session: AsyncSession, *, digest_id: int) -> list[int]:
    result = await session.exec(select(DigestEntry.obligation_id).where(DigestEntry.digest_id == digest_id))
    return list(result.all())


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
            Digest.topic == "step",
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
            Digest.topic == "step",
            Digest.level == level,
            col(DigestRecipient.group_unit_id).is_not(None),
        )
    )
    return [u for u in result.all() if u]
