"""The real python-telegram-bot Application against the sandbox, driven by SandboxClient."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.sandbox import SandboxClient, SandboxServer
from tests.sandbox.conftest import LI, ZHANG, build_app

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x03\x08\x02\x00\x00\x00\x12\x16\xf1M"
    b"\x00\x00\x00\x0bIDATx\x9cc\xf8\x0f\x00\x01\x01\x01\x00\x18\xdd\x8d\xb4\x00\x00\x00\x00IEND\xaeB`\x82"
)


async def echo_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("✅ 全部正常", callback_data="ci:1:ok"),
                InlineKeyboardButton("有异常", callback_data="ci:1:x"),
            ]
        ]
    )
    await update.effective_message.reply_text(
        f"欢迎 welcome {' '.join(context.args or [])}\n第二行", reply_markup=keyboard
    )


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(f"已记录 {query.data}")
    await query.edit_message_text(f"已确认 ({query.data})")


async def test_start_command_reaches_the_handler_and_the_reply_is_seen(
    sandbox: SandboxServer, client: SandboxClient, running_app: Any
) -> None:
    app = build_app(sandbox)
    app.add_handler(CommandHandler("start", echo_start))
    await running_app(app)

    sent = await client.send_text(ZHANG.id, "/start ABC123")
    assert sent["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    reply = await client.wait_for(ZHANG.id, lambda m: "welcome" in m["text"])
    assert reply["text"] == "欢迎 welcome ABC123\n第二行"
    assert reply["from_bot"] and reply["chat"]["id"] == ZHANG.id
    assert [b["text"] for b in reply["reply_markup"]["inline_keyboard"][0]] == ["✅ 全部正常", "有异常"]
    # Nothing answers plain text: no handler for it, so the next wait times out and shows the chat.
    await client.send_text(ZHANG.id, "hello")
    with pytest.raises(TimeoutError, match="welcome"):
        await client.wait_for(ZHANG.id, timeout=0.3)


async def test_button_press_reaches_callback_handler_and_answer_is_returned(
    sandbox: SandboxServer, client: SandboxClient, running_app: Any
) -> None:
    app = build_app(sandbox)
    app.add_handler(CommandHandler("start", echo_start))
    app.add_handler(CallbackQueryHandler(on_press))
    await running_app(app)

    await client.send_text(ZHANG.id, "/start")
    menu = await client.wait_for(ZHANG.id)
    query_id = await client.press_button(ZHANG.id, menu["message_id"], "全部正常")
    assert await client.callback_answer(query_id) == {
        "text": "已记录 ci:1:ok",
        "show_alert": False,
        "url": None,
    }
    edited = await client.wait_for(ZHANG.id, lambda m: m["edited"])
    assert edited["message_id"] == menu["message_id"]
    assert edited["text"] == "已确认 (ci:1:ok)" and edited["reply_markup"] is None

    forged = await client.press(ZHANG.id, menu["message_id"], "forged:999")
    assert (await client.callback_answer(forged))["text"] == "已记录 forged:999"


async def test_commands_per_chat_scope_and_language(
    sandbox: SandboxServer, client: SandboxClient, running_app: Any
) -> None:
    app = build_app(sandbox)
    await running_app(app)
    bot = app.bot
    await bot.set_my_commands([BotCommand("start", "开始"), BotCommand("help", "帮助")])
    await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
    await bot.set_my_commands(
        [BotCommand("checkin", "班前确认"), BotCommand("status", "今日情况")],
        scope=BotCommandScopeChat(ZHANG.id),
        language_code="zh",
    )
    assert await client.commands(ZHANG.id) == [
        {"command": "checkin", "description": "班前确认"},
        {"command": "status", "description": "今日情况"},
    ]
    assert await client.commands(LI.id) == [{"command": "start", "description": "Start"}]
    assert [
        c.command for c in await bot.get_my_commands(scope=BotCommandScopeChat(ZHANG.id), language_code="zh")
    ] == [
        "checkin",
        "status",
    ]
    assert await bot.get_my_commands(scope=BotCommandScopeChat(ZHANG.id)) == ()
    await bot.delete_my_commands(scope=BotCommandScopeChat(ZHANG.id), language_code="zh")
    assert [c["command"] for c in await client.commands(ZHANG.id)] == ["start", "help"]


async def test_ptb_sees_telegram_errors_as_its_own_exceptions(
    sandbox: SandboxServer, running_app: Any
) -> None:
    app = await running_app(build_app(sandbox))
    bot = app.bot
    await bot.send_message(ZHANG.id, "one")
    await bot.send_message(ZHANG.id, "two")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ZHANG.id, "three")
    wait = caught.value.retry_after
    assert (wait.total_seconds() if isinstance(wait, dt.timedelta) else wait) == 1
    sandbox.faults.blocked_users.add(LI.id)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(LI.id, "hi")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hi")
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(
            ZHANG.id,
            "x",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="长" * 22)]]),
        )


async def test_user_photo_downloads_with_the_same_bytes(
    sandbox: SandboxServer, client: SandboxClient, running_app: Any
) -> None:
    received: list[bytes] = []

    async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        photo = update.message.photo[-1]
        assert (photo.width, photo.height) == (2, 3)
        file = await context.bot.get_file(photo.file_id)
        received.append(bytes(await file.download_as_bytearray()))
        await update.message.reply_photo(photo.file_id, caption="收到 received")

    app = build_app(sandbox)
    app.add_handler(MessageHandler(filters.PHOTO, on_photo))
    await running_app(app)
    await client.send_photo(ZHANG.id, PNG, caption="隐患照片")
    echoed = await client.wait_for(ZHANG.id, lambda m: "photo" in m)
    assert received == [PNG]
    assert echoed["caption"] == "收到 received"
    assert (
        echoed["photo"][-1]["file_id"] == sandbox.state.messages[ZHANG.id][1].content["photo"][-1]["file_id"]
    )


async def test_contact_location_and_reply_keyboard(
    sandbox: SandboxServer, client: SandboxClient, running_app: Any
) -> None:
    seen: list[dict[str, Any]] = []

    async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        keyboard = [
            [KeyboardButton("📱 分享手机号", request_contact=True)],
            [KeyboardButton("位置", request_location=True)],
        ]
        await update.message.reply_text(
            "请分享", reply_markup=ReplyKeyboardMarkup(keyboard, one_time_keyboard=True)
        )

    async def got(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        message = update.message
        if message.contact:
            seen.append({"phone": message.contact.phone_number, "user_id": message.contact.user_id})
        if message.location:
            seen.append({"lat": message.location.latitude})
        await message.reply_text("ok")

    app = build_app(sandbox)
    app.add_handler(CommandHandler("bind", ask))
    app.add_handler(MessageHandler(filters.CONTACT | filters.LOCATION, got))
    await running_app(app)
    sandbox.limits.scale = 100  # four replies within a second would exceed 1 message/s to one chat
    await client.send_text(ZHANG.id, "/bind")
    prompt = await client.wait_for(ZHANG.id)
    assert prompt["reply_markup"]["keyboard"][0][0]["request_contact"] is True
    assert (await client.chat(ZHANG.id))["reply_keyboard"] is not None
    await client.share_contact(ZHANG.id, phone=ZHANG.phone)
    await client.wait_for(ZHANG.id, lambda m: m["text"] == "ok")
    assert (await client.chat(ZHANG.id))["reply_keyboard"] is None  # one_time_keyboard hides after use
    await client.share_contact(ZHANG.id, phone="13900000009", contact_user_id=LI.id)  # forged: someone else's
    await client.wait_for(ZHANG.id, lambda m: m["text"] == "ok")
    await client.send_location(ZHANG.id, 27.84, 99.71)
    await client.wait_for(ZHANG.id, lambda m: m["text"] == "ok")
    assert seen == [
        {"phone": "13800000001", "user_id": ZHANG.id},
        {"phone": "13900000009", "user_id": LI.id},
        {"lat": 27.84},
    ]


async def test_wait_for_consumes_messages_in_order_and_sees_edits(
    sandbox: SandboxServer, client: SandboxClient, running_app: Any
) -> None:
    app = await running_app(build_app(sandbox))
    sandbox.limits.scale = 100
    first = await app.bot.send_message(ZHANG.id, "first")
    await app.bot.send_message(ZHANG.id, "second")
    await app.bot.edit_message_text("first, edited", chat_id=ZHANG.id, message_id=first.message_id)
    assert (await client.wait_for(ZHANG.id))["text"] == "first"
    assert (await client.wait_for(ZHANG.id))["text"] == "second"
    assert (await client.wait_for(ZHANG.id))["text"] == "first, edited"
    later = asyncio.create_task(client.wait_for(ZHANG.id, lambda m: m["text"] == "later", after_message_id=2))
    await asyncio.sleep(0.05)
    await app.bot.send_chat_action(ZHANG.id, "typing")
    await app.bot.send_message(ZHANG.id, "later")
    assert (await later)["message_id"] == 3
    await app.bot.delete_message(ZHANG.id, 3)
    assert [m["text"] for m in await client.messages(ZHANG.id)] == ["first, edited", "second"]
