"""The sandbox Bot API over raw HTTP: shapes, validation, update delivery, files, recording."""

from __future__ import annotations

import asyncio
import json

import httpx

from bot.sandbox import SandboxClient, SandboxServer
from tests.sandbox.conftest import TOKEN, ZHANG, BotCall

INLINE = {"inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]}


async def test_get_me_and_wrong_token_and_unknown_method(sandbox: SandboxServer, bot_call: BotCall) -> None:
    status, body = await bot_call("getMe")
    assert status == 200 and body["ok"] is True
    assert body["result"] | {} == {
        "id": 123456,
        "is_bot": True,
        "first_name": "SafetyBot",
        "username": "safetybot",
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }
    async with httpx.AsyncClient() as raw:
        wrong = await raw.get(f"{sandbox.bot_api_base}999:WRONG/getMe")
        assert (wrong.status_code, wrong.json()) == (
            401,
            {"ok": False, "error_code": 401, "description": "Unauthorized"},
        )
        missing = await raw.post(f"{sandbox.bot_api_base}{TOKEN}/sendPigeon")
        assert (missing.status_code, missing.json()) == (
            404,
            {"ok": False, "error_code": 404, "description": "Not Found"},
        )
        lower = await raw.get(f"{sandbox.bot_api_base}{TOKEN}/getme")  # Telegram's names are case-insensitive
        assert lower.json()["result"]["username"] == "safetybot"
    assert [(r.method, r.status) for r in sandbox.requests] == [
        ("getMe", 200),
        ("getMe", 401),
        ("sendPigeon", 404),
        ("getMe", 200),
    ]


async def test_send_message_validation_like_telegram(sandbox: SandboxServer, bot_call: BotCall) -> None:
    sandbox.limits.enabled = False

    async def error(method: str, **params: object) -> tuple[int, str]:
        status, body = await bot_call(method, **params)
        assert body["ok"] is False and body["error_code"] == status
        return status, body["description"]

    assert await error("sendMessage", chat_id=ZHANG.id, text="  ") == (
        400,
        "Bad Request: message text is empty",
    )
    assert await error("sendMessage", chat_id=ZHANG.id, text="长" * 4097) == (
        400,
        "Bad Request: message is too long",
    )
    assert await error("sendMessage", chat_id=777, text="hi") == (400, "Bad Request: chat not found")
    long_data = {"inline_keyboard": [[{"text": "x", "callback_data": "长" * 22}]]}  # 66 bytes in UTF-8
    assert await error("sendMessage", chat_id=ZHANG.id, text="hi", reply_markup=long_data) == (
        400,
        "Bad Request: BUTTON_DATA_INVALID",
    )
    empty_data = {"inline_keyboard": [[{"text": "x", "callback_data": ""}]]}
    assert (await error("sendMessage", chat_id=ZHANG.id, text="hi", reply_markup=empty_data))[1].endswith(
        "BUTTON_DATA_INVALID"
    )
    exactly_64 = {"inline_keyboard": [[{"text": "x", "callback_data": "长" * 21 + "a"}]]}
    status, _ = await bot_call("sendMessage", chat_id=ZHANG.id, text="ok", reply_markup=exactly_64)
    assert status == 200
    assert await error("editMessageText", chat_id=ZHANG.id, message_id=99, text="x") == (
        400,
        "Bad Request: message to edit not found",
    )
    _, sent = await bot_call(
        "sendMessage", chat_id=ZHANG.id, text="<b>粗</b> & more", parse_mode="HTML", reply_markup=INLINE
    )
    assert sent["result"]["text"] == "粗 & more"
    assert sent["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 1}]
    mid = sent["result"]["message_id"]
    status, description = await error(
        "editMessageText",
        chat_id=ZHANG.id,
        message_id=mid,
        text="<b>粗</b> & more",
        parse_mode="HTML",
        reply_markup=INLINE,
    )
    assert status == 400 and description.startswith("Bad Request: message is not modified: ")
    status, _ = await bot_call("editMessageText", chat_id=ZHANG.id, message_id=mid, text="粗 & more")
    assert status == 200  # entities and keyboard differ
    assert (await error("sendPhoto", chat_id=ZHANG.id, photo="nope", caption="x" * 1025)) == (
        400,
        "Bad Request: message caption is too long",
    )
    assert (await error("sendMessage", chat_id=ZHANG.id, text="<b>x", parse_mode="HTML"))[1].startswith(
        "Bad Request: can't parse entities"
    )


async def test_get_updates_long_poll_offset_and_limit(
    sandbox: SandboxServer, bot_call: BotCall, client: SandboxClient
) -> None:
    started = asyncio.get_running_loop().time()
    status, body = await bot_call("getUpdates", timeout=0)
    assert (status, body) == (200, {"ok": True, "result": []})
    waiting = asyncio.create_task(bot_call("getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    assert not waiting.done()
    await client.send_text(ZHANG.id, "/help@safetybot now")
    _, body = await waiting
    assert asyncio.get_running_loop().time() - started < 2
    [update] = body["result"]
    message = update["message"]
    assert message["text"] == "/help@safetybot now"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 15}]
    assert message["chat"] == {"id": ZHANG.id, "type": "private", "first_name": "张三"}
    assert message["from"]["language_code"] == "zh-hans" and message["from"]["is_bot"] is False
    for text in ("a", "b", "c"):
        await client.send_text(ZHANG.id, text)
    _, body = await bot_call("getUpdates", offset=update["update_id"] + 1, limit=2)
    assert [u["message"]["text"] for u in body["result"]] == ["a", "b"]
    last = body["result"][-1]["update_id"]
    _, body = await bot_call("getUpdates", offset=last + 1, timeout=0)
    assert [u["message"]["text"] for u in body["result"]] == ["c"]
    assert len(sandbox.state.updates) == 1


async def test_second_get_updates_terminates_the_first(bot_call: BotCall) -> None:
    first = asyncio.create_task(bot_call("getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(bot_call("getUpdates", timeout=0))
    status, body = await first
    assert status == 409 and body["description"].startswith(
        "Conflict: terminated by other getUpdates request"
    )
    assert (await second)[0] == 200


async def test_json_and_get_requests_are_accepted(sandbox: SandboxServer, http: httpx.AsyncClient) -> None:
    sandbox.limits.enabled = False
    response = await http.post(
        "sendMessage", json={"chat_id": str(ZHANG.id), "text": "json body", "reply_markup": INLINE}
    )
    assert response.json()["result"]["reply_markup"] == INLINE
    response = await http.get(
        "sendMessage", params={"chat_id": ZHANG.id, "text": "query", "reply_markup": json.dumps(INLINE)}
    )
    assert response.json()["result"]["text"] == "query"
    assert sandbox.requests[-1].params["reply_markup"] == INLINE  # recorded decoded


async def test_document_upload_get_file_and_download(sandbox: SandboxServer, http: httpx.AsyncClient) -> None:
    content = "employee_no,name\nE1001,张三\n".encode()
    response = await http.post(
        "sendDocument",
        data={"chat_id": str(ZHANG.id), "caption": "导出 export"},
        files={"document": ("export.csv", content, "text/csv")},
    )
    document = response.json()["result"]["document"]
    assert document["file_name"] == "export.csv" and document["file_size"] == len(content)
    info = (await http.post("getFile", data={"file_id": document["file_id"]})).json()["result"]
    assert info["file_path"].endswith(".csv")
    async with httpx.AsyncClient() as raw:
        download = await raw.get(f"{sandbox.file_base}{TOKEN}/{info['file_path']}")
        assert download.content == content
        assert (await raw.get(f"{sandbox.file_base}1:BAD/{info['file_path']}")).status_code == 401
    again = await http.post("sendDocument", data={"chat_id": str(ZHANG.id), "document": document["file_id"]})
    assert again.json()["result"]["document"]["file_id"] == document["file_id"]
    bad = await http.post("getFile", data={"file_id": "nope"})
    assert bad.json() == {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}


async def test_callback_query_answer_once(bot_call: BotCall, client: SandboxClient) -> None:
    _, sent = await bot_call("sendMessage", chat_id=ZHANG.id, text="press", reply_markup=INLINE)
    query_id = await client.press_button(ZHANG.id, sent["result"]["message_id"], "好")
    _, body = await bot_call("getUpdates")
    query = body["result"][-1]["callback_query"]
    assert query["id"] == query_id and query["data"] == "ok" and query["message"]["text"] == "press"
    assert (await bot_call("answerCallbackQuery", callback_query_id=query_id, text="收到", show_alert=True))[
        0
    ] == 200
    assert await client.callback_answer(query_id) == {"text": "收到", "show_alert": True, "url": None}
    status, body = await bot_call("answerCallbackQuery", callback_query_id=query_id)
    assert status == 400 and "query is too old" in body["description"]


async def test_group_chat_messages(sandbox: SandboxServer, bot_call: BotCall, client: SandboxClient) -> None:
    sandbox.add_group(-100200, "爆破班群", [ZHANG.id, 1002])
    await client.send_text(ZHANG.id, "/status", chat_id=-100200)
    _, body = await bot_call("getUpdates")
    message = body["result"][-1]["message"]
    assert message["chat"] == {"id": -100200, "type": "group", "title": "爆破班群"}
    assert message["from"]["id"] == ZHANG.id
    _, sent = await bot_call("sendMessage", chat_id=-100200, text="今日 8/10")
    assert sent["result"]["chat"]["type"] == "group"
    reply = await client.wait_for(ZHANG.id, chat_id=-100200)
    assert reply["text"] == "今日 8/10"
    assert await client.messages(ZHANG.id) == []  # the private chat is separate
