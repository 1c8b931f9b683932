"""/violation EMPLOYEE_NO PROHIBITION NOTE for team leaders and safety officers; a photo may follow."""

from __future__ import annotations

from telegram import Update

from handlers.context import CHANNEL, BotContext
from safety import violations
from safety.violations import Recorded
from storage import duty_queries as dq
from storage.models import Violation

PHOTO_STATE = "violation_photo"


async def violation_command(update: Update, context: BotContext) -> None:
    """Record a violation of a prohibition; rights are the recorder's scope over the person's unit."""
    message = update.effective_message
    assert message is not None and context.actor is not None
    args = list(context.args or [])
    if len(args) < 3 or not args[1].isdigit():
        await message.reply_text(context.text("violation.usage"))
        return
    employee_no, number, note = args[0], int(args[1]), " ".join(args[2:])
    async with context.services.database.session() as session:
        outcome = await violations.record(
            session,
            actor=context.actor,
            employee_no=employee_no,
            prohibition=number,
            note=note,
            now=context.now,
            rules=context.services.quiz_rules,
            channel=CHANNEL,
        )
        if outcome.violation is not None:
            await dq.set_state(
                session,
                person_id=context.actor.person_id,
                kind=PHOTO_STATE,
                data={"violation": outcome.violation.id},
                now=context.now,
            )
    if outcome.status in {Recorded.FIRST, Recorded.REPEAT}:
        assert outcome.person is not None
        key = "violation.recorded_first" if outcome.status is Recorded.FIRST else "violation.recorded_repeat"
        await message.reply_text(
            context.text(key, name=outcome.person.name, number=number, count=outcome.history)
        )
        return
    await message.reply_text(context.text(f"violation.{outcome.status.value}"))


async def attach_photo(update: Update, context: BotContext, violation_id: int) -> None:
    """The photo sent after recording becomes the violation's evidence."""
    message = update.effective_message
    assert message is not None and context.actor is not None and message.photo
    async with context.services.database.session() as session:
        violation = await session.get(Violation, violation_id)
        if violation is not None and violation.recorded_by == context.actor.person_id:
            violation.photo_file_id = message.photo[-1].file_id
            session.add(violation)
        await dq.clear_state(session, person_id=context.actor.person_id)
    await message.reply_text(context.text("violation.photo_saved"))
