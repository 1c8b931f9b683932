"""Rendering for Telegram: views as message text and inline keyboards with callback data signed for the
recipient, keyboards from (label, callback) pairs, and signed callback data for the actor."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from telegram.constants import MessageLimit

from handlers.context import BotContext
from safety import callbacks
from safety.views import Rendered, View, render

ELLIPSIS = "…"


def message_text(rendered: Rendered) -> str:
    """The lines as one message, cut to Telegram's 4096 characters."""
    text = rendered.text
    limit = MessageLimit.MAX_TEXT_LENGTH
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


def markup_of(rendered: Rendered, *, secret: bytes, person_id: int) -> InlineKeyboardMarkup | None:
    """The buttons with callback data signed for `person_id` (0: a group chat's buttons, for anyone)."""
    if not rendered.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    b.label,
                    callback_data=callbacks.encode(secret, person_id=person_id, action=b.action, arg=b.arg),
                )
                for b in row
            ]
            for row in rendered.buttons
        ]
    )


def view_for(context: BotContext, view: View) -> tuple[str, InlineKeyboardMarkup | None]:
    """A view as this update's actor reads it: text and markup in their language, signed for them."""
    assert context.actor is not None
    rendered = render(view, context.language)
    markup = markup_of(rendered, secret=context.runtime.callback_secret, person_id=context.actor.person_id)
    return message_text(rendered), markup


def button_data(context: BotContext, *, action: str, arg: str = "") -> str:
    assert context.actor is not None
    return callbacks.encode(
        context.runtime.callback_secret, person_id=context.actor.person_id, action=action, arg=arg
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
