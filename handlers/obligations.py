"""The buttons of an escalation digest: what its duty kind offers (remind, excused, handled, …)."""

from __future__ import annotations

from telegram import Update

from handlers.context import BotContext
from safety import obligation_actions
from safety.obligation_actions import ActStatus


async def obligation_pressed(update: Update, context: BotContext, arg: str) -> None:
    """'ob' buttons: <obligation id>.<op>; rights and state re-checked at the press."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    obligation_id, _, op = arg.partition(".")
    if not obligation_id.isdigit():
        await query.answer(context.text("access.button_invalid"), show_alert=True)
        return
    async with context.runtime.session() as session:
        outcome = await obligation_actions.act(
            session,
            obligation_id=int(obligation_id),
            op=op,
            actor=context.actor,
            channel=context.channel,
            now=context.now,
            defaults=context.defaults,
        )
    if outcome.status is ActStatus.DONE:
        context.runtime.wake_dispatchers()
    await query.answer(
        context.text(outcome.answer, name=outcome.subject_name),
        show_alert=outcome.status is not ActStatus.DONE,
    )
