"""Input for the flow a person is in (text, a photo, a location), /cancel, and the end of a flow that a new
command interrupts. Each feature module names its steps in `STEPS`: (flow, step) -> callback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from telegram import Update
from telegram.ext import BaseHandler, MessageHandler, filters

from handlers.context import BotContext
from safety import flows
from safety.flows import Expired, Flow

StepCallback = Callable[[Update, BotContext, Flow], Awaitable[None]]


def flow_name(context: BotContext, name: str) -> str:
    return context.text(f"flows.name_{name}")


async def end_interrupted(update: Update, context: BotContext) -> None:
    """A command while a flow is open ends the flow, and says so (before the command answers)."""
    if context.actor is None or context.actor.waiting_for is None or update.effective_message is None:
        return
    async with context.runtime.session() as session:
        ended = await flows.end(session, person_id=context.actor.person_id)
    if ended is not None:
        await update.effective_message.reply_text(
            context.text("flows.interrupted", flow=flow_name(context, ended))
        )


async def cancel_command(update: Update, context: BotContext) -> None:
    """/cancel: end the flow in progress."""
    assert update.effective_message is not None and context.actor is not None
    async with context.runtime.session() as session:
        ended = await flows.end(session, person_id=context.actor.person_id)
    if ended is None:
        await update.effective_message.reply_text(context.text("flows.nothing_to_cancel"))
    else:
        await update.effective_message.reply_text(
            context.text("flows.cancelled", flow=flow_name(context, ended))
        )


def build_handlers(
    steps: Mapping[tuple[str, str], StepCallback],
) -> list[BaseHandler[Update, BotContext, None]]:
    """Text, photos and locations in a private chat go to the step the person's flow is at."""

    async def route(update: Update, context: BotContext) -> None:
        message = update.effective_message
        assert message is not None and context.actor is not None
        async with context.runtime.session() as session:
            flow = await flows.current(session, person_id=context.actor.person_id, now=context.now)
        if isinstance(flow, Expired):
            await message.reply_text(context.text("flows.expired", flow=flow_name(context, flow.name)))
            return
        callback = steps.get((flow.name, flow.step)) if flow is not None else None
        if flow is None or callback is None:
            await message.reply_text(context.text("access.free_text"))
            return
        await callback(update, context, flow)

    content = (filters.TEXT & ~filters.COMMAND) | filters.PHOTO | filters.LOCATION | filters.Document.ALL
    return [MessageHandler(content & filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, route)]
