"""/card new: a safety officer or manager composes an ad-hoc card and sends it now (safety/cards/adhoc.py).

Flow "card_new": the audience (role toggles 经理 / 安全员 / 班组长 / 员工 and the units of the composer's
scope, `全部` for all of it, `下一步`) → the title (typed) → the items (typed, one per line) → the summary
with the audience count, `附加测验？` when staff are in the audience, `发送` / `取消`. `发送` ends the flow by
compare-and-set on its version and creates and publishes the card in the same transaction: a double tap
sends once. Rights and scope are checked again at every step and at `发送`. `/card` alone explains usage.
Typed input: handlers/card_new_input.py.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import CallbackQuery, Update

from handlers import card_new_input, pickers
from handlers import card_new_views as views
from handlers.card_new_input import refusal
from handlers.card_new_views import ACTION, FLOW
from handlers.context import BotContext
from handlers.pickers import Press, Screen
from safety import flows
from safety.cards import adhoc
from safety.cards.adhoc import AUDIENCE_ROLES, AdhocRefused, Sent
from safety.flows import Flow

NEW_WORDS = {"new", "新建", "n"}
_STEP_OF = {
    "r": "audience",
    "u": "audience",
    "a": "audience",
    "n": "audience",
    "q": "summary",
    "ok": "summary",
}


async def card_command(update: Update, context: BotContext) -> None:
    """/card new starts the composer; /card alone (or anything else) explains the usage."""
    message = update.effective_message
    assert message is not None and context.actor is not None
    if not context.args or context.args[0].lower() not in NEW_WORDS:
        await message.reply_text(context.text("card_new.usage"))
        return
    if not adhoc.may_compose(context.actor):
        await message.reply_text(context.text("card_new.not_allowed"))
        return
    flow = None
    async with context.runtime.session() as session:
        mine = await adhoc.scope(session, context.actor)
        if mine.units:
            flow, _ = await flows.start(
                session,
                person_id=context.actor.person_id,
                name=FLOW,
                step="audience",
                now=context.now,
                choices=mine.ids,
                names={u.id: u.name for u in mine.units},
                roles=[],
                units=[],
            )
    if flow is None:
        await message.reply_text(context.text("card_new.no_scope"))
        return
    await pickers.reply(message, views.audience(context, flow, 0))


async def pressed(update: Update, context: BotContext, arg: str) -> None:
    """'cw' buttons: <flow version>.<op>[.<value>]."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    press = pickers.parse(arg)
    if press is None or (press.op not in _STEP_OF and press.op != "x"):
        await query.answer(context.text("access.button_invalid"), show_alert=True)
        return
    if press.op == "x":
        await pickers.cancel(query, context, name=FLOW, press=press)
        return
    if press.op == "ok":
        await _send(query, context, press)
        return
    screen: Screen | None = None
    async with context.runtime.session() as session:
        flow, refusal = await _press_flow(session, context, press)
        if flow is not None:
            screen, refusal = await _MOVES[press.op](session, context, flow, press.value)
    if screen is None:
        await query.answer(refusal or context.text("flows.stale"), show_alert=True)
        return
    await query.answer()
    await pickers.edit(query, screen)


async def _press_flow(
    session: AsyncSession, context: BotContext, press: Press
) -> tuple[Flow | None, str | None]:
    flow, refused = await pickers.pressed_flow(
        session, context, name=FLOW, press=press, step=_STEP_OF[press.op]
    )
    if flow is not None:
        key = await refusal(session, context, flow)
        if key is not None:
            return None, context.text(key)
    return flow, refused


Move = tuple[Screen | None, str | None]


async def _count(session: AsyncSession, flow: Flow) -> int:
    return await adhoc.audience_count(session, roles=flow.get("roles", []), units=flow.get("units", []))


async def _audience(session: AsyncSession, context: BotContext, flow: Flow, **changes: Any) -> Move:
    moved = await flows.advance(session, flow, step="audience", now=context.now, **changes)
    if moved is None:
        return None, None
    return views.audience(context, moved, await _count(session, moved)), None


