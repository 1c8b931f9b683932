"""Telegram conversation flows, one module per feature: thin, parse -> call safety -> render."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from handlers import buttons, errors, guard, menu, onboarding, status


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """All handlers in one place. Order matters: the guard runs first (group -1) for every update."""
    app.add_handlers(guard.build_handlers(), group=-1)
    app.add_handlers(onboarding.build_handlers())  # /start before the generic command gate
    app.add_handlers(menu.build_handlers({"status": status.status_command}))
    app.add_handler(buttons.build_handler({"lang": menu.lang_pressed, "st": status.members_pressed}))
    app.add_error_handler(errors.on_error)
