"""Rights are checked at every command and every press: staff cannot use a leader's command or button."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel import delete

from safety.texts import t
from storage.db import Database
from storage.models import RoleAssignment
from tests.flow.harness import Harness, running_bot

STAFF = "E1001"
LEADER = "E1000"


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Harness]:
    async with running_bot(db) as harness:
        await harness.bind(STAFF)
        await harness.bind(LEADER)
        yield harness


async def _status(bot: Harness, employee_no: str) -> dict:
    user = bot.user_id(employee_no)
    sent = await bot.client.send_text(user, "/status")
    return await bot.client.wait_for(user, after_message_id=sent["message_id"])


def _first_button_data(message: dict) -> str:
    return str(message["reply_markup"]["inline_keyboard"][0][0]["callback_data"])


async def test_staff_cannot_run_a_leaders_command(bot: Harness) -> None:
    reply = await _status(bot, STAFF)
    assert reply["text"] == zh("access.denied")
    assert not reply.get("reply_markup")


async def test_leader_sees_units_and_member_list(bot: Harness) -> None:
    status = await _status(bot, LEADER)
    assert "爆破班" in status["text"] and status["reply_markup"]["inline_keyboard"]
    leader = bot.user_id(LEADER)
    query_id = await bot.client.press(leader, status["message_id"], _first_button_data(status))
    answer = await bot.client.callback_answer(query_id)
    assert not answer.get("text")
    members = await bot.client.wait_for(leader, after_message_id=status["message_id"])
    assert bot.people[STAFF].name in members["text"]
    assert zh("status.member_bound", name=bot.people[STAFF].name, roles=zh("roles.staff")) in members["text"]


async def test_staff_pressing_a_leaders_button_is_refused(bot: Harness) -> None:
    status = await _status(bot, LEADER)
    leaders_data = _first_button_data(status)
    staff = bot.user_id(STAFF)
    own = await bot.client.send_text(staff, "/help")
    help_reply = await bot.client.wait_for(staff, after_message_id=own["message_id"])
    before = len(await bot.client.messages(staff))
    for data in (leaders_data, "1|st|team-blast|AAAAAAAAAAA", "0|st|team-blast|", "garbage", "x" * 64):
        query_id = await bot.client.press(staff, help_reply["message_id"], data)
        answer = await bot.client.callback_answer(query_id)
        assert answer["text"] == zh("access.button_invalid"), data
    assert len(await bot.client.messages(staff)) == before  # nothing was sent to the presser


async def test_a_leader_who_lost_the_role_cannot_press_an_old_button(bot: Harness) -> None:
    status = await _status(bot, LEADER)
    async with bot.db.session() as session:
        await session.exec(
            delete(RoleAssignment).where(
                RoleAssignment.person_id == bot.people[LEADER].id, RoleAssignment.role == "team_leader"
            )
        )
    leader = bot.user_id(LEADER)
    query_id = await bot.client.press(leader, status["message_id"], _first_button_data(status))
    answer = await bot.client.callback_answer(query_id)
    assert answer["text"] in {zh("access.button_denied"), zh("access.button_invalid")}
    again = await _status(bot, LEADER)
    assert again["text"] == zh("access.denied")


async def test_unbound_account_pressing_a_button_is_told_to_bind(bot: Harness) -> None:
    status = await _status(bot, LEADER)
    sent = await bot.client.send_text(999_777, "hello")
    prompt = await bot.client.wait_for(999_777, after_message_id=sent["message_id"])
    query_id = await bot.client.press(999_777, prompt["message_id"], _first_button_data(status))
    answer = await bot.client.callback_answer(query_id)
    assert answer["text"] == zh("bind.unbound_button")
