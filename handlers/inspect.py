"""/inspect: an inspection by checklist at a location; each item 合格 / 隐患, every 隐患 a hazard report.

Flow "inspect": the checklist (buttons) → the location (buttons of the active locations in the inspector's
scope, or a typed place) → one message per item with `合格` / `隐患`; a 隐患 asks for a short note (typed, or
`跳过`) and a photo (or `跳过`) → the summary with `提交` / `取消`. `提交` ends the flow (compare-and-set on
its version) and records the inspection with its hazard reports in the same transaction: a double tap
records one. Rights are checked again at every step, every press against the flow's step and version.
Typed input and photos: handlers/inspect_input.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import CallbackQuery, Update

from handlers import inspect_input, pickers
from handlers import inspect_views as views
from handlers.context import BotContext
from handlers.inspect_input import add_hazard, allowed, answered, choose_place
from handlers.inspect_views import ACTION, FLOW
from handlers.pickers import Press, Screen
from safety import flows
from safety.flows import Flow
from safety.inspections import inspections
from safety.inspections.inspections import OK, Answer, InspectionRefused, Recorded
from safety.reports.create import Photo, ReportRejected

_STEP_OF = {
    "c": "checklist",
    "l": "location",
    "g": "item",
    "h": "item",
    "sn": "note",
    "sp": "photo",
    "ok": "summary",
}


async def inspect_command(update: Update, context: BotContext) -> None:
    """/inspect: the active checklists as buttons."""
    message = update.effective_message
    assert message is not None and context.actor is not None
    flow = None
    async with context.runtime.session() as session:
        found = await inspections.checklists(session)
        if found:
            flow, _ = await flows.start(
                session,
                person_id=context.actor.person_id,
                name=FLOW,
                step="checklist",
                now=context.now,
                choices=[c.id for c in found],
            )
    if flow is None:
        await message.reply_text(context.text("inspect.no_checklists"))
        return
    await pickers.reply(message, views.checklists(context, flow, found))


async def _press_flow(
    session: AsyncSession, context: BotContext, press: Press
) -> tuple[Flow | None, str | None]:
    flow, refusal = await pickers.pressed_flow(
        session, context, name=FLOW, press=press, step=_STEP_OF[press.op]
    )
    if flow is not None and not await allowed(session, context, flow):
        return None, context.text("inspect.not_allowed")
    return flow, refusal


async def pressed(update: Update, context: BotContext, arg: str) -> None:
    """'ik' buttons: <flow version>.<op>[.<value>]."""
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
        await _submit(query, context, press)
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


Move = tuple[Screen | None, str | None]


async def _checklist(session: AsyncSession, context: BotContext, flow: Flow, value: str) -> Move:
    assert context.actor is not None
    choices: list[str] = flow.get("choices", [])
    index = int(value) if value.isdigit() else -1
    found = await inspections.checklist(session, choices[index]) if 0 <= index < len(choices) else None
    if found is None:
        return None, context.text("inspect.checklist_gone")
    places = (await inspections.locations(session, context.actor))[: views.MAX_LOCATION_BUTTONS]
    moved = await flows.advance(
        session,
        flow,
        step="location",
        now=context.now,
        checklist=found.id,
        title=found.title,
        items=list(found.items),
        locations=[p.id for p in places],
        started=context.now.isoformat(),
    )
    return (views.locations(context, moved, places), None) if moved is not None else (None, None)


async def _location(session: AsyncSession, context: BotContext, flow: Flow, value: str) -> Move:
    assert context.actor is not None
    listed: list[str] = flow.get("locations", [])
    index = int(value) if value.isdigit() else -1
    place = (
        await inspections.location_in_scope(session, context.actor, listed[index])
        if 0 <= index < len(listed)
        else None
    )
    if place is None:
        return None, context.text("inspect.location_gone")
    moved = await choose_place(session, context, flow, location_id=place.id, location_name=place.name)
    return (views.item(context, moved), None) if moved is not None else (None, None)


def _current(flow: Flow, value: str) -> bool:
    return value == str(len(flow.get("answers", [])))


async def _good(session: AsyncSession, context: BotContext, flow: Flow, value: str) -> Move:
    if not _current(flow, value):
        return None, None
    step, changes = answered(flow, {"r": OK})
    moved = await flows.advance(session, flow, step=step, now=context.now, **changes)
    return (views.next_screen(context, moved), None) if moved is not None else (None, None)


async def _hazard(session: AsyncSession, context: BotContext, flow: Flow, value: str) -> Move:
    if not _current(flow, value):
        return None, None
    moved = await flows.advance(session, flow, step="note", now=context.now, pending=int(value))
    return (views.note(context, moved), None) if moved is not None else (None, None)


async def _skip_note(session: AsyncSession, context: BotContext, flow: Flow, value: str) -> Move:
    moved = await flows.advance(session, flow, step="photo", now=context.now, note=None)
    return (views.photo(context, moved), None) if moved is not None else (None, None)


async def _skip_photo(session: AsyncSession, context: BotContext, flow: Flow, value: str) -> Move:
    moved = await add_hazard(session, context, flow, note=flow.get("note"), photo=None)
    return (views.next_screen(context, moved), None) if moved is not None else (None, None)


_MOVES = {"c": _checklist, "l": _location, "g": _good, "h": _hazard, "sn": _skip_note, "sp": _skip_photo}


def _answers(flow: Flow) -> list[Answer]:
    return [
        Answer(
            result=str(a.get("r")),
            note=a.get("note"),
            photo=Photo(**a["photo"]) if a.get("photo") else None,
        )
        for a in flow.get("answers", [])
    ]


async def _submit(query: CallbackQuery, context: BotContext, press: Press) -> None:
    """`提交`: the flow ends (compare-and-set on its version) and the inspection is recorded, in one
    transaction; a refusal rolls both back (the flow stays), a second press finds no flow."""
    assert context.actor is not None and query.message is not None
    recorded: Recorded | None = None
    flow: Flow | None = None
    refusal: str | None = None
    try:
        async with context.runtime.session() as session:
            flow, refusal = await _press_flow(session, context, press)
            if flow is not None and await flows.end(
                session, person_id=context.actor.person_id, version=flow.version
            ):
                recorded = await inspections.record(
                    session,
                    actor=context.actor,
                    checklist_id=str(flow.get("checklist")),
                    items=list(flow.get("items", [])),
                    answers=_answers(flow),
                    location_id=flow.get("location_id"),
                    location_text=flow.get("location_text"),
                    started_at=datetime.fromisoformat(str(flow.get("started") or context.now.isoformat())),
                    now=context.now,
                    defaults=context.defaults,
                )
    except (InspectionRefused, ReportRejected) as exc:
        recorded, refusal = None, context.text(exc.key)
    if flow is None or recorded is None:
        await query.answer(refusal or context.text("flows.stale"), show_alert=True)
        return
    context.runtime.wake_dispatchers()
    await query.answer()
    await pickers.drop_buttons(query)
    await context.bot.send_message(query.message.chat.id, done_text(context, flow, recorded))


def done_text(context: BotContext, flow: Flow, recorded: Recorded) -> str:
    place = str(flow.get("location_name") or flow.get("location_text") or "")
    lines = [
        context.text(
            "inspect.recorded",
            title=flow.get("title"),
            place=place,
            items=recorded.items,
            ok=recorded.items - recorded.hazards,
            hazards=recorded.hazards,
        )
    ]
    if recorded.numbers:
        sep = context.text("digest.name_separator")
        lines.append(context.text("inspect.recorded_reports", numbers=sep.join(recorded.numbers)))
    return "\n".join(lines)


COMMANDS: dict[str, Any] = {"inspect": inspect_command}
ROUTES: dict[str, Any] = {ACTION: pressed}
STEPS: dict[tuple[str, str], Any] = dict(inspect_input.STEPS)
