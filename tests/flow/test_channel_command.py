"""`/channel` through the Telegram sandbox: a person bound on Telegram and on WeCom (an identity inserted
directly; the WeCom side here is the tests' in-memory channel named "wecom") sees both, the current one
marked, and a press makes the other the preferred one — and the next message goes there. A channel they are
not bound on (forged, or unbound since) is refused and nothing changes; two presses at once leave one
choice, consistent with what is stored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import col, delete, select

from safety import callbacks
from safety.outbox import Envelope, enqueue
from safety.texts import t
from safety.views import Text, View
from storage.db import Database
from storage.models import AuditEntry, ChatIdentity, OutboxMessage, Person
from tests.flow.harness import TOKEN, Harness, running_bot
from tests.flow.test_channels import MemoryChannel
from tests.flow.test_checkin import ORG

SECRET = callbacks.derive_secret(TOKEN)
WORKER, OTHER = "A1", "A2"


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[tuple[Harness, MemoryChannel]]:
    wecom = MemoryChannel(name="wecom")
    async with running_bot(db, org_file=ORG, extra_channels=[wecom]) as harness:
        for employee_no in (WORKER, OTHER):
            await harness.bind(employee_no)
        async with harness.db.session() as session:
            person = harness.people[WORKER]
            session.add(
                ChatIdentity(
                    person_id=person.id or 0, channel="wecom", external_id="zhangyi", chat_id="zhangyi"
                )
            )
        yield harness, wecom


async def channel_menu(bot: Harness, employee_no: str) -> dict[str, Any]:
    user = bot.user_id(employee_no)
    sent = await bot.client.send_text(user, "/channel")
    return await bot.client.wait_for(user, after_message_id=sent["message_id"])


def labels(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


async def preferred(bot: Harness, employee_no: str) -> str | None:
    async with bot.db.session() as session:
        person = await session.get(Person, bot.people[employee_no].id)
    assert person is not None
    return person.preferred_channel


async def test_channel_offers_both_and_a_press_moves_the_next_message(
    bot: tuple[Harness, MemoryChannel],
) -> None:
    harness, wecom = bot
    menu = await channel_menu(harness, WORKER)
    assert menu["text"].startswith(zh("channels.title", current="Telegram"))
    assert labels(menu) == [
        zh("channels.option_current", name="Telegram"),
        zh("channels.option", name="企业微信"),
    ]
    user = harness.user_id(WORKER)
    query_id = await harness.client.press_button(user, menu["message_id"], "企业微信")
    assert (await harness.client.callback_answer(query_id))["text"] == zh("channels.chosen", name="企业微信")
    edited = await harness.client.wait_for(user, lambda m: "✅ 企业微信" in str(m.get("reply_markup")))
    assert edited["message_id"] == menu["message_id"]
    assert await preferred(harness, WORKER) == "wecom"
    async with harness.db.session() as session:
        audit = (await session.exec(select(AuditEntry).where(AuditEntry.action == "channel.prefer"))).all()
        person_id = harness.people[WORKER].id or 0
        await enqueue(
            session,
            [
                Envelope(
                    key="notice:1", kind="test", person_id=person_id, view=View((Text("checkin.all_fine"),))
                )
            ],
            now=harness.clock(),
            default_channel="telegram",
        )
    assert [(a.channel, (a.detail or {}).get("channel")) for a in audit] == [("telegram", "wecom")]
    await harness.drain()
    assert wecom.texts("zhangyi") == [zh("checkin.all_fine")], "the next message went to WeCom"
    again = await harness.client.press_button(user, menu["message_id"], "企业微信")
    assert (await harness.client.callback_answer(again))["text"] == zh("channels.already", name="企业微信")


async def test_a_channel_not_bound_on_is_refused_and_nothing_changes(
    bot: tuple[Harness, MemoryChannel],
) -> None:
    harness, _ = bot
    menu = await channel_menu(harness, WORKER)
    user, person_id = harness.user_id(WORKER), harness.people[WORKER].id or 0
    forged = callbacks.encode(SECRET, person_id=person_id, action="ch", arg="qq")  # signed, never offered
    answer = await harness.client.callback_answer(
        await harness.client.press(user, menu["message_id"], forged)
    )
    assert answer["text"] == zh("channels.not_bound") and answer["show_alert"]
    async with harness.db.session() as session:  # unbound from WeCom after the menu was shown: stale
        await session.exec(delete(ChatIdentity).where(col(ChatIdentity.channel) == "wecom"))
    stale = await harness.client.press_button(user, menu["message_id"], "企业微信")
    assert (await harness.client.callback_answer(stale))["text"] == zh("channels.not_bound")
    others = callbacks.encode(SECRET, person_id=harness.people[OTHER].id or 0, action="ch", arg="telegram")
    answer = await harness.client.callback_answer(
        await harness.client.press(user, menu["message_id"], others)
    )
    assert answer["text"] == zh("access.button_invalid"), "someone else's button"
    assert await preferred(harness, WORKER) is None
    only = await channel_menu(harness, WORKER)
    assert only["text"] == zh("channels.only_one", current="Telegram") and not labels(only)


async def test_two_presses_at_once_leave_one_stored_choice(bot: tuple[Harness, MemoryChannel]) -> None:
    harness, _ = bot
    menu = await channel_menu(harness, WORKER)
    user = harness.user_id(WORKER)
    queries = await asyncio.gather(
        harness.client.press_button(user, menu["message_id"], "企业微信"),
        harness.client.press_button(user, menu["message_id"], "Telegram"),
    )
    answers = [(await harness.client.callback_answer(q))["text"] for q in queries]
    stored = await preferred(harness, WORKER)
    assert stored in {"wecom", "telegram"}
    assert zh("channels.chosen", name="企业微信") in answers, "one press changed the channel"
    async with harness.db.session() as session:
        rows = (await session.exec(select(OutboxMessage))).all()
    assert rows == [], "a choice sends nothing by itself"
    final = await channel_menu(harness, WORKER)
    name = "企业微信" if stored == "wecom" else "Telegram"
    assert zh("channels.option_current", name=name) in labels(final)


async def test_writing_on_a_channel_marked_unreachable_makes_it_reachable_again(
    bot: tuple[Harness, MemoryChannel],
) -> None:
    """A person the bot could not reach on Telegram (an earlier 403 there) writes to it on Telegram: that
    account is reachable again, and the WeCom one is left as it was."""
    harness, _ = bot
    person_id = harness.people[WORKER].id
    async with harness.db.session() as session:
        for identity in (await session.exec(select(ChatIdentity))).all():
            if identity.person_id == person_id:
                identity.unreachable = True
                session.add(identity)
    user = harness.user_id(WORKER)
    sent = await harness.client.send_text(user, "/help")
    await harness.client.wait_for(user, after_message_id=sent["message_id"])
    async with harness.db.session() as session:
        rows = (await session.exec(select(ChatIdentity).where(ChatIdentity.person_id == person_id))).all()
    assert {r.channel: r.unreachable for r in rows} == {"telegram": False, "wecom": True}
