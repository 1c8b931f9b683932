"""Delivery across channels: when the channel a message goes to cannot reach the person (Telegram: blocked,
403; WeCom: 81013 and the like), that channel is marked unreachable for them, the message goes out on
another channel they are bound on (an edit as a fresh message), their team leader is told once, and new
messages skip the lost channel. The second channel is the tests' in-memory one (named "wecom", able to
edit here); the first is Telegram's sandbox. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select

from bot.sandbox import Faults, SandboxServer
from jobs.dispatcher import Dispatcher
from safety.delivery import Recipient, Sent, Unreachable
from safety.outbox import Envelope, enqueue
from safety.texts import t
from safety.views import View
from storage.db import Database
from storage.models import ChatIdentity, OutboxMessage, Person
from tests.delivery.helpers import (
    FAST,
    Team,
    chat_of,
    dispatching,
    envelope,
    make_team,
    person,
    put,
    rows,
    texts_in,
)
from tests.flow.test_channels import MemoryChannel

WECOM = "wecom"


@dataclass
class FlakyWeCom(MemoryChannel):
    """The in-memory channel as WeCom: it edits, and answers Unreachable for the members in `gone`."""

    name: str = WECOM
    can_edit: bool = True
    gone: set[str] = field(default_factory=set)
    edits: list[tuple[str, int]] = field(default_factory=list)

    async def send(self, recipient: Recipient, view: View) -> Sent:
        if recipient.chat_id in self.gone:
            raise Unreachable("81013 user not in the app's visible range")
        return await super().send(recipient, view)

    async def edit(self, recipient: Recipient, message_id: int, view: View) -> None:
        if recipient.chat_id in self.gone:
            raise Unreachable("81013 user not in the app's visible range")
        self.edits.append((recipient.chat_id, message_id))


def userid(person_id: int) -> str:
    return f"wx{person_id}"


async def bind_wecom(db: Database, *person_ids: int, prefer: bool = False) -> None:
    async with db.session() as session:
        for person_id in person_ids:
            chat = userid(person_id)
            session.add(ChatIdentity(person_id=person_id, channel=WECOM, external_id=chat, chat_id=chat))
            if prefer:
                stored = await session.get(Person, person_id)
                assert stored is not None
                stored.preferred_channel = WECOM
                session.add(stored)


async def identity(db: Database, person_id: int, channel: str) -> ChatIdentity:
    async with db.session() as session:
        found = (
            await session.exec(
                select(ChatIdentity).where(
                    col(ChatIdentity.person_id) == person_id, col(ChatIdentity.channel) == channel
                )
            )
        ).one()
    return found


async def settle(*dispatchers: Dispatcher) -> None:
    """Run every channel's dispatcher until none has anything left (a fallback row wakes the other)."""
    async with asyncio.timeout(30):
        for _ in range(3):
            for dispatcher in dispatchers:
                await dispatcher.run_until_idle()


async def names(db: Database, person_id: int) -> dict[str, str]:
    found = await person(db, person_id)
    return {"name": found.name, "employee_no": found.employee_no}


