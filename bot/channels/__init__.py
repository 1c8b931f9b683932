"""Channel adapters: the transports the outbox dispatcher sends through (Telegram today, WeCom later)."""

from bot.channels.telegram import TelegramChannel, start_dispatcher, stop_dispatcher

__all__ = ["TelegramChannel", "start_dispatcher", "stop_dispatcher"]
