"""Digests: one message about many people's duties, per unit, kind, reference and topic, sent once to each
recipient and edited as the duties change.

Two topics: `step` — the escalation digest of one policy step (level), with 提醒 / 请假 / 已处理 per person;
and alerts to leaders about many people at once (`issue`, `not_cleared`, …), where the first arrives at once
and later ones edit it. Views are language-neutral, so a digest is rendered once, whoever reads it.

Concurrent writers stay correct: entries and recipients are unique (inserts ignore a conflict), and each
edit takes the next version in one atomic statement before it renders, so the newest edit shows everything
committed before it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import duty_pictures, kinds, outbox
from safety.config import Defaults
from safety.kinds.base import Picture
from safety.outbox import Envelope
from safety.views import Action, Join, Line, Text, View
from storage import digest_queries as gq
from storage.escalation_queries import DutyRow
from storage.models import Digest, DigestRecipient, Person

STEP = "step"
MAX_BUTTON_ROWS = 15


@dataclass(frozen=True)
class Audience:
    """Who gets a digest: people (their own chats) and unit group chats."""

    people: tuple[Person, ...] = ()
    group_chats: tuple[tuple[str, str], ...] = ()  # (unit_id, chat_id)


@dataclass(frozen=True)
class DigestRequest:
    """One digest to send or extend: the obligations it lists and who gets it."""

    kind: str
    ref: str
    unit_id: str
    level: int
    obligation_ids: tuple[int, ...]
    audience: Audience
    topic: str = STEP


def step_view(picture: Picture, unit_id: str, listed: set[int]) -> View:
    """An escalation digest: the kind's title, who is missing, the kind's lines, who was handled or
    excused by whom (a kind that does not list subjects: its title and lines only); a row of the kind's
    actions for each listed duty still open."""
    kind = kinds.get(picture.kind)
    title, extra = kind.digest_lines(picture, unit_id)
    duties = picture.of_unit(unit_id)
    missing = [d for d in duties if d.state == "open"]
    lines: list[Line] = [title]
    if getattr(kind, "lists_subjects", True):
        lines += _subject_lines(picture, unit_id, duties, missing, extra)
    else:
        lines += extra
    rows = tuple(
        tuple(
            Action(Text(a.label, name=picture.name(d.subject_id)), "ob", f"{d.id}.{a.op}")
            for a in kind.actions
        )
        for d in missing
        if d.id in listed
    )
    return View(tuple(lines), rows[:MAX_BUTTON_ROWS])


def _subject_lines(
    picture: Picture, unit_id: str, duties: list[DutyRow], missing: list[DutyRow], extra: list[Line]
) -> list[Line]:
    """Who is missing, the kind's lines, and who was handled or excused by whom."""
    lines: list[Line] = []
    if missing:
        lines.append(Text("digest.missing", names=Join(tuple(picture.name(d.subject_id) for d in missing))))
    else:
        lines.append(Text("digest.none_missing"))
    lines += extra
    for duty in duties:
        if duty.closed_by is not None and duty.state in {"acknowledged", "excused"}:
            key = "digest.handled_line" if duty.state == "acknowledged" else "digest.excused_line"
            when = picture.hhmm(duty.closed_at, unit_id)
            lines.append(
                Text(key, name=picture.name(duty.subject_id), by=picture.name(duty.closed_by), time=when)
            )
    return lines


def view_of(digest: Digest, picture: Picture, listed: set[int]) -> View | None:
    if digest.topic == STEP:
        return step_view(picture, digest.unit_id, listed)
    return kinds.get(digest.kind).alert(digest.topic, picture, digest.unit_id, sorted(listed))