async def test_blocked_on_telegram_the_message_goes_to_wecom_and_the_leader_is_told_once(
    db: Database, sandbox: SandboxServer
) -> None:
    team = await make_team(db, 3, server=sandbox)
    blocked, fine, _ = team.members
    await bind_wecom(db, blocked, fine)  # Telegram bound first: it is their channel
    sandbox.faults = Faults(blocked_users={chat_of(blocked)})
    wecom = FlakyWeCom()
    await put(db, [envelope(p, f"open:{p}", "班前安全确认") for p in (blocked, fine)])
    async with dispatching(db, sandbox) as telegram:
        await settle(telegram, Dispatcher(db, wecom, FAST))
        stored = await rows(db)
        assert stored[f"open:{blocked}"].status == "failed"
        copy = stored[f"open:{blocked}:fallback:wecom"]
        assert (copy.channel, copy.status, copy.person_id) == (WECOM, "sent", blocked)
        assert wecom.texts(userid(blocked)) == ["班前安全确认"] and wecom.texts(userid(fine)) == []
        assert texts_in(sandbox, chat_of(fine)) == ["班前安全确认"]
        assert (await identity(db, blocked, "telegram")).unreachable
        assert not (await identity(db, blocked, WECOM)).unreachable
        assert not (await person(db, blocked)).unreachable, "still reachable, on WeCom"
        notice = t(
            "zh-CN",
            "channels.fallback_notice",
            channel="Telegram",
            other="企业微信",
            **await names(db, blocked),
        )
        assert texts_in(sandbox, chat_of(team.leader)) == [notice]
        # New messages go to WeCom straight away; Telegram is not asked again, the leader not told again.
        await put(db, [envelope(blocked, "reminder", "⏰ 提醒")])
        assert (await rows(db))["reminder"].channel == WECOM
        await settle(telegram, Dispatcher(db, wecom, FAST))
    assert wecom.texts(userid(blocked)) == ["班前安全确认", "⏰ 提醒"]
    assert sandbox.stats.blocked == 1
    assert texts_in(sandbox, chat_of(team.leader)) == [notice]


async def test_gone_from_wecom_an_edit_arrives_on_telegram_as_a_new_message(
    db: Database, sandbox: SandboxServer
) -> None:
    team = await make_team(db, 2, server=sandbox, leader_language="en")
    member = team.members[0]
    await bind_wecom(db, member, prefer=True)
    wecom = FlakyWeCom()
    await put(db, [envelope(member, "digest", "班前确认 8/10")])
    async with dispatching(db, sandbox) as telegram:
        await settle(telegram, Dispatcher(db, wecom, FAST))
        assert wecom.texts(userid(member)) == ["班前确认 8/10"] and texts_in(sandbox, chat_of(member)) == []
        wecom.gone.add(userid(member))  # left the corp, or out of the app's visible range
        await put(db, [envelope(member, "digest:v2", "班前确认 10/10", edit_of="digest")])
        assert (await rows(db))["digest:v2"].channel == WECOM, "an edit goes where its message is"
        await settle(telegram, Dispatcher(db, wecom, FAST))
    stored = await rows(db)
    assert stored["digest:v2"].status == "failed" and wecom.edits == []
    copy = stored["digest:v2:fallback:telegram"]
    assert (copy.channel, copy.edit_of, copy.status) == ("telegram", None, "sent")
    assert texts_in(sandbox, chat_of(member)) == ["班前确认 10/10"], "the newest version, as a new message"
    notice = t("en", "channels.fallback_notice", channel="WeCom", other="Telegram", **await names(db, member))
    assert texts_in(sandbox, chat_of(team.leader)) == [notice], "in the leader's language"


async def test_reachable_on_neither_the_person_is_unreachable_and_the_leader_told_once(
    db: Database, sandbox: SandboxServer
) -> None:
    team = await make_team(db, 2, server=sandbox)
    member = team.members[0]
    await bind_wecom(db, member, prefer=True)
    sandbox.faults = Faults(blocked_users={chat_of(member)})
    wecom = FlakyWeCom(gone={userid(member)})
    await put(db, [envelope(member, "open", "班前安全确认")])
    async with dispatching(db, sandbox) as telegram:
        await settle(telegram, Dispatcher(db, wecom, FAST))
    stored = await rows(db)
    assert stored["open"].status == "failed" and stored["open:fallback:telegram"].status == "failed"
    assert "open:fallback:telegram:fallback:wecom" not in stored, "no ping-pong between lost channels"
    assert (await person(db, member)).unreachable
    lost_wecom = t(
        "zh-CN", "channels.fallback_notice", channel="企业微信", other="Telegram", **await names(db, member)
    )
    lost_both = t("zh-CN", "channels.unreachable_notice", channel="Telegram", **await names(db, member))
    assert texts_in(sandbox, chat_of(team.leader)) == [lost_wecom, lost_both]


