"""The chat page and its JSON API (what the page and SandboxClient share)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.sandbox import SandboxClient, SandboxError, SandboxServer
from tests.sandbox.conftest import LI, ZHANG, BotCall

TEST_IDS = (
    "user-picker",
    "chat",
    "composer-input",
    "composer-send",
    "share-contact",
    "toast",
    "photo-input",
    "send-location",
    "typing",
    "commands-menu",
    "reply-keyboard",
)


@pytest.fixture
async def web(sandbox: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=10) as raw:
        yield raw


async def test_page_and_assets_are_served_without_external_links(web: httpx.AsyncClient) -> None:
    page = await web.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for test_id in TEST_IDS:
        assert f'data-testid="{test_id}"' in page.text
    script = await web.get("/sandbox/static/app.js")
    style = await web.get("/sandbox/static/style.css")
    assert script.status_code == style.status_code == 200
    for test_id in ("message", "inline-button", "reply-button"):
        assert f'dataset.testid = "{test_id}"' in script.text
    for text in (page.text, script.text, style.text):
        assert "https://" not in text and "cdn" not in text.lower()


async def test_users_listing_and_new_user(web: httpx.AsyncClient, client: SandboxClient) -> None:
    users = await client.users()
    assert [(u["id"], u["label"], u["phone"]) for u in users] == [
        (ZHANG.id, "张三 · 爆破班 · staff", "13800000001"),
        (LI.id, "Li Si", "13800000002"),
    ]
    created = await client.add_user(first_name="王五", phone="13800000003")
    assert created["id"] > 8_000_000_000 and created["label"] == "王五"
    fresh = (await web.post("/sandbox/api/users", json={})).json()
    assert fresh["id"] == created["id"] + 1 and fresh["phone"] is None
    assert len(await client.users()) == 4


async def test_updates_long_poll_sees_new_edited_deleted_and_typing(
    sandbox: SandboxServer, web: httpx.AsyncClient, bot_call: BotCall
) -> None:
    sandbox.limits.enabled = False
    chat = (await web.get("/sandbox/api/chat", params={"user_id": ZHANG.id})).json()
    since = chat["seq"]
    poll = asyncio.create_task(web.get("/sandbox/api/updates", params={"user_id": ZHANG.id, "since": since}))
    await asyncio.sleep(0.05)
    assert not poll.done()
    await bot_call("sendChatAction", chat_id=ZHANG.id, action="typing")
    answer = (await poll).json()
    assert [e["kind"] for e in answer["events"]] == ["action"] and answer["typing"] > 4
    _, sent = await bot_call("sendMessage", chat_id=ZHANG.id, text="第一行\n第二行")
    mid = sent["result"]["message_id"]
    await bot_call("editMessageText", chat_id=ZHANG.id, message_id=mid, text="改过 edited")
    await bot_call("deleteMessage", chat_id=ZHANG.id, message_id=mid)
    answer = (await web.get("/sandbox/api/updates", params={"user_id": ZHANG.id, "since": since})).json()
    snapshots = [e["message"] for e in answer["events"] if e["kind"] == "message"]
    assert [(m["text"], m["edited"], m["deleted"]) for m in snapshots] == [
        ("第一行\n第二行", False, False),
        ("改过 edited", True, False),
        ("改过 edited", True, True),
    ]
    assert answer["typing"] == 0  # a bot message ends "typing…"
    quiet = await web.get(
        "/sandbox/api/updates", params={"user_id": ZHANG.id, "since": answer["seq"], "timeout": 0.1}
    )
    assert quiet.json()["events"] == []


async def test_page_actions_and_their_errors(
    sandbox: SandboxServer, web: httpx.AsyncClient, client: SandboxClient
) -> None:
    assert (await web.post("/sandbox/api/send", json={"user_id": ZHANG.id, "text": " "})).status_code == 400
    assert (await web.post("/sandbox/api/send", json={"text": "hi"})).status_code == 400
    assert (
        await web.post("/sandbox/api/send", json={"user_id": ZHANG.id, "text": "x", "chat_id": -5})
    ).status_code == 404
    assert (
        await web.post("/sandbox/api/press", json={"user_id": ZHANG.id, "message_id": 42, "data": "x"})
    ).status_code == 404
    with pytest.raises(SandboxError):
        await client.press_button(ZHANG.id, 42, "好")
    contact = await client.share_contact(ZHANG.id)  # the user's own number by default
    assert contact["contact"] == {"phone_number": "13800000001", "first_name": "张三", "user_id": ZHANG.id}
    photo = await client.send_photo(LI.id, b"\xff\xd8not really a jpeg", caption="现场")
    image = await web.get(photo["photo_url"])
    assert image.content == b"\xff\xd8not really a jpeg" and photo["caption"] == "现场"
    stranger = await client.send_text(777000111, "/start")  # an unknown id becomes a new Telegram user
    assert stranger["from"]["first_name"] == "User777000111"
    missing = await web.get("/sandbox/api/callback_answer", params={"id": "nope"})
    assert missing.status_code == 404


async def test_page_press_and_callback_answer_endpoint(
    sandbox: SandboxServer, web: httpx.AsyncClient, bot_call: BotCall
) -> None:
    markup = {"inline_keyboard": [[{"text": "已阅", "callback_data": "card:7:read"}]]}
    _, sent = await bot_call("sendMessage", chat_id=ZHANG.id, text="提示卡", reply_markup=markup)
    pressed = await web.post(
        "/sandbox/api/press",
        json={"user_id": ZHANG.id, "message_id": sent["result"]["message_id"], "data": "card:7:read"},
    )
    query_id = pressed.json()["callback_query_id"]
    params = {"id": query_id, "timeout": 0.1}
    assert (await web.get("/sandbox/api/callback_answer", params=params)).status_code == 408
    waiting = asyncio.create_task(
        web.get("/sandbox/api/callback_answer", params={"id": query_id, "timeout": 5})
    )
    await asyncio.sleep(0.05)
    await bot_call("answerCallbackQuery", callback_query_id=query_id, text="已记录")
    answer = await waiting
    assert answer.json() == {"text": "已记录", "show_alert": False, "url": None}
    events = (await web.get("/sandbox/api/events", params={"since": 0, "timeout": 0})).json()["events"]
    assert [(e["kind"], e["chat_id"]) for e in events] == [
        ("message", ZHANG.id),
        ("callback_answer", ZHANG.id),
    ]
