"""The preferred channel (`/channel`): a person bound on several channels (Telegram, WeCom) picks where
their messages go. Only a channel they are bound on can be chosen, re-checked at the press in the same
statement that stores it; the outbox then sends there while it reaches them (safety.outbox)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.access import Actor
from safety.texts import DEFAULT_LANGUAGE, catalog
from safety.views import Action, Param, Text, View
from storage import channel_queries as cq
from storage import identity_queries as iq

CHOOSE = "ch"  # button action; arg: the channel name


def channel_name(channel: str) -> Param:
    """A channel's name for people (a catalog text where there is one, else its code)."""
    key = f"channels.name_{channel}"
    return Text(key) if key in catalog(DEFAULT_LANGUAGE) else channel


async def current_channel(session: AsyncSession, *, person_id: int) -> str | None:
    """Where a new message to the person goes now (None: bound nowhere)."""
    found = await cq.reachable_channels_of_people(session, person_ids=[person_id])
    return found.get(person_id)


async def heard_on(session: AsyncSession, *, actor: Actor, channel: str) -> None:
    """The person wrote on this channel, so it reaches them again (a failed send had marked it)."""
    await cq.mark_identity_reachable(session, person_id=actor.person_id, channel=channel)


async def picture(session: AsyncSession, *, actor: Actor) -> View:
    """The channels the person is bound on, one button each, the current one marked."""
    identities = await cq.identities_of(session, person_id=actor.person_id)
    current = await current_channel(session, person_id=actor.person_id) or ""
    if len(identities) < 2:
        return View((Text("channels.only_one", current=channel_name(current)),))
    lines: list[Text] = [Text("channels.title", current=channel_name(current))]
    rows = []
    for identity in identities:
        key = "channels.option_current" if identity.channel == current else "channels.option"
        label = Text(key, name=channel_name(identity.channel))
        rows.append((Action(label, CHOOSE, identity.channel),))
        if identity.unreachable:
            lines.append(Text("channels.unreachable_line", name=channel_name(identity.channel)))
    lines.append(Text("channels.hint"))
    return View(tuple(lines), tuple(rows))


class Outcome(Enum):
    CHOSEN = "channels.chosen"
    ALREADY = "channels.already"
    NOT_BOUND = "channels.not_bound"


async def choose(
    session: AsyncSession, *, actor: Actor, channel: str, now: datetime, via: str
) -> tuple[Outcome, Param]:
    """Store `channel` as the person's preferred one if they are bound on it; (outcome, channel name)."""
    before = await current_channel(session, person_id=actor.person_id)
    if not await cq.set_preferred(session, person_id=actor.person_id, channel=channel):
        return Outcome.NOT_BOUND, channel_name(channel)
    if before == channel:
        return Outcome.ALREADY, channel_name(channel)
    iq.add_audit(
        session,
        at=now,
        actor_id=actor.person_id,
        channel=via,
        action="channel.prefer",
        subject=actor.employee_no,
        detail={"channel": channel, "before": before},
    )
    return Outcome.CHOSEN, channel_name(channel)
