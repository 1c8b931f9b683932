"""A sandbox Bot API for the delivery tests (loopback HTTP); limits scaled up unless a test says so."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.sandbox import Faults, Limits, SandboxServer
from tests.delivery.helpers import TOKEN


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    server = SandboxServer(token=TOKEN, limits=Limits(scale=10), faults=Faults(seed=11))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
