"""Rectification (整改) in chat: 指派 on the officer's notice (responsible person, deadline, measures),
整改完成 by the responsible person (photos, note), 通过 / 驳回 by the verifier, and the 回头看 re-check.

Buttons: `ra` 指派 (arg: report id), `rd` 整改完成, `rv` 通过, `rj` 驳回 (arg: `<report id>.<version>`),
`rc` 回头看 (`<id>.<version>.ok|re`), and the flows' own `ag` / `zf` / `jf` (`<flow version>.<op>[.<value>]`).
Every press is authorised again against the presser and the report as it is now
(safety/reports/rectification_rights.py); typed input: handlers/rectify_input.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import CallbackQuery, Update

from handlers import pickers
from handlers import rectify_views as views
from handlers.context import BotContext
from handlers.pickers import Press, Screen
from handlers.rectify_input import STEPS as INPUT_STEPS
from handlers.rectify_input import (
    alert,
    choose_deadline,
    choose_person,
    deadline_in,
    open_flow,
    report_arg,
    start_flow,
    still_allowed,
    today,
)
from handlers.rectify_verify import STEPS as VERIFY_STEPS
from handlers.rectify_verify import accept_pressed, recheck_pressed, reject_pressed
from handlers.rectify_views import ASSIGN_FLOW, RECTIFY_FLOW, REJECT_FLOW
from safety import flows
from safety.flows import Flow
from safety.reports import rectification as rect
from safety.reports import rectification_rights as rights
from safety.reports.create import Photo
from safety.reports.rectification_notices import ACCEPT, RECHECK, REJECT, SUBMIT_DONE
from safety.reports.rectification_rights import RectifyRefused
from safety.reports.rules import ASSIGN
from storage.models import Report

Press_ = Callable[[CallbackQuery, BotContext, Press], Awaitable[None]]


# -- 指派 ---------------------------------------------------------------------------------------------------


async def assign_pressed(update: Update, context: BotContext, arg: str) -> None:
    """指派 on the officer's notice: the flow "assign" starts with the people who may be made responsible."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    if not arg.isdigit():
        await alert(query, context.text("access.button_invalid"), context)
        return
    async with context.runtime.session() as session:
        try:
            report = await rights.assignable(session, report_id=int(arg), version=None, actor=context.actor)
        except RectifyRefused as refused:
            await alert(query, context.text(refused.key), context)
            return
        found = await rights.candidates(session, report)
        flow, interrupted = await start_flow(context, session, ASSIGN_FLOW, "person", report, page=0)
    await open_flow(query, context, interrupted, views.people(context, flow, found))


async def _assign_flow(
    query: CallbackQuery, context: BotContext, press: Press, step: str, session: AsyncSession
) -> tuple[Flow | None, Report | None, str | None]:
    flow, refusal = await pickers.pressed_flow(session, context, name=ASSIGN_FLOW, press=press, step=step)
    if flow is None:
        return None, None, refusal
    report, refusal = await still_allowed(session, context, flow)
    return (flow, report, None) if report is not None else (None, None, refusal)


async def _assign_page(query: CallbackQuery, context: BotContext, press: Press) -> None:
    screen = None
    async with context.runtime.session() as session:
        flow, report, refusal = await _assign_flow(query, context, press, "person", session)
        if flow is not None and report is not None:
            found = await rights.candidates(session, report, query=flow.get("query", ""))
            page = int(press.value) if press.value.isdigit() else 0
            moved = await flows.advance(session, flow, step="person", now=context.now, page=page)
            screen = views.people(context, moved, found) if moved else None
    await _redraw(query, context, screen, refusal)


async def _assign_pick(query: CallbackQuery, context: BotContext, press: Press) -> None:
    screen = None
    async with context.runtime.session() as session:
        flow, report, refusal = await _assign_flow(query, context, press, "person", session)
        if flow is not None and report is not None and press.value.isdigit():
            person = await rights.candidate(session, report, int(press.value))
            if person is None:
                refusal = context.text("rectify.responsible_not_allowed")
            else:
                screen = await choose_person(session, context, flow, person)
    await _redraw(query, context, screen, refusal)


async def _assign_deadline(query: CallbackQuery, context: BotContext, press: Press) -> None:
    screen = None
    async with context.runtime.session() as session:
        flow, report, refusal = await _assign_flow(query, context, press, "deadline", session)
        if flow is not None and report is not None and press.value in {str(d) for d in views.DEADLINE_DAYS}:
            deadline = deadline_in(int(press.value), await today(session, context, report))
            screen = await choose_deadline(session, context, flow, deadline)
    await _redraw(query, context, screen, refusal)


async def _assign_submit(query: CallbackQuery, context: BotContext, press: Press) -> None:
    """提交: the flow ends (compare-and-set on its version) and the report is assigned, in one transaction."""
    assert context.actor is not None
    done = None
    async with context.runtime.session() as session:
        flow, _, refusal = await _assign_flow(query, context, press, "summary", session)
        if flow is not None and await flows.end(
            session, person_id=context.actor.person_id, version=flow.version
        ):
            try:
                done = await rect.assign(
                    session,
                    report_id=int(flow.get("report")),
                    version=int(flow.get("rv")),
                    actor=context.actor,
                    responsible_id=int(flow.get("person")),
                    deadline=date.fromisoformat(str(flow.get("deadline"))),
                    measures=str(flow.get("measures")),
                    now=context.now,
                    defaults=context.defaults,
                    data_dir=context.runtime.data_dir,
                )
            except RectifyRefused as refused:
                refusal = context.text(refused.key)
    if done is None or flow is None:
        await alert(query, refusal, context)
        return
    context.runtime.wake_dispatchers()
    await query.answer()
    await pickers.drop_buttons(query)
    text = context.text(
        "rectify.assigned_ok", number=done.number, name=flow.get("person_name"), deadline=flow.get("deadline")
    )
    await context.bot.send_message(query.from_user.id, text)


