"""Queries of the WeCom bridge: who a WeCom userid is (binding inside one corp needs no codes) and their chat
identity on the "wecom" channel. (The cards sent are storage.wecom_queries'.)"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, delete, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_ignoring_conflicts
from storage.models import ChatIdentity, Person, RoleAssignment

CHANNEL = "wecom"


async def person_by_userid(session: AsyncSession, *, userid: str) -> Person | None:
    """The active person with this WeCom userid: their `wecom_userid`, else (none set) their employee number.
    An explicit `wecom_userid` wins over another person's employee number."""
    result = await session.exec(
        select(Person).where(
            col(Person.active).is_(True),
            or_(
                col(Person.wecom_userid) == userid,
                (col(Person.wecom_userid).is_(None)) & (col(Person.employee_no) == userid),
            ),
        )
    )
    found = list(result)
    found.sort(key=lambda person: person.wecom_userid != userid)
    return found[0] if found else None


async def ensure_identity(session: AsyncSession, *, person_id: int, userid: str, now: datetime) -> bool:
    """The person's "wecom" chat identity is this userid; True when it was created or moved just now.
    Insert-or-ignore, so two first messages at once make one row."""
    current = (
        await session.exec(
            select(ChatIdentity).where(ChatIdentity.person_id == person_id, ChatIdentity.channel == CHANNEL)
        )
    ).first()
    if current is not None:
        if current.external_id == userid:
            return False
        current.external_id = current.chat_id = userid  # their userid changed in the roster
        session.add(current)
        return True
    await session.exec(  # their userid was someone else's (the roster moved it): that binding is stale
        delete(ChatIdentity).where(
            col(ChatIdentity.channel) == CHANNEL,
            col(ChatIdentity.external_id) == userid,
            col(ChatIdentity.person_id) != person_id,
        )
    )
    # two first messages at once insert the same row, unique by (person, channel) and by (channel,
    # userid): either conflict means the other one made it
    statement = insert_ignoring_conflicts(session, ChatIdentity, None).values(
        person_id=person_id,
        channel=CHANNEL,
        external_id=userid,
        chat_id=userid,
        unreachable=False,
        bound_at=now,
    )
    result = await session.exec(statement)
    return bool(getattr(result, "rowcount", 0))


async def userid_of(session: AsyncSession, *, person_id: int) -> str | None:
    """Where a person's WeCom messages go: the chat id of their "wecom" identity."""
    identity = (
        await session.exec(
            select(ChatIdentity).where(ChatIdentity.person_id == person_id, ChatIdentity.channel == CHANNEL)
        )
    ).first()
    return None if identity is None else identity.chat_id or identity.external_id


async def admin_ids(session: AsyncSession) -> list[int]:
    """The active people holding the admin role anywhere (told when the WeCom app is set up wrong)."""
    result = await session.exec(
        select(Person.id)
        .join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
        .where(RoleAssignment.role == "admin", col(Person.active).is_(True))
        .distinct()
    )
    return sorted(pid for pid in result.all() if pid is not None)


async def bound_on(session: AsyncSession, *, person_ids: list[int], channel: str) -> set[int]:
    """Which of these people have a chat identity on `channel`."""
    if not person_ids:
        return set()
    result = await session.exec(
        select(ChatIdentity.person_id).where(
            ChatIdentity.channel == channel, col(ChatIdentity.person_id).in_(person_ids)
        )
    )
    return set(result.all())
