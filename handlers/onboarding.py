"""/start CODE, the deep link, and binding by sharing one's own phone contact."""

from __future__ import annotations

import logging

from telegram import ReplyKeyboardRemove, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from handlers import report_flow
from handlers.context import BotContext
from handlers.menu import set_person_commands
from handlers.render import contact_keyboard
from safety import onboarding
from safety.access import load_actor, may_run, unit_name
from safety.onboarding import Account, BindOutcome, BindStatus
from safety.reports.locations import is_location_payload, location_id_of

logger = logging.getLogger(__name__)
MAX_CODE_INPUT = 64


def _account(update: Update, context: BotContext) -> Account:
    assert update.effective_user is not None and update.effective_chat is not None
    return Account(
        channel=context.channel,
        external_id=context.account_id(update.effective_user),
        chat_id=str(update.effective_chat.id),
    )


async def start(update: Update, context: BotContext) -> None:
    """Bind with the code after /start (deep links arrive the same way); without a code, the prompt.
    A QR poster's `loc-<id>` is never a code: /report at that location, or the prompt when unbound."""
    message = update.effective_message
    assert message is not None
    code = " ".join(context.args or [])
    if is_location_payload(code):
        await _at_location(update, context, location_id_of(code))
        return
    if not code:
        if context.actor is not None:
            await message.reply_text(context.text("bind.welcome_back", name=context.actor.name))
        else:
            await message.reply_text(context.text("bind.prompt"), reply_markup=contact_keyboard(context))
        return
    async with context.runtime.session() as session:
        if len(code) > MAX_CODE_INPUT:
            code = code[:MAX_CODE_INPUT]
        outcome = await onboarding.bind_with_code(
            session, account=_account(update, context), code=code, now=context.now
        )
    await _answer(update, context, outcome)


async def _at_location(update: Update, context: BotContext, location_id: str) -> None:
    message = update.effective_message
    assert message is not None
    if context.actor is None:
        await message.reply_text(context.text("bind.prompt"), reply_markup=contact_keyboard(context))
    elif not may_run(context.actor, "report"):
        await message.reply_text(context.text("access.denied"))
    else:
        await report_flow.start_at_location(update, context, location_id)


async def contact_shared(update: Update, context: BotContext) -> None:
    """Bind when the shared contact is the sender's own and its number is on the roster."""
    message = update.effective_message
    assert message is not None and message.contact is not None
    contact = message.contact
    async with context.runtime.session() as session:
        outcome = await onboarding.bind_with_contact(
            session,
            account=_account(update, context),
            contact_user_id=str(contact.user_id) if contact.user_id else None,
            phone=contact.phone_number,
            now=context.now,
        )
    await _answer(update, context, outcome)


async def _answer(update: Update, context: BotContext, outcome: BindOutcome) -> None:
    message = update.effective_message
    assert message is not None and update.effective_chat is not None
    person = outcome.person
    if not outcome.status.ok or person is None:
        await message.reply_text(_refusal(context, outcome), reply_markup=contact_keyboard(context))
        return
    async with context.runtime.reading() as session:
        actor = await load_actor(
            session, channel=context.channel, external_id=_account(update, context).external_id
        )
        unit = await unit_name(session, person.unit_id)
    assert actor is not None
    context.actor = actor
    context.use_language(
        actor.language, update.effective_user.language_code if update.effective_user else None
    )
    key = {BindStatus.REBOUND: "bind.rebound", BindStatus.ALREADY_BOUND: "bind.welcome_back"}.get(
        outcome.status, "bind.welcome"
    )
    text = context.text(key, name=person.name, unit=unit)
    await message.reply_text(text, reply_markup=ReplyKeyboardRemove())
    await set_person_commands(context.bot, update.effective_chat.id, actor, context.language)
    if outcome.previous_chat_id:
        try:
            await context.bot.send_message(int(outcome.previous_chat_id), context.text("audit.rebind_notice"))
        except (TelegramError, ValueError) as exc:
            logger.info("could not tell the previous account of a rebind: %s", exc)


def _refusal(context: BotContext, outcome: BindOutcome) -> str:
    if outcome.status is BindStatus.LOCKED and outcome.locked_until is not None:
        local = outcome.locked_until.astimezone(context.defaults.zone(None))
        return context.text("bind.locked", until=local.strftime("%H:%M"))
    if outcome.status is BindStatus.ACCOUNT_BOUND_OTHER:
        return context.text("bind.account_bound_other", name=outcome.person.name if outcome.person else "")
    return context.text(f"bind.{outcome.status.value}")


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("start", start, filters=filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE),
        MessageHandler(
            filters.CONTACT & filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, contact_shared
        ),
    ]
