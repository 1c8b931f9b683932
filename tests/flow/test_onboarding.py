"""Binding through the chat, as a phone would: codes, deep links, contacts, refusals and the lockout."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import select

from safety.access import commands_for
from safety.texts import t
from storage.db import Database
from storage.models import AuditEntry, ChatIdentity
from tests.flow.harness import Harness, running_bot

STAFF = "E1001"
LEADER = "E1000"
STRANGER_ID = 999_001


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Harness]:
    async with running_bot(db) as harness:
        yield harness


async def say(bot: Harness, user: int, text: str) -> str:
    sent = await bot.client.send_text(user, text)
    reply = await bot.client.wait_for(user, after_message_id=sent["message_id"])
    return str(reply["text"])


async def test_code_binds_and_help_lists_the_roles_commands(bot: Harness) -> None:
    user = bot.user_id(STAFF)
    person = bot.people[STAFF]
    welcome = await bot.bind(STAFF)
    assert person.name in welcome["text"] and "/help" in welcome["text"]
    help_text = await say(bot, user, "/help")
    assert "/checkin" in help_text and "/quiz" in help_text
    assert "/status" not in help_text and "/violation" not in help_text
    menu = [c["command"] for c in await bot.client.commands(user)]
    assert "status" not in menu and "checkin" in menu and "help" in menu
    async with bot.db.session() as session:
        identity = (await session.exec(select(ChatIdentity).where(ChatIdentity.person_id == person.id))).one()
        assert identity.external_id == str(user)
        actions = [a.action for a in (await session.exec(select(AuditEntry))).all()]
    assert "bind.code" in actions


async def test_leader_help_and_menu_include_leader_commands(bot: Harness) -> None:
    await bot.bind(LEADER)
    help_text = await say(bot, bot.user_id(LEADER), "/help")
    assert "/status" in help_text and "/violation" in help_text
    menu = {c["command"] for c in await bot.client.commands(bot.user_id(LEADER))}
    assert {"status", "violation", "help", "lang"} <= menu


async def test_wrong_reused_and_expired_codes_are_refused_and_bind_nothing(bot: Harness) -> None:
    user = bot.user_id(STAFF)
    assert await say(bot, user, "/start ABCDEFGH") == zh("bind.wrong_code")
    expired = await bot.issue_code(STAFF, ttl=timedelta(minutes=5))
    bot.clock.advance(minutes=6)
    assert await say(bot, user, f"/start {expired}") == zh("bind.expired_code")
    assert await say(bot, user, "/start short") == zh("bind.invalid_input")
    assert await bot.bound_count() == 0
    # A code used by its owner cannot be used again by another account.
    await bot.bind(LEADER)
    used_code = await bot.issue_code(STAFF)
    await say(bot, user, f"/start {used_code}")
    assert await bot.bound_count() == 2
    assert await say(bot, STRANGER_ID, f"/start {used_code}") == zh("bind.used_code")
    assert await bot.bound_count() == 2


async def test_contact_binds_own_number_and_refuses_others(bot: Harness) -> None:
    user = bot.user_id(STAFF)
    phone = bot.people[STAFF].phone
    assert phone
    foreign = await bot.client.share_contact(user, phone=phone, contact_user_id=STRANGER_ID)
    reply = await bot.client.wait_for(user, after_message_id=foreign["message_id"])
    assert reply["text"] == zh("bind.foreign_contact")
    unknown = await bot.client.share_contact(user, phone="13999999999")
    reply = await bot.client.wait_for(user, after_message_id=unknown["message_id"])
    assert reply["text"] == zh("bind.phone_unknown")
    assert await bot.bound_count() == 0
    own = await bot.client.share_contact(user, phone="+86 " + phone)
    reply = await bot.client.wait_for(user, after_message_id=own["message_id"])
    assert bot.people[STAFF].name in reply["text"]
    assert await bot.bound_count() == 1


async def test_sixth_wrong_try_in_ten_minutes_is_locked_out(bot: Harness) -> None:
    user = bot.user_id(STAFF)
    for _ in range(5):
        assert await say(bot, user, "/start WRONG234") == zh("bind.wrong_code")
        bot.clock.advance(minutes=1)
    good = await bot.issue_code(STAFF)
    locked = await say(bot, user, f"/start {good}")
    assert locked.startswith(zh("bind.locked", until="")[:10])
    assert await bot.bound_count() == 0
    bot.clock.advance(minutes=61)
    assert bot.people[STAFF].name in await say(bot, user, f"/start {good}")
    assert await bot.bound_count() == 1


async def test_unbound_account_gets_only_the_binding_prompt(bot: Harness) -> None:
    for text in ("/help", "/status", "hello", "/checkin"):
        assert await say(bot, STRANGER_ID, text) == zh("bind.prompt")


async def test_rebinding_needs_a_new_code_and_is_audited(bot: Harness) -> None:
    old_account = bot.user_id(STAFF)
    await bot.bind(STAFF)
    phone = bot.people[STAFF].phone
    assert phone
    # Sharing the same number from a new phone does not move the binding.
    shared = await bot.client.share_contact(STRANGER_ID, phone=phone)
    reply = await bot.client.wait_for(STRANGER_ID, after_message_id=shared["message_id"])
    assert reply["text"] == zh("bind.person_bound_elsewhere")
    code = await bot.issue_code(STAFF)
    rebound = await say(bot, STRANGER_ID, f"/start {code}")
    assert rebound == zh("bind.rebound", name=bot.people[STAFF].name)
    notice = await bot.client.wait_for(
        old_account, predicate=lambda m: m["text"] == zh("audit.rebind_notice")
    )
    assert notice
    assert await say(bot, old_account, "/help") == zh("bind.prompt")
    async with bot.db.session() as session:
        entries = (await session.exec(select(AuditEntry).where(AuditEntry.action == "bind.rebind"))).all()
    assert len(entries) == 1 and entries[0].detail is not None
    assert entries[0].detail["previous_external_id"] == str(old_account)


async def test_lang_switches_and_is_stored(bot: Harness) -> None:
    user = bot.user_id(STAFF)
    await bot.bind(STAFF)
    sent = await bot.client.send_text(user, "/lang")
    choice = await bot.client.wait_for(user, after_message_id=sent["message_id"])
    await bot.client.press_button(user, choice["message_id"], "English")
    await bot.client.wait_for(user, predicate=lambda m: m["text"] == t("en", "lang.switched"))
    assert "/checkin" in await say(bot, user, "/help")
    menu = {c["command"]: c["description"] for c in await bot.client.commands(user)}
    assert menu["help"] == t("en", "commands.help")
    async with bot.db.session() as session:
        from storage.models import Person

        person = await session.get(Person, bot.people[STAFF].id)
        assert person is not None and person.language == "en"


def test_every_role_has_commands() -> None:
    from safety.access import Actor

    for role in ("staff", "team_leader", "safety_officer", "manager", "admin"):
        actor = Actor(1, "X", "x", "u", None, frozenset({(role, "u")}))
        assert "help" in [c.name for c in commands_for(actor)]


async def test_writing_to_the_bot_again_clears_unreachable(bot: Harness) -> None:
    from storage.models import Person

    await bot.bind(STAFF)
    async with bot.db.session() as session:
        person = await session.get(Person, bot.people[STAFF].id)
        assert person is not None
        person.unreachable = True
        session.add(person)
    await say(bot, bot.user_id(STAFF), "/help")
    async with bot.db.session() as session:
        person = await session.get(Person, bot.people[STAFF].id)
        assert person is not None and person.unreachable is False
