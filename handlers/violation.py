"""/violation EMPLOYEE_NO PROHIBITION NOTE for team leaders and safety officers; a photo may follow."""

from __future__ import annotations

from telegram import Update

from handlers.context import CHANNEL, BotContext
from safety import flows, textcheck, violations
from safety.flows import Flow
from safety.violations import Recorded

PHOTO_FLOW = "violation_photo"


async def violation_command(update: Update, context: BotContext) -> None:
    """Record a violation of a prohibition; rights are the recorder's scope over the person's unit."""
    message = update.effective_message
    assert message is not None and context.actor is not None
    args = list(context.args or [])
    if len(args) < 3 or not args[1].isdigit() or textcheck.is_blank(" ".join(args[2:])):
        await message.reply_text(context.text("violation.usage"))
        return
    employee_no, number, note = args[0], int(args[1]), " ".join(args[2:])
    async with context.runtime.session() as session:
        outcome = await violations.record(
            session,
            actor=context.actor,
            employee_no=employee_no,
            prohibition=number,
            note=note,
            now=context.now,
            rules=context.runtime.quiz_rules,
            channel=CHANNEL,
        )
        if outcome.violation is not None:
            await flows.start(
                session,
                person_id=context.actor.person_id,
                name=PHOTO_FLOW,
                step="photo",
                now=context.now,
                violation=outcome.violation.id,
            )
    context.runtime.wake_dispatchers()
    if outcome.status in {Recorded.FIRST, Recorded.REPEAT}:
        assert outcome.person is not None
        key = "violation.recorded_first" if outcome.status is Recorded.FIRST else "violation.recorded_repeat"
        await message.reply_text(
            context.text(key, name=outcome.person.name, number=number, count=outcome.history)
        )
        return
    await message.reply_text(context.text(f"violation.{outcome.status.value}"))


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
