"""/leave and its approve/reject buttons; the digest buttons (remind, excused, handled)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import Update

from handlers.context import CHANNEL, BotContext
from safety import leave, obligation_actions
from safety.leave import Decision, LeaveError
from safety.obligation_actions import ActStatus
from storage.models import Person


async def leave_command(update: Update, context: BotContext) -> None:
    """/leave FROM [TO] REASON: store the request and send it to the team leader."""
    message = update.effective_message
    assert message is not None and context.actor is not None
    today = context.now.astimezone(ZoneInfo(context.services.timezone)).date()
    try:
        first, last, reason = leave.parse_request(list(context.args or []), today)
        async with context.services.database.session() as session:
            person = await session.get(Person, context.actor.person_id)
            assert person is not None
            await leave.request_leave(
                session,
                person=person,
                first=first,
                last=last,
                reason=reason,
                now=context.now,
                default_language=context.services.default_language,
            )
    except LeaveError as refusal:
        await message.reply_text(context.text(refusal.key, **refusal.params))
        return
    await message.reply_text(context.text("leave.submitted", first=first, last=last))


async def leave_pressed(update: Update, context: BotContext, arg: str) -> None:
    """'lv' buttons: <leave id>.a approves, .r rejects; rights re-checked at the press."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    leave_id, _, op = arg.partition(".")
    if not leave_id.isdigit() or op not in {"a", "r"}:
        await query.answer(context.text("access.button_invalid"), show_alert=True)
        return
    async with context.services.database.session() as session:
        outcome = await leave.decide(
            session,
            leave_id=int(leave_id),
            approve=op == "a",
            actor=context.actor,
            now=context.now,
            default_language=context.services.default_language,
            default_timezone=context.services.timezone,
        )
    if outcome.decision in {Decision.NOT_FOUND, Decision.NOT_ALLOWED, Decision.ALREADY}:
        key = {Decision.NOT_FOUND: "access.button_invalid", Decision.NOT_ALLOWED: "leave.not_allowed"}.get(
            outcome.decision, "leave.already_decided"
        )
        await query.answer(context.text(key), show_alert=True)
        return
    assert outcome.leave is not None and outcome.subject is not None
    key = "leave.decided_approved" if outcome.decision is Decision.APPROVED else "leave.decided_rejected"
    text = context.text(
        key, name=outcome.subject.name, first=outcome.leave.first_day, last=outcome.leave.last_day
    )
    await query.answer()
    await query.edit_message_text(text)


async def obligation_pressed(update: Update, context: BotContext, arg: str) -> None:
    """'ob' buttons of a digest: <obligation id>.r (remind), .x (excused), .h (handled)."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    obligation_id, _, op = arg.partition(".")
    if not obligation_id.isdigit():
        await query.answer(context.text("access.button_invalid"), show_alert=True)
        return
    async with context.services.database.session() as session:
        outcome = await obligation_actions.act(
            session,
            obligation_id=int(obligation_id),
            op=op,
            actor=context.actor,
            channel=CHANNEL,
            now=context.now,
            default_language=context.services.default_language,
            default_timezone=context.services.timezone,
        )
    key = {
        ActStatus.HANDLED: "digest.done_handled",
        ActStatus.EXCUSED: "digest.done_excused",
        ActStatus.REMINDED: "digest.done_reminded",
        ActStatus.ALREADY_CLOSED: "digest.already_closed",
        ActStatus.NOT_ALLOWED: "digest.not_recipient",
        ActStatus.NOT_FOUND: "access.button_invalid",
    }[outcome.status]
    refused = outcome.status in {ActStatus.ALREADY_CLOSED, ActStatus.NOT_ALLOWED, ActStatus.NOT_FOUND}
    await query.answer(context.text(key, name=outcome.subject_name), show_alert=refused)
