"""The holiday duty roster in chat: `/onduty` (who is on duty now for my units) and `到岗` (button `ds`,
arg: the shift id) on the shift message and its reminders. Both are read or re-authorised at the moment
of use (safety/shifts/roster.py, safety/shifts/confirm.py); this module only parses and renders."""

from __future__ import annotations

from typing import Any

from telegram import Update

from handlers.buttons import refuse
from handlers.context import BotContext
from handlers.pickers import drop_buttons
from handlers.render import view_for
from safety.shifts import confirm, roster
from safety.shifts.views import CONFIRM


async def onduty_command(update: Update, context: BotContext) -> None:
    """/onduty: 带班领导 and 值班员 on duty now at my units, above and below them, confirmed or not."""
    assert context.actor is not None and update.effective_message is not None
    async with context.runtime.reading() as session:
        view = await roster.view_for(session, actor=context.actor, now=context.now, defaults=context.defaults)
    text, markup = view_for(context, view)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def on_duty_pressed(update: Update, context: BotContext, arg: str) -> None:
    """到岗: recorded once for the person on duty; anything else is refused and changes nothing."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    if not arg.isdigit():
        await refuse(update, context, "access.button_invalid")
        return
    async with context.runtime.session() as session:
        outcome = await confirm.press(
            session,
            shift_id=int(arg),
            actor=context.actor,
            now=context.now,
            defaults=context.defaults,
            channel=context.channel,
        )
    recorded = outcome.status is confirm.Status.CONFIRMED
    if recorded:
        context.runtime.wake_dispatchers()
    await query.answer(context.text(outcome.key, **outcome.params), show_alert=not recorded)
    if outcome.status in (confirm.Status.CONFIRMED, confirm.Status.ALREADY):
        await drop_buttons(query)


COMMANDS: dict[str, Any] = {"onduty": onduty_command}
STEPS: dict[tuple[str, str], Any] = {}
ROUTES: dict[str, Any] = {CONFIRM: on_duty_pressed}
