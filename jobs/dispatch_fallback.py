"""A channel answered that it cannot reach a person (Telegram 403, WeCom 81013 …): that channel is marked
unreachable for them (ChatIdentity.unreachable) and, when another channel they are bound on still reaches
them, the message goes out there instead — a new outbox row, key + ":fallback:<channel>", the same view (an
edit becomes a fresh message: the original lives on the other channel) — and their team leader is told once
per channel lost. With no channel left the person is unreachable (Person.unreachable) and the leader told,
as before. Everything in the caller's transaction, beside the failed row.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.dispatch_rows import Job, record_unreachable
from safety.channel_choice import channel_name
from safety.config import Defaults
from safety.outbox import Envelope, enqueue
from safety.views import Text, View
from storage import channel_queries as cq
from storage import org_queries
from storage import outbox_queries as oq
from storage.models import OutboxMessage, Person

logger = logging.getLogger(__name__)
KEY_MAX = 160  # OutboxMessage.key
# delivery.unreachable_notice (the notice from before there were two channels) speaks of this channel
FIRST_CHANNEL = "telegram"


def fallback_key(row: OutboxMessage, channel: str) -> str:
    key = f"{row.key}:fallback:{channel}"
    return key if len(key) <= KEY_MAX else f"fallback:{row.id}:{channel}"


async def record_unreachable_on_channel(
    session: AsyncSession, *, job: Job, error: str, now: datetime, defaults: Defaults
) -> int:
    """The row fails; the person's identity on its channel becomes unreachable; the message is re-queued on
    another channel that reaches them, else the person is unreachable. Returns the rows written."""
    row = await session.get(OutboxMessage, job.row_id)
    person_id = job.recipient.person_id if job.recipient else None
    if row is None or person_id is None or row.chat_id is not None:  # a group chat: nobody to fall back on
        return await record_unreachable(session, job=job, error=error, now=now, defaults=defaults)
    channel = row.channel
    lost = await cq.mark_identity_unreachable(session, person_id=person_id, channel=channel)
    other = await cq.other_reachable_identity(session, person_id=person_id, channel=channel)
    if other is None:
        identities = await cq.identities_of(session, person_id=person_id)
        if channel == FIRST_CHANNEL and len(identities) <= 1:
            return await record_unreachable(session, job=job, error=error, now=now, defaults=defaults)
        await oq.mark_failed(session, row_id=job.row_id, error=f"unreachable: {error}")
        if not await oq.mark_person_unreachable(session, person_id=person_id):
            return 0
        return await _tell_leaders(session, person_id, channel, None, row, now=now, defaults=defaults)
    await oq.mark_failed(session, row_id=job.row_id, error=f"unreachable: {error}; sent on {other.channel}")
    logger.info(
        "outbox: row %s: person %s unreachable on %s, sent on %s", row.id, person_id, channel, other.channel
    )
    copy = Envelope(
        key=fallback_key(row, other.channel),
        kind=row.kind,
        view=View.from_payload(row.payload),
        person_id=person_id,
        channel=other.channel,
    )
    written = await enqueue(session, [copy], now=now, default_channel=defaults.channel)
    if lost:
        written += await _tell_leaders(
            session, person_id, channel, other.channel, row, now=now, defaults=defaults
        )
    return written


async def _tell_leaders(
    session: AsyncSession,
    person_id: int,
    channel: str,
    other: str | None,
    row: OutboxMessage,
    *,
    now: datetime,
    defaults: Defaults,
) -> int:
    """The person's team leader(s): `channel` does not reach them (and messages go to `other` now)."""
    person = await session.get(Person, person_id)
    if person is None:
        return 0
    leaders = await org_queries.nearest_role_holders(session, unit_id=person.unit_id, role="team_leader")
    params = {"name": person.name, "employee_no": person.employee_no, "channel": channel_name(channel)}
    if other is None:
        view = View((Text("channels.unreachable_notice", **params),))
    else:
        view = View((Text("channels.fallback_notice", other=channel_name(other), **params),))
    envelopes = [
        Envelope(
            key=f"unreachable:{person_id}:{channel}:row:{row.id}:to:{leader.id}",
            kind="unreachable",
            person_id=leader.id,
            view=view,
        )
        for leader in leaders
        if leader.id != person_id and leader.active
    ]
    if not envelopes:
        logger.warning("person %s cannot be reached on %s and has no team leader to tell", person_id, channel)
    return await enqueue(session, envelopes, now=now, default_channel=defaults.channel)