async def _role(session: AsyncSession, context: BotContext, flow: Flow, value: str) -> Move:
    index = int(value) if value.isdigit() else -1
    if not 0 <= index < len(AUDIENCE_ROLES):
        return None, context.text("access.button_invalid")
    role = AUDIENCE_ROLES[index]
    roles = set(flow.get("roles", [])) ^ {role}
    return await _audience(session, context, flow, roles=[r for r in AUDIENCE_ROLES if r in roles])


async def _in_scope(session: AsyncSession, context: BotContext) -> list[str]:
    assert context.actor is not None
    return (await adhoc.scope(session, context.actor)).ids


async def _unit(session: AsyncSession, context: BotContext, flow: Flow, value: str) -> Move:
    choices: list[str] = flow.get("choices", [])
    index = int(value) if value.isdigit() else -1
    if not 0 <= index < len(choices):
        return None, context.text("access.button_invalid")
    unit = choices[index]
    if unit not in await _in_scope(session, context):
        return None, context.text("card_new.out_of_scope")
    units = set(flow.get("units", [])) ^ {unit}
    return await _audience(session, context, flow, units=[u for u in choices if u in units])


async def _all(session: AsyncSession, context: BotContext, flow: Flow, value: str) -> Move:
    choices: list[str] = flow.get("choices", [])
    scope = set(await _in_scope(session, context))
    everything = [u for u in choices if u in scope]
    units = [] if set(everything) <= set(flow.get("units", [])) else everything
    return await _audience(session, context, flow, units=units)


async def _next(session: AsyncSession, context: BotContext, flow: Flow, value: str) -> Move:
    if not flow.get("roles") or not flow.get("units"):
        return None, context.text("card_new.pick_audience")
    if not await _count(session, flow):
        return None, context.text("card_new.nobody")
    moved = await flows.advance(session, flow, step="title", now=context.now)
    return (views.ask_title(context, moved), None) if moved is not None else (None, None)


async def _quiz(session: AsyncSession, context: BotContext, flow: Flow, value: str) -> Move:
    if flow.get("quiz"):
        moved = await flows.advance(session, flow, step="summary", now=context.now, quiz=False)
    else:
        spec = await adhoc.lesson_quiz(session)
        if spec is None:
            return None, context.text("card_new.no_bank")
        moved = await flows.advance(
            session, flow, step="summary", now=context.now, quiz=True, quiz_count=spec["questions"]
        )
    if moved is None:
        return None, None
    return views.summary(context, moved, await _count(session, moved)), None


_MOVES = {"r": _role, "u": _unit, "a": _all, "n": _next, "q": _quiz}


async def _send(query: CallbackQuery, context: BotContext, press: Press) -> None:
    """`发送`: the flow ends (compare-and-set on its version) and the card is created and published, in one
    transaction; a refusal rolls both back (the flow stays), a second press finds no flow."""
    assert context.actor is not None and query.message is not None
    sent: Sent | None = None
    flow: Flow | None = None
    refusal: str | None = None
    try:
        async with context.runtime.session() as session:
            flow, refusal = await _press_flow(session, context, press)
            if flow is not None and await flows.end(
                session, person_id=context.actor.person_id, version=flow.version
            ):
                sent = await adhoc.send(
                    session,
                    actor=context.actor,
                    roles=list(flow.get("roles", [])),
                    units=list(flow.get("units", [])),
                    title=str(flow.get("title") or ""),
                    items=list(flow.get("items", [])),
                    quiz=bool(flow.get("quiz")),
                    now=context.now,
                    defaults=context.defaults,
                )
    except AdhocRefused as exc:
        sent, refusal = None, context.text(exc.key, **exc.params)
    if flow is None or sent is None:
        await query.answer(refusal or context.text("flows.stale"), show_alert=True)
        return
    context.runtime.wake_dispatchers()
    await query.answer()
    await pickers.drop_buttons(query)
    await context.bot.send_message(
        query.message.chat.id,
        context.text("card_new.sent", title=sent.card.title, count=sent.recipients, card=sent.card.id),
    )


COMMANDS: dict[str, Any] = {"card": card_command}
ROUTES: dict[str, Any] = {ACTION: pressed}
STEPS: dict[tuple[str, str], Any] = dict(card_new_input.STEPS)
