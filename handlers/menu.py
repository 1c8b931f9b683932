"""/help, /lang, the per-person command menu (setMyCommands), and the gate in front of every command."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from handlers import flow_input
from handlers.context import BotContext
from handlers.render import button_data, inline, role_names
from safety import texts
from safety.access import COMMANDS, COMMANDS_BY_NAME, Actor, commands_for, may_run, set_language

logger = logging.getLogger(__name__)

CommandCallback = Callable[[Update, BotContext], Awaitable[None]]


async def set_default_commands(bot: Bot) -> None:
    """Unbound accounts see only /start, in Chinese by default and in English for English clients."""
    scope = BotCommandScopeAllPrivateChats()
    for language in texts.LANGUAGES:
        code = None if language == texts.DEFAULT_LANGUAGE else language
        await bot.set_my_commands(
            [BotCommand("start", texts.t(language, "commands.start"))], scope=scope, language_code=code
        )


async def set_person_commands(bot: Bot, chat_id: int, actor: Actor, language: str) -> None:
    """The menu of one bound person: exactly the commands their roles allow, in their language."""
    commands = [BotCommand(c.name, texts.t(language, f"commands.{c.name}")) for c in commands_for(actor)]
    try:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:  # a menu is a convenience; never fail the user's action over it
        logger.warning("setMyCommands for chat %s failed: %s", chat_id, exc)


def gated(name: str, callback: CommandCallback | None) -> CommandHandler[BotContext, None]:
    """A command that re-checks the presser's roles at the moment of use."""

    async def run(update: Update, context: BotContext) -> None:
        assert update.effective_message is not None
        if context.actor is None:
            return
        if not may_run(context.actor, name):
            await update.effective_message.reply_text(context.text("access.denied"))
            return
        if callback is None:
            await update.effective_message.reply_text(context.text("access.not_available"))
            return
        if name != "cancel":
            await flow_input.end_interrupted(update, context)
        await callback(update, context)

    return CommandHandler(name, run, filters=filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE)


async def help_command(update: Update, context: BotContext) -> None:
    """List what this person may do."""
    actor = context.actor
    assert actor is not None and update.effective_message is not None and update.effective_chat is not None
    lines = [context.text("help.title", name=actor.name, roles=role_names(context, sorted(actor.role_names)))]
    later = False
    for command in commands_for(actor):
        suffix = "" if command.available else context.text("help.coming_soon")
        later = later or not command.available
        lines.append(f"/{command.name} — {context.text(f'commands.{command.name}')}{suffix}")
    if later:
        lines.append(context.text("help.later"))
    await update.effective_message.reply_text("\n".join(lines))
    await set_person_commands(context.bot, update.effective_chat.id, actor, context.language)


async def lang_command(update: Update, context: BotContext) -> None:
    """Offer the languages as buttons."""
    assert update.effective_message is not None
    rows = [
        [
            (texts.t(lang, "lang.name"), button_data(context, action="lang", arg=lang))
            for lang in texts.LANGUAGES
        ]
    ]
    await update.effective_message.reply_text(context.text("lang.choose"), reply_markup=inline(rows))


async def lang_pressed(update: Update, context: BotContext, arg: str) -> None:
    """Store the chosen language and redo the menu in it."""
    query = update.callback_query
    assert query is not None and context.actor is not None and update.effective_chat is not None
    if arg not in texts.LANGUAGES:
        await query.answer(context.text("access.button_invalid"), show_alert=True)
        return
    async with context.runtime.session() as session:
        await set_language(session, context.actor, arg)
    context.language = arg
    await query.answer()
    await query.edit_message_text(context.text("lang.switched"))
    await set_person_commands(context.bot, update.effective_chat.id, context.actor, arg)


async def unknown_command(update: Update, context: BotContext) -> None:
    """A bound person typed a command we do not have."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(context.text("access.unknown_command"))


def build_handlers(implemented: dict[str, CommandCallback]) -> list[BaseHandler[Update, BotContext, None]]:
    """Every command of the contract behind the role gate; the ones not built yet answer 'coming soon'."""
    callbacks: dict[str, CommandCallback] = {"help": help_command, "lang": lang_command, **implemented}
    handlers: list[BaseHandler[Update, BotContext, None]] = [
        gated(c.name, callbacks.get(c.name) if c.available else None) for c in COMMANDS
    ]
    handlers.append(MessageHandler(filters.COMMAND & filters.UpdateType.MESSAGE, unknown_command))
    missing = [name for name in callbacks if name not in COMMANDS_BY_NAME]
    if missing:
        raise ValueError(f"callbacks for unknown commands: {missing}")
    return handlers
