"""/status for leaders: their units' roster and binding picture, with a member list per unit."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import Update

from handlers.context import BotContext
from handlers.render import button_data, inline, role_names
from safety import roster_status
from safety.access import may_run

MAX_UNIT_BUTTONS = 30


async def status_command(update: Update, context: BotContext) -> None:
    """Units in scope with roster and bound counts; a button per unit opens its member list."""
    assert update.effective_message is not None and context.actor is not None
    async with context.services.database.session() as session:
        rows = await roster_status.binding_overview(session, actor=context.actor)
    if not rows:
        await update.effective_message.reply_text(context.text("status.none"))
        return
    today = context.now.astimezone(ZoneInfo(context.services.timezone)).date().isoformat()
    lines = [context.text("status.title", date=today)]
    lines += [context.text("status.unit_line", name=r.name, total=r.total, bound=r.bound) for r in rows]
    buttons = [
        [(context.text("status.show_members", unit=r.name), button_data(context, action="st", arg=r.unit_id))]
        for r in rows[:MAX_UNIT_BUTTONS]
    ]
    await update.effective_message.reply_text("\n".join(lines), reply_markup=inline(buttons))


async def members_pressed(update: Update, context: BotContext, unit_id: str) -> None:
    """Re-check rights at the press: the presser must still lead this unit."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    if not may_run(context.actor, "status"):
        await query.answer(context.text("access.button_denied"), show_alert=True)
        return
    async with context.services.database.session() as session:
        view = await roster_status.unit_members(session, actor=context.actor, unit_id=unit_id)
    if view is None:
        await query.answer(context.text("access.button_denied"), show_alert=True)
        return
    await query.answer()
    lines = [context.text("status.members_title", unit=view.unit_name)]
    for member in view.members:
        key = "status.member_bound" if member.bound else "status.member_unbound"
        lines.append(context.text(key, name=member.name, roles=role_names(context, member.roles)))
    assert update.effective_message is not None
    await update.effective_message.reply_text("\n".join(lines))
