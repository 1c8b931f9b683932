"""Escalation digests: one per unit, kind, reference and step; sent to the step's recipients and edited
as people catch up or are handled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import checkin_digest, outbox, quiz_digest
from safety.delivery import OutMessage
from safety.outbox import Envelope
from storage import digest_queries as gq
from storage.models import Digest, DigestRecipient, Person


@dataclass(frozen=True)
class Audience:
    """Who a step goes to: people (their own chats) and unit group chats."""

    people: tuple[Person, ...] = ()
    group_chats: tuple[tuple[str, str], ...] = ()  # (unit_id, chat_id)


async def render(
    session: AsyncSession,
    digest: Digest,
    *,
    language: str,
    default_timezone: str,
    listed: set[int],
    pictures: dict[str, checkin_digest.RoundPicture | None] | None = None,
) -> OutMessage | None:
    """The digest in one reader's language; `pictures` caches the loaded rounds across readers."""
    if digest.kind == "checkin":
        pictures = {} if pictures is None else pictures
        if digest.ref not in pictures:
            pictures[digest.ref] = await checkin_digest.load_round(
                session, ref=digest.ref, default_timezone=default_timezone
            )
        picture = pictures[digest.ref]
        return checkin_digest.render_digest(picture, language=language, listed=listed) if picture else None
    if digest.kind == "quiz":
        return await quiz_digest.render_digest(
            session, digest, language=language, listed=listed, default_timezone=default_timezone
        )
    return None


async def send_digest(
    session: AsyncSession,
    *,
    kind: str,
    ref: str,
    unit_id: str,
    level: int,
    obligation_ids: Sequence[int],
    audience: Audience,
    now: datetime,
    default_language: str,
    default_timezone: str,
    pictures: dict[str, checkin_digest.RoundPicture | None] | None = None,
) -> Digest:
    """Create (or extend) the digest of this step and write one outbox row per recipient."""
    digest = await gq.get_or_create_digest(session, kind=kind, ref=ref, unit_id=unit_id, level=level)
    assert digest.id is not None
    listed = set(await gq.add_entries(session, digest_id=digest.id, obligation_ids=obligation_ids))
    known = {(r.person_id, r.group_unit_id) for r in await gq.recipients_of(session, digest_id=digest.id)}
    envelopes = []
    for person in audience.people:
        if (person.id, None) in known:
            continue
        language = person.language or default_language
        message = await render(
            session,
            digest,
            language=language,
            default_timezone=default_timezone,
            listed=listed,
            pictures=pictures,
        )
        if message is None:
            continue
        key = f"digest:{digest.id}:to:{person.id}"
        session.add(DigestRecipient(digest_id=digest.id, person_id=person.id, outbox_key=key))
        envelopes.append(Envelope(key=key, kind="digest", message=message, person_id=person.id))
    for group_unit, chat_id in audience.group_chats:
        if (None, group_unit) in known:
            continue
        message = await render(
            session,
            digest,
            language=default_language,
            default_timezone=default_timezone,
            listed=listed,
            pictures=pictures,
        )
        if message is None:
            continue
        key = f"digest:{digest.id}:group:{group_unit}"
        session.add(DigestRecipient(digest_id=digest.id, group_unit_id=group_unit, outbox_key=key))
        envelopes.append(Envelope(key=key, kind="digest", message=message, chat_id=chat_id))
    await outbox.enqueue(session, envelopes, now=now)
    return digest


async def refresh(
    session: AsyncSession, *, kind: str, ref: str, now: datetime, default_language: str, default_timezone: str
) -> int:
    """Edit every digest of this reference to its current state (a new version each); returns the edits."""
    envelopes = []
    pictures: dict[str, checkin_digest.RoundPicture | None] = {}
    for digest in await gq.digests_of_ref(session, kind=kind, ref=ref):
        assert digest.id is not None
        digest.version += 1
        session.add(digest)
        listed = set(await gq.entries_of(session, digest_id=digest.id))
        for recipient in await gq.recipients_of(session, digest_id=digest.id):
            language = default_language
            if recipient.person_id is not None:
                person = await session.get(Person, recipient.person_id)
                language = (person.language if person else None) or default_language
            message = await render(
                session,
                digest,
                language=language,
                default_timezone=default_timezone,
                listed=listed,
                pictures=pictures,
            )
            if message is None:
                continue
            envelopes.append(
                Envelope(
                    key=f"{recipient.outbox_key}:v{digest.version}",
                    kind="digest_edit",
                    message=message,
                    person_id=recipient.person_id,
                    chat_id=None,
                    edit_of=recipient.outbox_key,
                )
            )
    await outbox.enqueue(session, envelopes, now=now)
    return len(envelopes)
