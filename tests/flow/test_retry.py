"""An update that fails on a transient database error (SQLite's `database is locked`, a PostgreSQL
deadlock) is processed again: the person gets their answer, not an apology; other errors are not retried."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from safety import onboarding
from safety.texts import t
from storage.db import Database
from tests.flow.harness import running_bot


@pytest.mark.parametrize("failures", [1, 3])
async def test_a_binding_that_hit_a_locked_database_is_processed_again(
    db: Database, monkeypatch: pytest.MonkeyPatch, failures: int
) -> None:
    real = onboarding.bind_with_code
    calls = {"n": 0}

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= failures:
            raise OperationalError("INSERT …", {}, Exception("database is locked"))
        return await real(*args, **kwargs)

    monkeypatch.setattr(onboarding, "bind_with_code", flaky)
    async with running_bot(db) as bot:
        welcome = await bot.bind("E1001")
        assert welcome["text"].startswith("张三") and calls["n"] == failures + 1
        assert await bot.bound_count() == 1


async def test_other_errors_are_not_retried_and_the_person_is_told(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}

    async def broken(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        raise ValueError("a bug")

    monkeypatch.setattr(onboarding, "bind_with_code", broken)
    async with running_bot(db) as bot:
        reply = await bot.bind("E1001")
        assert reply["text"] == t("zh-CN", "access.error") and calls["n"] == 1
