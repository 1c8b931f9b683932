"""Channels are a seam: a second channel, written here for the tests (in memory, behind the same protocol,
and one that cannot edit), carries a round, a reminder and an escalation digest to people bound only there,
while people bound on Telegram get theirs through Telegram — with no change to safety/."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from safety.delivery import Recipient, Sent
from safety.views import Rendered, View, render
from storage.db import Database
from storage.models import ChatIdentity, OutboxMessage, Person
from tests.flow.harness import Clock, running_bot
from tests.flow.test_checkin import ORG, bot_texts

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 11, 27, hour, minute, second, tzinfo=SHANGHAI).astimezone(UTC)


@dataclass
class MemoryChannel:
    """Records what it is given, rendered in the recipient's language; it cannot edit a sent message."""

    name: str = "memory"
    can_edit: bool = False
    sent: list[tuple[str, Rendered]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def send(self, recipient: Recipient, view: View) -> Sent:
        self.sent.append((recipient.chat_id, render(view, recipient.language)))
        return Sent(recipient.chat_id, next(self._ids))

    async def edit(self, recipient: Recipient, message_id: int, view: View) -> None:
        raise AssertionError("a channel that cannot edit is never asked to")

    def texts(self, chat_id: str) -> list[str]:
        return [r.text for chat, r in self.sent if chat == chat_id]


async def test_a_round_reminder_and_digest_reach_people_bound_only_on_another_channel(db: Database) -> None:
    memory = MemoryChannel()
    async with running_bot(db, org_file=ORG, clock=Clock(local(6, 50)), extra_channels=[memory]) as bot:
        for employee_no in ("S1", "A1"):
            await bot.bind(employee_no)
        leader, silent = bot.people["L1"], bot.people["A5"]
        async with bot.db.session() as session:  # bound on the memory channel only, in English for one
            for person, chat in ((leader, "mem-L1"), (silent, "mem-A5")):
                session.add(
                    ChatIdentity(person_id=person.id or 0, channel="memory", external_id=chat, chat_id=chat)
                )
            stored = await session.get(Person, silent.id)
            assert stored is not None
            stored.language = "en"
            session.add(stored)
        bot.clock.now = local(7, 0, 5)
        await bot.tick()
        (checklist,) = memory.texts("mem-A5")
        assert "pre-shift safety check-in" in checklist and "All fine" in str(memory.sent[-1][1].buttons)
        assert any("班前安全确认" in t for t in await bot_texts(bot, "A1")), (
            "Telegram people still get theirs"
        )
        for second in (1, 11, 21):  # due: A1 and A5 silent; the leader's step; the safety officer's step
            bot.clock.now = local(7, 30, second)
            await bot.tick()
        reminder = memory.texts("mem-A5")[1]
        assert reminder.startswith("⏰") and "07:30" in reminder, (
            "step 0 (self) on the memory channel, in English"
        )
        digests = [t for t in memory.texts("mem-L1") if "班前确认" in t]
        assert len(digests) == 1 and "孙五" in digests[0] and "张一" in digests[0], "the leader's step digest"
        officer = [t for t in await bot_texts(bot, "S1") if "班前确认" in t]
        assert len(officer) == 1 and "孙五" in officer[0], "the next step, on Telegram"
        async with bot.db.session() as session:
            rows = (
                await session.exec(select(OutboxMessage).where(col(OutboxMessage.person_id) == leader.id))
            ).all()
        assert {r.channel for r in rows} == {"memory"}


async def test_a_person_bound_on_two_channels_gets_messages_on_the_preferred_one(db: Database) -> None:
    memory = MemoryChannel()
    async with running_bot(db, org_file=ORG, clock=Clock(local(6, 50)), extra_channels=[memory]) as bot:
        await bot.bind("A1")  # Telegram first
        person = bot.people["A1"]
        async with bot.db.session() as session:
            session.add(
                ChatIdentity(person_id=person.id or 0, channel="memory", external_id="m1", chat_id="m1")
            )
        bot.clock.now = local(7, 0, 5)
        await bot.tick()
        assert any("班前安全确认" in t for t in await bot_texts(bot, "A1")) and not memory.texts("m1")
        async with bot.db.session() as session:
            stored = await session.get(Person, person.id)
            assert stored is not None
            stored.preferred_channel = "memory"
            session.add(stored)
        bot.clock.now = local(7, 30, 1)
        await bot.tick()
        assert [t for t in memory.texts("m1") if t.startswith("⏰")], (
            "the reminder went to the preferred channel"
        )
