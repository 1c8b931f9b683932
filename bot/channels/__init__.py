"""Channel adapters and their dispatchers: Telegram, and any extra channel the assembly was given."""

from __future__ import annotations

import dataclasses
from typing import Any

from telegram.ext import Application

from bot.channels.telegram import NAME as TELEGRAM
from bot.channels.telegram import BudgetLimiter, TelegramChannel
from bot.services import Services
from jobs.dispatcher import DispatchConfig, Dispatcher
from jobs.send_budget import SendBudget

__all__ = ["TELEGRAM", "BudgetLimiter", "TelegramChannel", "start_dispatchers", "stop_dispatchers"]
CONFIG_KEY = "dispatch_config"


async def start_dispatchers(app: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    """One dispatcher per channel: Telegram's with its own Bot and pool (same token and Bot API) and the
    account's shared budget; each extra channel with a budget of its own."""
    config: DispatchConfig = app.bot_data.get(CONFIG_KEY) or DispatchConfig(send_rate=services.send_rate)
    config = dataclasses.replace(config, defaults=services.defaults)
    token = app.bot.token
    telegram = TelegramChannel.create(
        token=token,
        base_url=app.bot.base_url.removesuffix(token),
        secret=services.callback_secret,
        connections=config.concurrency + 2,
        on_sent=services.remember_account,
        data_dir=services.data_dir,
    )
    await telegram.start()
    assert services.budget is not None
    channels: list[tuple[Any, SendBudget]] = [(telegram, services.budget)]
    private, group = services.budget.private, services.budget.group
    for channel in services.extra_channels:  # a channel with limits of its own (WeCom: per member) says so
        own = getattr(channel, "send_budget", None)
        budget = own() if own else SendBudget(config.send_rate, private=private, group=group)
        channels.append((channel, budget))
    for channel, budget in channels:
        dispatcher = Dispatcher(services.database, channel, config, budget=budget, clock=services.clock)
        await dispatcher.start()
        services.dispatchers.append(dispatcher)


async def stop_dispatchers(services: Services) -> None:
    """Stop every dispatcher (draining in-flight sends) and close the Telegram pool."""
    while services.dispatchers:
        dispatcher = services.dispatchers.pop()
        try:
            await dispatcher.stop()
        finally:
            if isinstance(dispatcher.channel, TelegramChannel):
                await dispatcher.channel.stop()
