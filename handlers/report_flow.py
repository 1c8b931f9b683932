"""/report: kind, category, severity or casualties, location, description, photos, summary (提交 / 修改 /
取消, and 匿名上报); a draft is the flow "report" (persisted, expires after 30 minutes, /cancel ends it).
A QR code's deep link starts it at a location (`start_at_location`). Buttons: action "rq" with
`<flow version>.<op>[.<value>]`, accepted only at the step the op belongs to and at the flow's current
version. `提交` ends the flow and creates the report in one transaction, so a double tap makes one report.
Typed input, photos and shared locations: handlers/report_flow_input.py."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import CallbackQuery, Update

from handlers import pickers
from handlers import report_flow_views as views
from handlers.context import BotContext
from handlers.flow_input import flow_name
from handlers.pickers import Press
from handlers.report_flow_input import STEPS as INPUT_STEPS
from handlers.report_flow_input import move
from handlers.report_flow_views import ACTION, EDIT
from safety import flows
from safety.flows import Flow
from safety.reports import drafts
from safety.reports.categories import list_by_id
from safety.reports.create import ReportRejected, create
from safety.reports.drafts import (
    CASUALTIES,
    CATEGORY,
    FLOW,
    KIND,
    KINDS,
    PHOTOS,
    SEVERITIES,
    SEVERITY,
    SUMMARY,
)

_STEP_OF = {
    "k": KIND,
    "c": CATEGORY,
    "pg": CATEGORY,
    "v": SEVERITY,
    "n": CASUALTIES,
    "s": PHOTOS,
    "d": PHOTOS,
    "a": SUMMARY,
    "e": SUMMARY,
    "ok": SUMMARY,
    "g": EDIT,
    "b": EDIT,
}


async def report_command(update: Update, context: BotContext) -> None:
    """/report: a new draft at its first step (any earlier flow was ended by the command gate)."""
    message = update.effective_message
    assert message is not None and context.actor is not None
    async with context.runtime.session() as session:
        flow, _ = await flows.start(
            session, person_id=context.actor.person_id, name=FLOW, step=KIND, now=context.now
        )
    await pickers.reply(message, views.kind(context, flow))


async def start_at_location(update: Update, context: BotContext, location_id: str) -> None:
    """A QR code's `/start loc-<id>`: a draft with the location (and its unit) filled in, so the location
    step is skipped. An unknown or inactive location: a clear message, no flow."""
    message = update.effective_message
    assert message is not None and context.actor is not None
    flow, interrupted = None, None
    async with context.runtime.session() as session:
        location = await drafts.location_for_report(session, location_id)
        if location is not None:
            flow, interrupted = await flows.start(
                session,
                person_id=context.actor.person_id,
                name=FLOW,
                step=KIND,
                now=context.now,
                location_id=location.id,
                location_name=location.name,
                unit_id=location.unit_id,
            )
    if flow is None:
        await message.reply_text(context.text("report_flow.unknown_location"))
        return
    if interrupted is not None:
        await message.reply_text(context.text("flows.interrupted", flow=flow_name(context, interrupted)))
    await pickers.reply(message, views.kind(context, flow))


async def pressed(update: Update, context: BotContext, arg: str) -> None:
    """'rq' buttons: <flow version>.<op>[.<value>]."""
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
    screen = None
    async with context.runtime.session() as session:
        flow, refusal = await pickers.pressed_flow(
            session, context, name=FLOW, press=press, step=_STEP_OF[press.op]
        )
        if flow is not None:
            moved = await _apply(session, context, flow, press)
            if isinstance(moved, Flow):
                screen = await views.screen(session, context, moved)
            else:
                refusal = moved
    if screen is None:
        await query.answer(refusal or context.text("flows.stale"), show_alert=True)
        return
    await query.answer()
    await pickers.edit(query, screen)


async def _apply(session: AsyncSession, context: BotContext, flow: Flow, press: Press) -> Flow | str | None:
    """The press's change to the draft: the moved flow, a refusal's text, or None (changed meanwhile)."""
    op, value, now = press.op, press.value, context.now
    if op == "k" and value in KINDS:
        return await move(session, context, flow, kind=value)
    if op == "c":
        listed = await list_by_id(session, str(flow.get("list_id")))
        item = listed.find(value) if listed is not None and value else None
        if item is None:
            return context.text("report_flow.category_unknown", value=value)
        return await move(session, context, flow, category_code=item.code, category_name=item.name)
    if op == "pg" and value.isdigit():
        return await flows.advance(session, flow, step=CATEGORY, now=now, page=int(value))
    if op == "v" and value in SEVERITIES:
        return await move(session, context, flow, severity=value)
    if op == "n":
        return await move(session, context, flow, deaths=0, serious=0, minor=0)
    if op in ("s", "d"):
        return await move(session, context, flow, photos_done=True)
    if op == "a":
        return await flows.advance(session, flow, step=SUMMARY, now=now, anonymous=not flow.get("anonymous"))
    if op == "e":
        return await flows.advance(session, flow, step=EDIT, now=now)
    if op == "g" and value in drafts.editable_steps(flow.data):
        return await move(session, context, flow, **drafts.cleared(value))
    if op == "b":
        return await move(session, context, flow)
    return context.text("access.button_invalid")


async def _submit(query: CallbackQuery, context: BotContext, press: Press) -> None:
    """`提交`: the flow ends (compare-and-set on its version) and the report is created in the same
    transaction; a second press finds no flow and creates nothing. A refused draft stays as it was."""
    assert context.actor is not None and query.message is not None
    receipt: dict[str, Any] | None = None
    refusal = None
    try:
        async with context.runtime.session() as session:
            flow, refusal = await pickers.pressed_flow(session, context, name=FLOW, press=press, step=SUMMARY)
            if flow is not None and await flows.end(
                session, person_id=context.actor.person_id, version=flow.version
            ):
                draft = drafts.to_input(flow.data, reporter_unit=context.actor.unit_id)
                report = await create(
                    session,
                    draft,
                    reporter_id=context.actor.person_id,
                    now=context.now,
                    defaults=context.defaults,
                )
                receipt = {"number": report.number, "kind": report.kind, "anonymous": report.anonymous}
    except ReportRejected as exc:  # rolled back: the flow is still there
        await query.answer(context.text(exc.key), show_alert=True)
        return
    if receipt is None:
        await query.answer(refusal or context.text("flows.stale"), show_alert=True)
        return
    context.runtime.wake_dispatchers()
    await query.answer()
    await pickers.drop_buttons(query)
    key = "report_flow.receipt_anonymous" if receipt["anonymous"] else "report_flow.receipt"
    text = context.text(key, kind=context.text(f"report.kind_{receipt['kind']}"), number=receipt["number"])
    await context.bot.send_message(query.message.chat.id, text)


COMMANDS: dict[str, Any] = {"report": report_command}
STEPS: dict[tuple[str, str], Any] = INPUT_STEPS
ROUTES: dict[str, Any] = {ACTION: pressed}