# -- 整改完成 -----------------------------------------------------------------------------------------------


async def done_pressed(update: Update, context: BotContext, arg: str) -> None:
    """整改完成 on the task: the flow "rectify" starts (photos, then 完成)."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    parsed = report_arg(arg)
    if parsed is None:
        await alert(query, context.text("access.button_invalid"), context)
        return
    async with context.runtime.session() as session:
        try:
            report = await rights.submittable(
                session, report_id=parsed[0], version=parsed[1], actor=context.actor
            )
        except RectifyRefused as refused:
            await alert(query, context.text(refused.key), context)
            return
        flow, interrupted = await start_flow(context, session, RECTIFY_FLOW, "photos", report, photos=[])
    await open_flow(query, context, interrupted, views.photos(context, flow))


async def _rectify_flow(
    context: BotContext, press: Press, step: str, session: AsyncSession
) -> tuple[Flow | None, str | None]:
    flow, refusal = await pickers.pressed_flow(session, context, name=RECTIFY_FLOW, press=press, step=step)
    if flow is None:
        return None, refusal
    report, refusal = await still_allowed(session, context, flow)
    return (flow, None) if report is not None else (None, refusal)


async def _photos_done(query: CallbackQuery, context: BotContext, press: Press) -> None:
    screen = None
    async with context.runtime.session() as session:
        flow, refusal = await _rectify_flow(context, press, "photos", session)
        if flow is not None and not flow.get("photos"):
            refusal = context.text("rectify.photo_needed")
        elif flow is not None:
            moved = await flows.advance(session, flow, step="note", now=context.now)
            screen = views.note(context, moved) if moved else None
    await _redraw(query, context, screen, refusal)


async def _note_skipped(query: CallbackQuery, context: BotContext, press: Press) -> None:
    screen = None
    async with context.runtime.session() as session:
        flow, refusal = await _rectify_flow(context, press, "note", session)
        if flow is not None:
            moved = await flows.advance(session, flow, step="summary", now=context.now, note=None)
            screen = views.rectify_summary(context, moved) if moved else None
    await _redraw(query, context, screen, refusal)


async def _rectify_submit(query: CallbackQuery, context: BotContext, press: Press) -> None:
    assert context.actor is not None
    done = None
    async with context.runtime.session() as session:
        flow, refusal = await _rectify_flow(context, press, "summary", session)
        if flow is not None and await flows.end(
            session, person_id=context.actor.person_id, version=flow.version
        ):
            try:
                done = await rect.submit(
                    session,
                    report_id=int(flow.get("report")),
                    version=int(flow.get("rv")),
                    actor=context.actor,
                    photos=[Photo(**p) for p in flow.get("photos", [])],
                    note=flow.get("note"),
                    now=context.now,
                    defaults=context.defaults,
                )
            except RectifyRefused as refused:
                refusal = context.text(refused.key)
    if done is None:
        await alert(query, refusal, context)
        return
    context.runtime.wake_dispatchers()
    await query.answer()
    await pickers.drop_buttons(query)
    await context.bot.send_message(
        query.from_user.id, context.text("rectify.submitted_ok", number=done.number)
    )


# -- the flows' own buttons --------------------------------------------------------------------------------


async def _redraw(
    query: CallbackQuery, context: BotContext, screen: Screen | None, refusal: str | None
) -> None:
    if screen is None:
        await alert(query, refusal, context)
        return
    await query.answer()
    await pickers.edit(query, screen)


def _flow_router(
    name: str, presses: dict[str, Press_]
) -> Callable[[Update, BotContext, str], Awaitable[None]]:
    async def pressed(update: Update, context: BotContext, arg: str) -> None:
        query = update.callback_query
        assert query is not None
        press = pickers.parse(arg)
        if press is None or (press.op not in presses and press.op != "x"):
            await alert(query, context.text("access.button_invalid"), context)
            return
        if press.op == "x":
            await pickers.cancel(query, context, name=name, press=press)
            return
        await presses[press.op](query, context, press)

    return pressed


COMMANDS: dict[str, Any] = {}
STEPS: dict[tuple[str, str], Any] = {**INPUT_STEPS, **VERIFY_STEPS}
ROUTES: dict[str, Any] = {
    ASSIGN: assign_pressed,
    SUBMIT_DONE: done_pressed,
    ACCEPT: accept_pressed,
    REJECT: reject_pressed,
    RECHECK: recheck_pressed,
    views.ASSIGN_ACTION: _flow_router(
        ASSIGN_FLOW, {"pg": _assign_page, "p": _assign_pick, "d": _assign_deadline, "ok": _assign_submit}
    ),
    views.RECTIFY_ACTION: _flow_router(
        RECTIFY_FLOW, {"f": _photos_done, "s": _note_skipped, "ok": _rectify_submit}
    ),
    views.REJECT_ACTION: _flow_router(REJECT_FLOW, {}),
}
