"""Fixtures for the sandbox's own tests: a running sandbox, a phone client, raw Bot API calls, a PTB app."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

import httpx
import pytest
from telegram.ext import Application

from bot.sandbox import Faults, Limits, SandboxClient, SandboxServer, SandboxUser

TOKEN = "123456:SANDBOX"
ZHANG = SandboxUser(id=1001, first_name="张三", phone="13800000001", label="张三 · 爆破班 · staff")
LI = SandboxUser(id=1002, first_name="Li", last_name="Si", phone="13800000002", language_code="en")


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    server = SandboxServer(token=TOKEN, limits=Limits(), faults=Faults(seed=7))
    await server.start()
    server.add_user(ZHANG)
    server.add_user(LI)
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox.url, timeout=5.0) as phone:
        yield phone


@pytest.fixture
async def http(sandbox: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{sandbox.bot_api_base}{TOKEN}/", timeout=10) as raw:
        yield raw


BotCall = Callable[..., Coroutine[Any, Any, tuple[int, dict[str, Any]]]]


@pytest.fixture
def bot_call(http: httpx.AsyncClient) -> BotCall:
    """Call a Bot API method the way PTB does (form fields, non-strings JSON-encoded); (status, body)."""

    async def call(method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items() if v is not None}
        response = await http.post(method, data=form)
        return response.status_code, response.json()

    return call


def build_app(server: SandboxServer) -> Application:
    return (
        Application.builder()
        .token(TOKEN)
        .base_url(server.bot_api_base)
        .base_file_url(server.file_base)
        .build()
    )


@pytest.fixture
async def running_app(sandbox: SandboxServer) -> AsyncIterator[Callable[..., Awaitable[Application]]]:
    """Start a PTB Application (polling) against the sandbox after the test added its handlers."""
    apps: list[Application] = []

    async def start(app: Application) -> Application:
        await app.initialize()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.01, timeout=2)
        await app.start()
        apps.append(app)
        return app

    yield start
    for app in apps:
        assert app.updater is not None
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
