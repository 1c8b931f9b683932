"""The verifier's buttons: 通过 (closed, 销号), 驳回 (the flow "reject" asks for the reason,
typed) and the 回头看 answers 确认未反弹 / 重新整改. Each press is authorised again
against the presser and the report as it is now; the version in the button refuses an earlier round's."""

from __future__ import annotations

from telegram import Update

from handlers import pickers
from handlers import rectify_views as views
from handlers.context import BotContext
from handlers.rectify_input import alert, open_flow, report_arg, start_flow, still_allowed
from handlers.rectify_views import REJECT_FLOW
from safety import flows
from safety.flows import Flow
from safety.reports import rechecks
from safety.reports import rectification as rect
from safety.reports import rectification_rights as rights
from safety.reports.rectification_rights import RectifyRefused


async def accept_pressed(update: Update, context: BotContext, arg: str) -> None:
    """通过: closed (销号) at once; a second press, or one on an earlier round's message, changes nothing."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    parsed = report_arg(arg)
    if parsed is None:
        await alert(query, context.text("access.button_invalid"), context)
        return
    async with context.runtime.session() as session:
        try:
            done = await rect.accept(
                session,
                report_id=parsed[0],
                version=parsed[1],
                actor=context.actor,
                now=context.now,
                defaults=context.defaults,
                rules=context.runtime.report_rules,
            )
        except RectifyRefused as refused:
            await alert(query, context.text(refused.key), context)
            return
    context.runtime.wake_dispatchers()
    await query.answer()
    await pickers.drop_buttons(query)
    await context.bot.send_message(
        query.from_user.id, context.text("rectify.accepted_ok", number=done.number)
    )


async def reject_pressed(update: Update, context: BotContext, arg: str) -> None:
    """驳回: the flow "reject" asks for the reason (handlers/rectify_input.py reason_typed)."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    parsed = report_arg(arg)
    if parsed is None:
        await alert(query, context.text("access.button_invalid"), context)
        return
    async with context.runtime.session() as session:
        try:
            report = await rights.verifiable(
                session, report_id=parsed[0], version=parsed[1], actor=context.actor
            )
        except RectifyRefused as refused:
            await alert(query, context.text(refused.key), context)
            return
        flow, interrupted = await start_flow(context, session, REJECT_FLOW, "reason", report)
    await open_flow(query, context, interrupted, views.reason(context, flow))


async def recheck_pressed(update: Update, context: BotContext, arg: str) -> None:
    """确认未反弹 / 重新整改 on the re-check question."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    head, _, choice = arg.rpartition(".")
    parsed = report_arg(head)
    if parsed is None:
        await alert(query, context.text("access.button_invalid"), context)
        return
    async with context.runtime.session() as session:
        try:
            done = await rechecks.answer(
                session,
                report_id=parsed[0],
                version=parsed[1],
                actor=context.actor,
                choice=choice,
                now=context.now,
                defaults=context.defaults,
            )
        except RectifyRefused as refused:
            await alert(query, context.text(refused.key), context)
            return
    context.runtime.wake_dispatchers()
    await query.answer()
    await pickers.drop_buttons(query)
    key = "rectify.rechecked_ok" if choice == rechecks.STILL_FIXED else "rectify.reopened_ok"
    await context.bot.send_message(query.from_user.id, context.text(key, number=done.number))


async def reason_typed(update: Update, context: BotContext, flow: Flow) -> None:
    """驳回's reason: the flow ends and the report goes back to the responsible person, in one transaction."""
    message = update.effective_message
    assert message is not None and context.actor is not None
    try:
        reason = rights.checked_text(
            message.text,
            limit=rights.REASON_LIMIT,
            blank="rectify.reason_blank",
            too_long="rectify.reason_too_long",
        )
    except RectifyRefused as refused:
        await message.reply_text(context.text(refused.key))
        return
    done = None
    async with context.runtime.session() as session:
        report, refusal = await still_allowed(session, context, flow)
        if report is not None and await flows.end(
            session, person_id=context.actor.person_id, version=flow.version
        ):
            try:
                done = await rect.reject(
                    session,
                    report_id=int(flow.get("report")),
                    version=int(flow.get("rv")),
                    actor=context.actor,
                    reason=reason,
                    now=context.now,
                    defaults=context.defaults,
                )
            except RectifyRefused as refused:
                refusal = context.text(refused.key)
    if done is None:
        await message.reply_text(refusal or context.text("flows.stale"))
        return
    context.runtime.wake_dispatchers()
    await message.reply_text(context.text("rectify.rejected_ok", number=done.number))


STEPS = {(REJECT_FLOW, "reason"): reason_typed}
