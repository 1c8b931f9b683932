"""A user sends a file (`POST /sandbox/api/document`): the bot gets a `document` message with its name,
MIME type, size and caption, fetches it through getFile and the file URL; getFile refuses files over
20 MB as Telegram does (`Bad Request: file is too big`), photos included."""

from __future__ import annotations

import httpx

from bot.sandbox import SandboxClient, SandboxServer
from tests.sandbox.conftest import TOKEN, ZHANG, BotCall

MB = 1024 * 1024


async def test_a_document_reaches_the_bot_and_can_be_fetched(
    sandbox: SandboxServer, client: SandboxClient, bot_call: BotCall
) -> None:
    sent = await client.send_document(
        ZHANG.id, b"%PDF-1.4 demo", "检查表.pdf", "application/pdf", caption="附件"
    )
    assert sent["document"]["file_name"] == "检查表.pdf" and sent["caption"] == "附件"
    _, body = await bot_call("getUpdates", timeout=0)
    message = body["result"][-1]["message"]
    document = message["document"]
    assert (document["file_name"], document["mime_type"], document["file_size"]) == (
        "检查表.pdf",
        "application/pdf",
        13,
    )
    assert message["caption"] == "附件" and "photo" not in message
    status, found = await bot_call("getFile", file_id=document["file_id"])
    assert status == 200 and found["result"]["file_size"] == 13
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{sandbox.file_base}{TOKEN}/{found['result']['file_path']}")
    assert response.content == b"%PDF-1.4 demo"


async def test_get_file_refuses_files_over_20_mb(client: SandboxClient, bot_call: BotCall) -> None:
    await client.send_document(ZHANG.id, b"0" * (20 * MB + 1), "big.jpg", "image/jpeg")
    await client.send_photo(ZHANG.id, b"\xff\xd8" + b"1" * (20 * MB))
    await client.send_document(ZHANG.id, b"0" * (20 * MB), "exactly-20.bin", "application/octet-stream")
    _, body = await bot_call("getUpdates", timeout=0)
    big, photo, limit = (u["message"] for u in body["result"][-3:])
    for file_id in (big["document"]["file_id"], photo["photo"][-1]["file_id"]):
        assert await bot_call("getFile", file_id=file_id) == (
            400,
            {"ok": False, "error_code": 400, "description": "Bad Request: file is too big"},
        )
    status, _ = await bot_call("getFile", file_id=limit["document"]["file_id"])
    assert status == 200, "20 MB exactly is still served"


async def test_a_document_without_a_file_is_refused(sandbox: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=f"{sandbox.url}/sandbox/api/") as http:
        response = await http.post("document", data={"user_id": str(ZHANG.id)})
    assert response.status_code == 400 and response.json()["error"] == "file is required"
