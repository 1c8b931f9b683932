"""Accidents in chat: the manager's `已上报` (reported to the authorities, 国务院令第493号).

Button `ar` (safety.reports.rules.AUTHORITY_REPORTED), arg: the report id; on the manager's accident
notice and on the accident_report reminders. Authorised at the press (safety/reports/accidents.py)."""

from __future__ import annotations

from typing import Any

from telegram import Update

from handlers.buttons import refuse
from handlers.context import BotContext
from safety.reports import accidents
from safety.reports.accidents import Status
from safety.reports.rules import AUTHORITY_REPORTED


async def authority_reported_pressed(update: Update, context: BotContext, arg: str) -> None:
    query = update.callback_query
    assert query is not None and context.actor is not None
    if not arg.isdigit():
        await refuse(update, context, "access.button_invalid")
        return
    async with context.runtime.session() as session:
        outcome = await accidents.press(
            session, report_id=int(arg), actor=context.actor, now=context.now, defaults=context.defaults
        )
    recorded = outcome.status is Status.RECORDED
    if recorded:
        context.runtime.wake_dispatchers()
    await query.answer(context.text(outcome.key, **outcome.params), show_alert=not recorded)


COMMANDS: dict[str, Any] = {}
STEPS: dict[tuple[str, str], Any] = {}
ROUTES: dict[str, Any] = {AUTHORITY_REPORTED: authority_reported_pressed}
