"""/leave and its approve / reject buttons; /leave without arguments walks through buttons
(handlers/guided_leave.py)."""

from __future__ import annotations

from telegram import Update

from handlers import guided_leave
from handlers.context import BotContext
from safety import leave
from safety.leave import Decision, LeaveError


async def leave_command(update: Update, context: BotContext) -> None:
    """/leave FROM [TO] REASON: store the request and send it to the team leader."""
    message = update.effective_message
    assert message is not None and context.actor is not None
    if not context.args:
        await guided_leave.start(update, context)
        return
    try:
        async with context.runtime.session() as session:
            first, last = await leave.request_from_args(
                session,
                actor=context.actor,
                args=list(context.args or []),
                now=context.now,
                defaults=context.defaults,
                channel=context.channel,
            )
    except LeaveError as refusal:
        await message.reply_text(context.text(refusal.key, **refusal.params))
        return
    context.runtime.wake_dispatchers()
    await message.reply_text(context.text("leave.submitted", first=first, last=last))


async def leave_pressed(update: Update, context: BotContext, arg: str) -> None:
    """'lv' buttons: <leave id>.a approves, .r rejects; rights re-checked at the press."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    leave_id, _, op = arg.partition(".")
    if not leave_id.isdigit() or op not in {"a", "r"}:
        await query.answer(context.text("access.button_invalid"), show_alert=True)
        return
    async with context.runtime.session() as session:
        outcome = await leave.decide(
            session,
            leave_id=int(leave_id),
            approve=op == "a",
            actor=context.actor,
            now=context.now,
            defaults=context.defaults,
            channel=context.channel,
        )
    if outcome.decision in {Decision.NOT_FOUND, Decision.NOT_ALLOWED, Decision.ALREADY}:
        key = {Decision.NOT_FOUND: "access.button_invalid", Decision.NOT_ALLOWED: "leave.not_allowed"}.get(
            outcome.decision, "leave.already_decided"
        )
        await query.answer(context.text(key), show_alert=True)
        return
    context.runtime.wake_dispatchers()
    assert outcome.leave is not None and outcome.subject is not None
    key = "leave.decided_approved" if outcome.decision is Decision.APPROVED else "leave.decided_rejected"
    text = context.text(
        key, name=outcome.subject.name, first=outcome.leave.first_day, last=outcome.leave.last_day
    )
    await query.answer()
    await query.edit_message_text(text)
