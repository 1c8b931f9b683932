"""Webhook delivery: while a webhook is set, pending updates are POSTed to it in order, retried on failure."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import httpx

from bot.sandbox.state import UPDATES, SandboxState

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDelivery:
    def __init__(self, state: SandboxState, timeout: float = 10.0, max_backoff: float = 5.0) -> None:
        self.state = state
        self.timeout = timeout
        self.max_backoff = max_backoff
        self._task: asyncio.Task[None] | None = None
        self.delivered = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sandbox-webhook")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _ready(self) -> bool:
        return bool(self.state.webhook.url and self.state.updates)

    async def _run(self) -> None:
        failures = 0
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            while True:
                await self.state.notifier.wait_until(UPDATES, self._ready, 3600)
                if not self._ready():
                    continue
                hook, update = self.state.webhook, self.state.updates[0]
                headers = {"Content-Type": "application/json"}
                if hook.secret_token:
                    headers[SECRET_HEADER] = hook.secret_token
                error: str | None = None
                try:
                    response = await client.post(hook.url, json=update, headers=headers)
                    if not 200 <= response.status_code < 300:
                        error = f"Wrong response from the webhook: {response.status_code}"
                except httpx.HTTPError as exc:
                    error = f"Connection failed: {type(exc).__name__}"
                if error is None:
                    failures = 0
                    self.delivered += 1
                    if self.state.updates and self.state.updates[0] is update:
                        self.state.updates.pop(0)
                    continue
                failures += 1
                hook.last_error_date, hook.last_error_message = int(time.time()), error
                log.info("sandbox webhook delivery failed (%s); retrying", error)
                await asyncio.sleep(min(self.max_backoff, 0.05 * 2**failures))
