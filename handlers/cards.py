"""Reminder cards in chat: 已阅 (`cr`), 已部署落实 (`cd`), 跳过 (`cn`) on a card, its typed note (flow
"card_note"), and /cards (`cl` opens one of my cards where it is still open).

A press edits the pressed message to the card as it stands now; the domain (safety/cards/acknowledge.py)
re-checks that the presser is the recipient and that the button is of the current revision."""

from __future__ import annotations

from typing import Any

from telegram import Update

from handlers import cards_views
from handlers.buttons import refuse
from handlers.context import BotContext
from handlers.flow_input import flow_name
from handlers.pickers import edit
from handlers.render import view_for
from safety.cards import acknowledge, listing
from safety.cards import views as card_views
from safety.cards.acknowledge import Status
from safety.flows import Flow
from safety.roles import LEADER_ROLES

REFUSED = {Status.INVALID, Status.NOT_YOURS}


async def card_pressed(update: Update, context: BotContext, action: str, arg: str) -> None:
    query = update.callback_query
    assert query is not None and context.actor is not None
    async with context.runtime.session() as session:
        outcome = await acknowledge.press(
            session,
            action=action,
            arg=arg,
            actor_id=context.actor.person_id,
            now=context.now,
            defaults=context.defaults,
        )
    if outcome.status in REFUSED:
        await refuse(update, context, outcome.key)
        return
    if outcome.status is Status.RECORDED:
        context.runtime.wake_dispatchers()
    await query.answer(
        context.text(outcome.key, **outcome.params), show_alert=outcome.status is Status.REVISED
    )
    if outcome.view is not None:
        await edit(query, view_for(context, outcome.view))
    if outcome.interrupted and update.effective_message is not None:
        await update.effective_message.reply_text(
            context.text("flows.interrupted", flow=flow_name(context, outcome.interrupted))
        )


async def read_pressed(update: Update, context: BotContext, arg: str) -> None:
    await card_pressed(update, context, card_views.READ, arg)


async def deployed_pressed(update: Update, context: BotContext, arg: str) -> None:
    await card_pressed(update, context, card_views.DEPLOYED, arg)


async def skip_pressed(update: Update, context: BotContext, arg: str) -> None:
    await card_pressed(update, context, card_views.NOTE, arg)


async def note_step(update: Update, context: BotContext, flow: Flow) -> None:
    """A typed note after 已部署落实 (≤ 500 characters; a longer one is refused and nothing kept)."""
    message = update.effective_message
    assert message is not None
    if not message.text:
        await message.reply_text(context.text("cards.note_empty"))
        return
    async with context.runtime.session() as session:
        outcome = await acknowledge.note(session, flow, text=message.text, now=context.now)
    reply = context.text(outcome.key, **outcome.params)
    if outcome.view is None:
        await message.reply_text(reply)
        return
    text, markup = view_for(context, outcome.view)
    await message.reply_text(f"{reply}\n\n{text}", reply_markup=markup)


async def _list(context: BotContext) -> Any:
    assert context.actor is not None
    async with context.runtime.reading() as session:
        mine = await listing.my_cards(session, person_id=context.actor.person_id)
        leader = context.actor.has_any(LEADER_ROLES)
        scope = await listing.scope_cards(session, context.actor) if leader else None
    return cards_views.list_view(mine, scope)


async def cards_command(update: Update, context: BotContext) -> None:
    """/cards: my latest cards and their state; leaders also the rates of their units."""
    assert update.effective_message is not None
    text, markup = view_for(context, await _list(context))
    await update.effective_message.reply_text(text, reply_markup=markup)


async def open_pressed(update: Update, context: BotContext, arg: str) -> None:
    """A card of /cards: show it with the button that continues where my answer stands."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    recipient_id = cards_views.parse_open(arg)
    async with context.runtime.reading() as session:
        found = await acknowledge.load(session, recipient_id) if recipient_id is not None else None
    if found is None or found.recipient.person_id != context.actor.person_id:
        await refuse(update, context, "cards.button_invalid")
        return
    await query.answer()
    await edit(query, view_for(context, found.view()))


COMMANDS: dict[str, Any] = {"cards": cards_command}
STEPS: dict[tuple[str, str], Any] = {(acknowledge.FLOW, acknowledge.STEP): note_step}
ROUTES: dict[str, Any] = {
    card_views.READ: read_pressed,
    card_views.DEPLOYED: deployed_pressed,
    card_views.NOTE: skip_pressed,
    cards_views.OPEN: open_pressed,
}
