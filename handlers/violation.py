"""/violation EMPLOYEE_NO PROHIBITION NOTE for team leaders and safety officers; a photo may follow.
Without arguments, /violation walks through buttons (handlers/guided_violation.py)."""

from __future__ import annotations

from telegram import Update

from handlers import guided_violation
from handlers.context import BotContext
from handlers.violation_record import PHOTO_FLOW, outcome_text, record
from safety import flows, textcheck, violations
from safety.flows import Flow


async def violation_command(update: Update, context: BotContext) -> None:
    """Record a violation of a prohibition; rights are the recorder's scope over the person's unit."""
    message = update.effective_message
    assert message is not None and context.actor is not None
    args = list(context.args or [])
    if not args:
        await guided_violation.start(update, context)
        return
    if len(args) < 3 or not args[1].isdigit() or textcheck.is_blank(" ".join(args[2:])):
        await message.reply_text(context.text("violation.usage"))
        return
    employee_no, number, note = args[0], int(args[1]), " ".join(args[2:])
    async with context.runtime.session() as session:
        outcome = await record(session, context, employee_no=employee_no, prohibition=number, note=note)
    context.runtime.wake_dispatchers()
    await message.reply_text(outcome_text(context, outcome, number))


async def photo_sent(update: Update, context: BotContext, flow: Flow) -> None:
    """The photo sent after recording becomes the violation's evidence."""
    message = update.effective_message
    assert message is not None and context.actor is not None
    if not message.photo:
        await message.reply_text(context.text("access.free_text"))
        return
    async with context.runtime.session() as session:
        await violations.attach_photo(
            session,
            violation_id=int(flow.get("violation")),
            recorder_id=context.actor.person_id,
            file_id=message.photo[-1].file_id,
        )
        await flows.end(session, person_id=context.actor.person_id, version=flow.version)
    await message.reply_text(context.text("violation.photo_saved"))


STEPS = {(PHOTO_FLOW, "photo"): photo_sent}
