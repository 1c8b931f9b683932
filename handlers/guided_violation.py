"""The guided /violation (no arguments): the person (paged buttons with the names in the recorder's scope,
or a typed name or employee number), the prohibition (buttons with number and title, or a typed number),
the note, an optional photo (`跳过`), a summary with `提交` / `取消`. `提交` records exactly as
`/violation EMPLOYEE_NO N NOTE` does. Flow "violation"; rights are checked again at every step, and every
press against the flow's current step and version. Typed input: handlers/guided_violation_input.py."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import CallbackQuery, Update

from handlers import guided_violation_views as views
from handlers import pickers
from handlers.context import BotContext
from handlers.guided_violation_views import FLOW
from handlers.pickers import Press, Screen
from handlers.violation_record import outcome_text, record
from safety import bank, flows, violations
from safety.flows import Flow
from safety.violations import RECORDERS

_STEP_OF = {"pg": "person", "p": "person", "r": "prohibition", "s": "photo", "ok": "summary"}


async def start(update: Update, context: BotContext) -> None:
    """/violation without arguments: the first page of the people the recorder may record for."""
    message = update.effective_message
    assert message is not None and context.actor is not None
    flow = None
    async with context.runtime.session() as session:
        loaded = (await bank.loaded_bank(session)).loaded
        people = await violations.recordable_people(session, actor=context.actor) if loaded else []
        if people:
            flow, _ = await flows.start(
                session, person_id=context.actor.person_id, name=FLOW, step="person", now=context.now, page=0
            )
    if flow is None:
        await message.reply_text(context.text("violation.nobody" if loaded else "violation.no_bank"))
        return
    await pickers.reply(message, views.people(context, flow, people))


async def allowed(session: AsyncSession, context: BotContext, flow: Flow) -> bool:
    """Rights at this moment: still a recorder, and still over the chosen person; else the flow ends."""
    assert context.actor is not None
    person = flow.get("person")
    if context.actor.has_any(RECORDERS) and (
        person is None
        or await violations.recordable_person(session, actor=context.actor, person_id=int(person)) is not None
    ):
        return True
    await flows.end(session, person_id=context.actor.person_id, version=flow.version)
    return False


async def choose_person(session: AsyncSession, context: BotContext, flow: Flow, person: Any) -> Screen | None:
    """The person is chosen: on to the prohibitions (None when the flow changed meanwhile). Without a bank
    any more, the flow ends and says so."""
    assert context.actor is not None
    loaded = await bank.loaded_bank(session)
    if not loaded.loaded:
        await flows.end(session, person_id=context.actor.person_id, version=flow.version)
        return context.text("violation.no_bank"), None
    moved = await flows.advance(
        session,
        flow,
        step="prohibition",
        now=context.now,
        person=person.id,
        employee_no=person.employee_no,
        person_name=person.name,
    )
    return views.prohibitions(context, moved, loaded) if moved is not None else None


async def choose_rule(session: AsyncSession, context: BotContext, flow: Flow, value: str) -> Flow | None:
    """The prohibition numbered `value` in the loaded bank; None when there is none."""
    rule = next((p for p in (await bank.loaded_bank(session)).prohibitions if str(p.number) == value), None)
    if rule is None:
        return None
    return await flows.advance(
        session, flow, step="note", now=context.now, prohibition=rule.number, title=rule.title
    )


async def _press_flow(
    session: AsyncSession, context: BotContext, press: Press
) -> tuple[Flow | None, str | None]:
    step = _STEP_OF[press.op]
    flow, refusal = await pickers.pressed_flow(session, context, name=FLOW, press=press, step=step)
    if flow is not None and not await allowed(session, context, flow):
        return None, context.text("violation.not_allowed")
    return flow, refusal


async def pressed(update: Update, context: BotContext, arg: str) -> None:
    """'vg' buttons: <flow version>.<op>[.<value>]."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    press = pickers.parse(arg)
    if press is None or (press.op not in _STEP_OF and press.op != "x"):
        await query.answer(context.text("access.button_invalid"), show_alert=True)
        return
    if press.op == "x":
        await pickers.cancel(query, context, name=FLOW, press=press)
        return
    await _PRESSES[press.op](query, context, press)


async def _refuse(query: CallbackQuery, context: BotContext, refusal: str | None) -> None:
    await query.answer(refusal or context.text("flows.stale"), show_alert=True)


async def _page(query: CallbackQuery, context: BotContext, press: Press) -> None:
    assert context.actor is not None
    async with context.runtime.session() as session:
        flow, refusal = await _press_flow(session, context, press)
        if flow is not None:
            found = await violations.recordable_people(
                session, actor=context.actor, query=flow.get("query", "")
            )
            number = int(press.value) if press.value.isdigit() else 0
            flow = await flows.advance(session, flow, step="person", now=context.now, page=number)
    if flow is None:
        await _refuse(query, context, refusal)
        return
    await query.answer()
    await pickers.edit(query, views.people(context, flow, found))


async def _pick(query: CallbackQuery, context: BotContext, press: Press) -> None:
    assert context.actor is not None
    screen = None
    async with context.runtime.session() as session:
        flow, refusal = await _press_flow(session, context, press)
        if flow is not None and press.value.isdigit():
            actor, person_id = context.actor, int(press.value)
            person = await violations.recordable_person(session, actor=actor, person_id=person_id)
            refusal = None if person is not None else context.text("violation.not_allowed")
            screen = await choose_person(session, context, flow, person) if person is not None else None
    if screen is None:
        await _refuse(query, context, refusal)
        return
    await query.answer()
    await pickers.edit(query, screen)


async def _rule(query: CallbackQuery, context: BotContext, press: Press) -> None:
    async with context.runtime.session() as session:
        flow, refusal = await _press_flow(session, context, press)
        moved = await choose_rule(session, context, flow, press.value) if flow is not None else None
    if moved is None:
        await _refuse(query, context, refusal or context.text("violation.unknown_prohibition"))
        return
    await query.answer()
    await pickers.edit(query, views.note(context, moved))


async def _skip(query: CallbackQuery, context: BotContext, press: Press) -> None:
    async with context.runtime.session() as session:
        flow, refusal = await _press_flow(session, context, press)
        if flow is not None:
            flow = await flows.advance(session, flow, step="summary", now=context.now, photo=None)
    if flow is None:
        await _refuse(query, context, refusal)
        return
    await query.answer()
    await pickers.edit(query, views.summary(context, flow))


async def _submit(query: CallbackQuery, context: BotContext, press: Press) -> None:
    """`提交`: the flow ends (compare-and-set on its version) and the violation is recorded, in one
    transaction: a second press finds no flow and records nothing."""
    assert context.actor is not None and query.message is not None
    outcome = None
    async with context.runtime.session() as session:
        flow, refusal = await _press_flow(session, context, press)
        if flow is not None and await flows.end(
            session, person_id=context.actor.person_id, version=flow.version
        ):
            outcome = await record(
                session,
                context,
                employee_no=str(flow.get("employee_no")),
                prohibition=int(flow.get("prohibition")),
                note=str(flow.get("note")),
                photo_file_id=flow.get("photo"),
            )
    if flow is None or outcome is None:
        await _refuse(query, context, refusal)
        return
    context.runtime.wake_dispatchers()
    await query.answer()
    await pickers.drop_buttons(query)
    text = outcome_text(context, outcome, int(flow.get("prohibition")), photo=bool(flow.get("photo")))
    await context.bot.send_message(query.message.chat.id, text)


_PRESSES = {"pg": _page, "p": _pick, "r": _rule, "s": _skip, "ok": _submit}
