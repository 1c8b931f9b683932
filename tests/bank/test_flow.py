"""/prohibitions through the sandbox Bot API: the sample bank with its notice, no bank, and a long bank."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from handlers.prohibitions import MESSAGE_LIMIT, split_messages
from safety.texts import t
from storage.db import Database
from tests.bank.helpers import SAMPLE, SAMPLE_DATA, ok, run_import, write_yaml
from tests.flow.harness import Harness, running_bot

STAFF = "E1001"


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Harness]:
    async with running_bot(db) as harness:
        await harness.bind(STAFF)
        yield harness


async def _prohibitions(bot: Harness, count: int = 1) -> list[dict[str, Any]]:
    user = bot.user_id(STAFF)
    sent = await bot.client.send_text(user, "/prohibitions")
    return [await bot.client.wait_for(user, after_message_id=sent["message_id"]) for _ in range(count)]


async def test_sample_bank_is_shown_with_its_source_and_the_sample_notice(bot: Harness) -> None:
    ok(await run_import(bot.db, SAMPLE))
    (reply,) = await _prohibitions(bot)
    text = reply["text"]
    assert text.startswith(zh("bank.title", count=9))
    assert zh("bank.source_line", source=SAMPLE_DATA["source"]) in text
    assert zh("bank.sample_notice") in text and "示例题库，非公司正式文本" in text
    for item in SAMPLE_DATA["prohibitions"]:
        assert zh("bank.item", number=item["number"], title=item["title"], text=item["text"]) in text
    assert text.index("1. ") < text.index("9. ")


async def test_without_a_bank_the_bot_says_so(bot: Harness) -> None:
    (reply,) = await _prohibitions(bot)
    assert reply["text"] == zh("bank.none_loaded")


async def test_a_long_company_bank_is_split_and_has_no_sample_notice(bot: Harness, tmp_path: Path) -> None:
    data = copy.deepcopy(SAMPLE_DATA)
    data["source"] = "某公司安全生产禁令（2026版）"
    for item in data["prohibitions"]:
        item["text"] = f"第{item['number']}条：" + "严" * 1500
    ok(await run_import(bot.db, write_yaml(tmp_path / "company.yaml", data)))
    replies = await _prohibitions(bot, count=5)
    assert all(len(r["text"]) <= MESSAGE_LIMIT for r in replies)
    joined = "\n\n".join(r["text"] for r in replies)
    assert zh("bank.sample_notice") not in joined
    assert zh("bank.source_line", source=data["source"]) in replies[0]["text"]
    for item in data["prohibitions"]:
        assert zh("bank.item", number=item["number"], title=item["title"], text=item["text"]) in joined


def test_split_messages_keeps_blocks_whole() -> None:
    blocks = ["head", "a" * 2000, "b" * 2000, "c" * 100, "d" * 9000]
    messages = split_messages(blocks, limit=3500)
    assert messages[0] == "head\n\n" + "a" * 2000
    assert messages[1] == "b" * 2000 + "\n\n" + "c" * 100
    assert [len(m) for m in messages[2:]] == [3500, 3500, 2000]
    assert split_messages([]) == []
