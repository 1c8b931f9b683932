"""Rendering helpers: keyboards from (label, callback) pairs, and signed callback data for the actor."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from handlers.context import BotContext
from safety import callbacks


def button_data(context: BotContext, *, action: str, arg: str = "") -> str:
    assert context.actor is not None
    return callbacks.encode(
        context.services.callback_secret, person_id=context.actor.person_id, action=action, arg=arg
    )


def inline(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def contact_keyboard(context: BotContext) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(context.text("bind.share_contact"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def role_names(context: BotContext, roles: Sequence[str]) -> str:
    order = ["staff", "team_leader", "safety_officer", "manager", "admin"]
    ordered = sorted(set(roles), key=lambda r: order.index(r) if r in order else len(order))
    return context.text("roles.separator").join(context.text(f"roles.{r}") for r in ordered)
