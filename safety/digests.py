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
from storage.models import Digest, Person


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


@dataclass(frozen=True)
class DigestRequest:
    """One step's digest to send: the obligations it lists and who gets it."""

    kind: str
    ref: str
    unit_id: str
    level: int
    obligation_ids: tuple[int, ...]
    audience: Audience


async def send_digests(
    session: AsyncSession,
    requests: Sequence[DigestRequest],
    *,
    now: datetime,
    default_language: str,
    default_timezone: str,
    pictures: dict[str, checkin_digest.RoundPicture | None] | None = None,
) -> list[Digest]:
    """Create (or extend) the digests of a tick's steps and write one outbox row per new recipient; a
    handful of statements for the whole batch (one tick can carry hundreds of digests)."""
    keys = [(r.kind, r.ref, r.unit_id, r.level) for r in requests]
    digests = await gq.get_or_create_digests(session, keys=keys)
    wanted: dict[int, list[int]] = {}
    for request, key in zip(requests, keys, strict=True):
        wanted.setdefault(digests[key].id or 0, []).extend(request.obligation_ids)
    listed = await gq.add_entries_many(session, entries=wanted)
    known = await gq.recipients_of_many(session, digest_ids=list(wanted))
    envelopes: list[Envelope] = []
    recipients: list[dict[str, object]] = []
    for request, key in zip(requests, keys, strict=True):
        digest = digests[key]
        assert digest.id is not None
        seen = {(r.person_id, r.group_unit_id) for r in known[digest.id]}
        shown = set(listed[digest.id])
        readers: list[tuple[str, int | None, str | None, str | None]] = [
            (f"digest:{digest.id}:to:{p.id}", p.id, None, p.language or default_language)
            for p in request.audience.people
            if (p.id, None) not in seen
        ]
        readers += [
            (f"digest:{digest.id}:group:{unit}", None, chat, default_language)
            for unit, chat in request.audience.group_chats
            if (None, unit) not in seen
        ]
        for key_text, person_id, chat_id, language in readers:
            message = await render(
                session,
                digest,
                language=language or default_language,
                default_timezone=default_timezone,
                listed=shown,
                pictures=pictures,
            )
            if message is None:
                continue
            group_unit = key_text.rsplit(":", 1)[1] if chat_id is not None else None
            recipients.append(
                {
                    "digest_id": digest.id,
                    "person_id": person_id,
                    "group_unit_id": group_unit,
                    "outbox_key": key_text,
                }
            )
            envelopes.append(
                Envelope(key=key_text, kind="digest", message=message, person_id=person_id, chat_id=chat_id)
            )
    await gq.add_recipients(session, rows=recipients)
    await outbox.enqueue(session, envelopes, now=now)
    return [digests[k] for k in dict.fromkeys(keys)]


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
