"""/record: a leader's own duty record (履职记录) for a month — this month so far, `/record 2026-11` for
another, `上月` / `本月` buttons to move between months (button `rcm`, arg YYYY-MM, edits the message).

The command gate lets leaders and up in (safety/access.py); a press is re-authorised the same way, since a
role may have gone since the message was sent. Everything shown is read at the moment of use."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import BadRequest

from handlers.buttons import refuse
from handlers.context import BotContext
from handlers.record_views import MONTH_ACTION, month_name, record_view
from handlers.render import view_for
from safety.access import may_run
from safety.duties.record import duty_record
from safety.export.period import ExportError, Month, parse_month
from safety.leader_record.figures import record_of, this_month
from safety.views import View, render_text

logger = logging.getLogger(__name__)


async def _view(context: BotContext, month: Month | None) -> View | str:
    """The record's view, or the text of a refusal (a month not begun yet)."""
    assert context.actor is not None
    pid = context.actor.person_id
    async with context.runtime.reading() as session:
        current = await this_month(session, person_id=pid, now=context.now, defaults=context.defaults)
        wanted = month or current
        if wanted.first > current.first:
            return context.text(
                "record.future_month", month=render_text(month_name(wanted), context.language)
            )
        record = await record_of(
            session, person_id=pid, month=wanted, now=context.now, defaults=context.defaults
        )
        duties = await duty_record(
            session, person_id=pid, month=wanted, defaults=context.defaults, now=context.now
        )
    return record_view(record, now=context.now, current=current, duties=duties)


async def record_command(update: Update, context: BotContext) -> None:
    """/record [YYYY-MM]: my record of this month so far, or of the month named."""
    assert context.actor is not None and update.effective_message is not None
    month: Month | None = None
    if context.args:
        try:
            month = parse_month(context.args[0])
        except ExportError:
            await update.effective_message.reply_text(
                context.text("record.bad_month", month=context.args[0][:20])
            )
            return
    shown = await _view(context, month)
    if isinstance(shown, str):
        await update.effective_message.reply_text(shown)
        return
    text, markup = view_for(context, shown)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def month_pressed(update: Update, context: BotContext, arg: str) -> None:
    """上月 / 本月: the same message redrawn for that month."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    if not may_run(context.actor, "record"):
        await refuse(update, context, "access.denied")
        return
    try:
        month = parse_month(arg)
    except ExportError:
        await refuse(update, context, "access.button_invalid")
        return
    shown = await _view(context, month)
    if isinstance(shown, str):
        await refuse(update, context, "access.button_invalid")
        return
    await query.answer()
    text, markup = view_for(context, shown)
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:  # two presses at once: the second finds the message drawn already
        logger.debug("record message not edited: %s", exc)


COMMANDS: dict[str, Any] = {"record": record_command}
ROUTES: dict[str, Any] = {MONTH_ACTION: month_pressed}
