"""/tasks (my rectification tasks) and /incidents [NUMBER] (open reports in my scope, or one report's
history); /pending lives in handlers/pending.py.

Every list is read fresh at the command and at every filter or page press; a press is re-authorised
(the presser may still read /incidents) and only says which page and filter to draw. A report outside the
reader's scope is "not found"."""

from __future__ import annotations

from typing import Any

from telegram import Update

from handlers import incidents_views as views
from handlers.buttons import refuse
from handlers.context import BotContext
from handlers.pickers import edit
from handlers.render import view_for
from safety.access import may_run
from safety.reports import listing
from safety.views import View


async def _reply(update: Update, context: BotContext, view: View) -> None:
    assert update.effective_message is not None
    text, markup = view_for(context, view)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def _incidents_page(context: BotContext, kind: str | None, state: str | None, page: int) -> View:
    assert context.actor is not None
    async with context.runtime.reading() as session:
        found = await listing.incidents(
            session, context.actor, kind=kind, state=state, page=page, now=context.now
        )
    return views.incidents_view(found)


async def incidents_command(update: Update, context: BotContext) -> None:
    """/incidents: the first page of open reports in scope; /incidents NUMBER: that report's history."""
    assert context.actor is not None
    args = context.args or []
    if not args:
        await _reply(update, context, await _incidents_page(context, None, None, 0))
        return
    number = args[0]
    async with context.runtime.reading() as session:
        readable = await listing.readable_report(session, context.actor, number, defaults=context.defaults)
    await _reply(update, context, views.history_view(readable) if readable else views.not_found_view(number))


async def incidents_pressed(update: Update, context: BotContext, arg: str) -> None:
    """A filter or page button of /incidents: redraw the list as it is now."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    if not may_run(context.actor, "incidents"):
        await refuse(update, context, "access.button_denied")
        return
    parsed = views.parse_incidents_arg(arg)
    if parsed is None:
        await refuse(update, context, "access.button_invalid")
        return
    view = await _incidents_page(context, *parsed)
    await query.answer()
    await edit(query, view_for(context, view))


async def tasks_command(update: Update, context: BotContext) -> None:
    """/tasks: my rectification tasks, nearest deadline first, overdue marked."""
    assert context.actor is not None
    async with context.runtime.reading() as session:
        found = await listing.tasks(session, context.actor, now=context.now, defaults=context.defaults)
    await _reply(update, context, views.tasks_view(found))


COMMANDS: dict[str, Any] = {
    "tasks": tasks_command,
    "incidents": incidents_command,
}
STEPS: dict[tuple[str, str], Any] = {}
ROUTES: dict[str, Any] = {
    views.INCIDENTS: incidents_pressed,
}
