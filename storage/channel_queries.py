"""Queries about the channels people are reached on: their chat identities per channel, the preferred
one, and each channel's reachability (ChatIdentity.unreachable: that channel answered that it cannot
reach them). Keyword-only functions, the session passed explicitly; the caller's session commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, or_
from sqlalchemy import select as sa_select
from sqlmodel import col, delete, insert, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ChatIdentity, Person

CHUNK = 1000


async def set_channel_columns(
    session: AsyncSession, *, rows: Sequence[tuple[int, str | None, str | None]]
) -> None:
    """Set (person id, wecom_userid, preferred_channel) of just-inserted people, one executemany UPDATE."""
    if not rows:
        return
    table = Person.metadata.tables[Person.__tablename__]
    statement = (
        update(table)
        .where(table.c.id == bindparam("pid"))
        .values(wecom_userid=bindparam("userid"), preferred_channel=bindparam("preferred"))
    )
    for start in range(0, len(rows), CHUNK):
        params = [{"pid": p, "userid": u, "preferred": c} for p, u, c in rows[start : start + CHUNK]]
        await session.exec(statement, params=params)


async def repoint_identities(session: AsyncSession, *, channel: str, moves: Mapping[int, str | None]) -> int:
    """Make the `channel` identity of each person in `moves` (person id -> account, None: none) that
    account: a binding to an old account is moved (kept since when it was made, reachable again) or, with
    None, dropped; another person's binding to the new account is stale and dropped. Returns the moved and
    dropped. (Inside one WeCom corp a binding follows the roster's userid: no code is needed.)"""
    ids = sorted(moves)
    current: list[tuple[int, int, str, Any]] = []
    query: Any = sa_select(
        col(ChatIdentity.id),
        col(ChatIdentity.person_id),
        col(ChatIdentity.external_id),
        col(ChatIdentity.bound_at),
    ).where(col(ChatIdentity.channel) == channel)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        current.extend((await session.exec(query.where(col(ChatIdentity.person_id).in_(chunk)))).all())
    stale = [row for row in current if moves[row[1]] != row[2]]
    if not stale:
        return 0
    targets = sorted({account for row in stale if (account := moves[row[1]]) is not None})
    for start in range(0, max(len(stale), len(targets)), CHUNK):
        await session.exec(
            delete(ChatIdentity).where(
                col(ChatIdentity.channel) == channel,
                or_(
                    col(ChatIdentity.id).in_([row[0] for row in stale[start : start + CHUNK]]),
                    col(ChatIdentity.external_id).in_(targets[start : start + CHUNK]),
                ),
            )
        )
    rows = [
        {
            "person_id": person_id,
            "channel": channel,
            "external_id": account,
            "chat_id": account,
            "unreachable": False,
            "bound_at": bound_at,
        }
        for _, person_id, _, bound_at in stale
        if (account := moves[person_id]) is not None
    ]
    for start in range(0, len(rows), CHUNK):
        await session.exec(insert(ChatIdentity), params=rows[start : start + CHUNK])
    return len(stale)


async def identities_of(session: AsyncSession, *, person_id: int) -> list[ChatIdentity]:
    """The person's chat identities, in the order they bound them."""
    result = await session.exec(
        select(ChatIdentity)
        .where(col(ChatIdentity.person_id) == person_id)
        .order_by(col(ChatIdentity.bound_at), col(ChatIdentity.id))
    )
    return list(result.all())


async def set_preferred(session: AsyncSession, *, person_id: int, channel: str) -> bool:
    """Make `channel` the person's preferred one, only while they are bound on it (one statement, so a
    concurrent unbinding cannot be raced past). False: not bound there (nothing changed)."""
    bound = (
        sa_select(col(ChatIdentity.id))
        .where(col(ChatIdentity.person_id) == person_id, col(ChatIdentity.channel) == channel)
        .exists()
    )
    result = await session.exec(
        update(Person).where(col(Person.id) == person_id, bound).values(preferred_channel=channel)
    )
    return result.rowcount == 1


async def mark_identity_unreachable(session: AsyncSession, *, person_id: int, channel: str) -> bool:
    """Set the identity's `unreachable`; True only for the caller that changed it (one notice per change)."""
    result = await session.exec(
        update(ChatIdentity)
        .where(
            col(ChatIdentity.person_id) == person_id,
            col(ChatIdentity.channel) == channel,
            col(ChatIdentity.unreachable).is_(False),
        )
        .values(unreachable=True)
    )
    return result.rowcount == 1


async def mark_identity_reachable(session: AsyncSession, *, person_id: int, channel: str) -> None:
    """The person wrote to the bot on this channel, so it reaches them again."""
    await session.exec(
        update(ChatIdentity)
        .where(
            col(ChatIdentity.person_id) == person_id,
            col(ChatIdentity.channel) == channel,
            col(ChatIdentity.unreachable).is_(True),
        )
        .values(unreachable=False)
    )


async def reachable_channels_of_people(session: AsyncSession, *, person_ids: Iterable[int]) -> dict[int, str]:
    """Each person's channel for a new message: the preferred one if they are bound there and it reaches
    them, else the first they bound that reaches them; when none reaches them, the preferred bound one,
    else the first bound (the send then fails as unreachable and their leader is told)."""
    ids = sorted(set(person_ids))
    found: dict[int, str] = {}
    query: Any = (
        sa_select(
            col(ChatIdentity.person_id),
            col(ChatIdentity.channel),
            col(ChatIdentity.unreachable),
            col(Person.preferred_channel),
        )
        .join(Person, col(Person.id) == col(ChatIdentity.person_id))
        .order_by(col(ChatIdentity.bound_at), col(ChatIdentity.id))
    )
    rank: dict[int, tuple[int, int]] = {}  # person -> (reachable, preferred) of the channel chosen
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for person_id, channel, unreachable, preferred in (
            await session.exec(query.where(col(ChatIdentity.person_id).in_(chunk)))
        ).all():
            score = (0 if unreachable else 1, 1 if channel == preferred else 0)
            if person_id not in found or score > rank[person_id]:
                found[person_id], rank[person_id] = channel, score
    return found


async def other_reachable_identity(
    session: AsyncSession, *, person_id: int, channel: str
) -> ChatIdentity | None:
    """A channel other than `channel` that still reaches the person (the preferred first, then the first
    bound), or None."""
    person = await session.get(Person, person_id)
    preferred = person.preferred_channel if person is not None else None
    candidates = [
        i
        for i in await identities_of(session, person_id=person_id)
        if i.channel != channel and not i.unreachable
    ]
    candidates.sort(key=lambda i: i.channel != preferred)  # stable: bound order otherwise
    return candidates[0] if candidates else None