async def test_two_messages_failing_at_once_are_both_resent_and_the_leader_told_once(
    db: Database, sandbox: SandboxServer
) -> None:
    team: Team = await make_team(db, 1, server=sandbox)
    member = team.members[0]
    await bind_wecom(db, member)
    sandbox.faults = Faults(blocked_users={chat_of(member)})
    wecom = FlakyWeCom()
    await put(db, [envelope(member, f"card:{i}", f"提示卡 {i}") for i in range(2)])
    async with dispatching(db, sandbox) as one, dispatching(db, sandbox) as two, asyncio.timeout(30):
        await asyncio.gather(one.run_until_idle(), two.run_until_idle())  # two workers, same person
        await Dispatcher(db, wecom, FAST).run_until_idle()
    assert sorted(wecom.texts(userid(member))) == [f"提示卡 {i}" for i in range(2)]
    stored = await rows(db)
    assert sorted(k for k in stored if "fallback" in k) == [f"card:{i}:fallback:wecom" for i in range(2)]
    leader_texts = texts_in(sandbox, chat_of(team.leader))
    assert len(leader_texts) == 1 and "企业微信" in leader_texts[0]
    async with db.session() as session:
        unsent = (await session.exec(select(OutboxMessage).where(col(OutboxMessage.status) != "sent"))).all()
    assert sorted(r.key for r in unsent) == [f"card:{i}" for i in range(2)]


async def put_at(db: Database, now: datetime, *envelopes: Envelope) -> None:
    """Enqueue at the harness clock (its dispatchers see rows due by it)."""
    async with db.session() as session:
        await enqueue(session, list(envelopes), now=now, default_channel="telegram")


async def test_end_to_end_channel_on_wecom_then_the_member_leaves_the_corp(db: Database) -> None:
    """Through the WeCom sandbox and the real WeCom channel: a worker bound on Telegram writes to the app,
    picks WeCom with /channel there; once they leave the corp (sends answer 81013) the next message reaches
    them on Telegram and their team leader is told, in Chinese."""
    from tests.flow.test_checkin import ORG
    from tests.wecom.harness import running_wecom_bot

    async with running_wecom_bot(db, org_file=ORG) as bot:
        for employee_no in ("L1", "A1"):
            await bot.flow.bind(employee_no)
        await bot.hello("A1")  # bound on WeCom too: no code inside one corp
        menu = await bot.say("A1", "/channel")
        assert menu is not None
        await bot.drain()
        card = next(m for m in reversed(bot.messages("A1")) if m["buttons"])
        assert [label for label, _ in card["buttons"]][:2] == ["✅ Telegram", "企业微信"]
        await bot.press_and_wait("A1", card, 1)
        await bot.drain()
        worker = bot.people["A1"].id or 0
        assert (await person(db, worker)).preferred_channel == WECOM
        await put_at(db, bot.clock(), envelope(worker, "card:1", "📋 安全生产提示卡：冬季防冻"))
        await bot.drain()
        assert any("冬季防冻" in text for text in bot.texts("A1")), "on WeCom, as chosen"
        bot.sandbox.remove_member(bot.userid("A1"))  # left the corp
        await put_at(db, bot.clock(), envelope(worker, "card:2", "📋 安全生产提示卡：防滑"))
        await bot.drain()
        await bot.drain()  # the fallback row, then the leader's notice
        telegram = [str(m.get("text")) for m in await bot.flow.client.messages(bot.flow.user_id("A1"))]
        assert "📋 安全生产提示卡：防滑" in telegram
        leader = [str(m.get("text")) for m in await bot.flow.client.messages(bot.flow.user_id("L1"))]
        notice = t(
            "zh-CN",
            "channels.fallback_notice",
            channel="企业微信",
            other="Telegram",
            **await names(db, worker),
        )
        assert notice in leader and notice.startswith("无法通过企业微信联系到 张一")
        assert (await identity(db, worker, WECOM)).unreachable