async def send(
    session: AsyncSession,
    requests: Sequence[DigestRequest],
    *,
    now: datetime,
    defaults: Defaults,
    pictures: Mapping[tuple[str, str], Picture] | None = None,
) -> int:
    """Create (or extend) the digests and write one outbox row per new recipient; digests whose listed
    duties grew for recipients who have them already are edited. A handful of statements for a whole tick.
    `pictures` are the loaded pictures by (kind, ref); missing ones are loaded. Returns the rows written."""
    if not requests:
        return 0
    keys = [(r.kind, r.ref, r.unit_id, r.topic, r.level) for r in requests]
    digests = await gq.get_or_create_digests(session, keys=keys)
    wanted: dict[int, list[int]] = {}
    for request, key in zip(requests, keys, strict=True):
        wanted.setdefault(digests[key].id or 0, []).extend(request.obligation_ids)
    listed, grown = await gq.add_entries_many(session, entries=wanted)
    loaded = dict(pictures or {})
    missing: dict[str, set[str]] = {}
    for kind, ref in {(r.kind, r.ref) for r in requests} - loaded.keys():
        missing.setdefault(kind, set()).add(ref)
    for kind, refs in missing.items():
        for ref, picture in (
            await duty_pictures.load(session, kind=kind, refs=sorted(refs), defaults=defaults)
        ).items():
            loaded[(kind, ref)] = picture
    recipients: list[dict[str, object]] = []
    views: dict[str, View] = {}
    chats: dict[str, str] = {}  # outbox key -> group chat
    for request, key in zip(requests, keys, strict=True):
        digest = digests[key]
        assert digest.id is not None
        found = loaded.get((request.kind, request.ref))
        view = view_of(digest, found, set(listed[digest.id])) if found else None
        if view is None:
            continue
        for person in request.audience.people:
            outbox_key = f"digest:{digest.id}:to:{person.id}"
            recipients.append(
                {
                    "digest_id": digest.id,
                    "person_id": person.id,
                    "group_unit_id": None,
                    "outbox_key": outbox_key,
                }
            )
            views[outbox_key] = view
        for unit_id, chat_id in request.audience.group_chats:
            outbox_key = f"digest:{digest.id}:group:{unit_id}"
            chats[outbox_key] = chat_id
            recipients.append(
                {
                    "digest_id": digest.id,
                    "person_id": None,
                    "group_unit_id": unit_id,
                    "outbox_key": outbox_key,
                }
            )
            views[outbox_key] = view
    new = await gq.add_recipients(session, rows=recipients)
    envelopes = [
        Envelope(
            key=str(row["outbox_key"]),
            kind="digest",
            view=views[str(row["outbox_key"])],
            person_id=row["person_id"],  # type: ignore[arg-type]
            chat_id=chats.get(str(row["outbox_key"])),
            channel=None if row["person_id"] is not None else defaults.channel,
        )
        for row in recipients
        if row["outbox_key"] in new
    ]
    written = await outbox.enqueue(session, envelopes, now=now, default_channel=defaults.channel)
    if grown:  # those who have these digests already see the new duties in an edit
        edited = [d for d in {d.id: d for d in digests.values()}.values() if d.id in grown]
        written += await _edit(session, edited, now=now, defaults=defaults, skip=new)
    return written


async def refresh(
    session: AsyncSession,
    *,
    kind: str,
    ref: str,
    now: datetime,
    defaults: Defaults,
    topics: Sequence[str] = (STEP,),
) -> int:
    """Edit every digest of this reference (of these topics) to its current state; returns the edits."""
    found = [d for d in await gq.digests_of_ref(session, kind=kind, ref=ref) if d.topic in topics]
    return await _edit(session, found, now=now, defaults=defaults)


async def _edit(
    session: AsyncSession,
    found: Sequence[Digest],
    *,
    now: datetime,
    defaults: Defaults,
    skip: frozenset[str] | set[str] = frozenset(),
) -> int:
    """A new version of each digest to every recipient (but those in `skip`, who just got it).

    The versions are taken first (one atomic statement each, in id order: concurrent editors queue there),
    and only then is the picture read, so the newest version shows every change committed before it."""
    envelopes = []
    by_ref: dict[tuple[str, str], list[tuple[Digest, int, list[DigestRecipient]]]] = {}
    ordered = sorted(found, key=lambda d: d.id or 0)
    known = await gq.recipients_of_many(session, digest_ids=[d.id or 0 for d in ordered])
    for digest in ordered:
        assert digest.id is not None
        recipients = [r for r in known[digest.id] if r.outbox_key not in skip]
        if recipients:
            version = await gq.next_version(session, digest_id=digest.id)
            by_ref.setdefault((digest.kind, digest.ref), []).append((digest, version, recipients))
    for (kind, ref), editions in by_ref.items():
        picture = (await duty_pictures.load(session, kind=kind, refs=[ref], defaults=defaults)).get(ref)
        for digest, version, recipients in editions:
            view = (
                view_of(digest, picture, set(await gq.entries_of(session, digest_id=digest.id or 0)))
                if picture
                else None
            )
            if view is None:
                continue
            envelopes += [
                Envelope(
                    key=f"{r.outbox_key}:v{version}",
                    kind="digest_edit",
                    view=view,
                    person_id=r.person_id,
                    edit_of=r.outbox_key,
                )
                for r in recipients
            ]
    return await outbox.enqueue(session, envelopes, now=now, default_channel=defaults.channel)
