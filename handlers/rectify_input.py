"""Typed input and photos of the rectification flows, and what the presses share with them: the check that
the flow's report still allows its step for this person (at every input and press; a refusal ends the
flow), choosing the responsible person and the deadline, refusing a press, opening a flow."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import CallbackQuery, Update

from handlers import pickers
from handlers import rectify_views as views
from handlers.context import BotContext
from handlers.flow_input import flow_name
from handlers.pickers import Screen
from handlers.rectify_views import ASSIGN_FLOW, RECTIFY_FLOW
from safety import flows, textcheck
from safety.flows import Flow
from safety.reports import photos
from safety.reports import rectification_rights as rights
from safety.reports.create import ReportRejected
from safety.reports.rectification_rights import RectifyRefused
from safety.reports.rules import MAX_PHOTOS, MEASURES_LIMIT, NOTE_LIMIT
from storage.models import Person, Report


def report_arg(arg: str) -> tuple[int, int] | None:
    """`<report id>.<version>` of a button on a report's message."""
    report, _, version = arg.partition(".")
    return (int(report), int(version)) if report.isdigit() and version.isdigit() else None


async def check_report(session: AsyncSession, context: BotContext, flow: Flow) -> Report:
    """The flow's report if it still allows the flow's step for this person now; raises RectifyRefused."""
    assert context.actor is not None
    report_id, version, actor = int(flow.get("report")), int(flow.get("rv")), context.actor
    if flow.name == ASSIGN_FLOW:
        return await rights.assignable(session, report_id=report_id, version=version, actor=actor)
    if flow.name == RECTIFY_FLOW:
        return await rights.submittable(session, report_id=report_id, version=version, actor=actor)
    return await rights.verifiable(session, report_id=report_id, version=version, actor=actor)


async def still_allowed(session: AsyncSession, context: BotContext, flow: Flow) -> tuple[Report | None, str]:
    """(the report, "") while the step is allowed; else (None, the refusal) and the flow is ended."""
    assert context.actor is not None
    try:
        return await check_report(session, context, flow), ""
    except RectifyRefused as refused:
        await flows.end(session, person_id=context.actor.person_id, version=flow.version)
        return None, context.text(refused.key)


async def choose_person(
    session: AsyncSession, context: BotContext, flow: Flow, person: Person
) -> Screen | None:
    moved = await flows.advance(
        session,
        flow,
        step="deadline",
        now=context.now,
        person=person.id,
        person_name=person.name,
        employee_no=person.employee_no,
    )
    return views.deadline(context, moved) if moved is not None else None


async def choose_deadline(
    session: AsyncSession, context: BotContext, flow: Flow, deadline: date
) -> Screen | None:
    moved = await flows.advance(
        session, flow, step="measures", now=context.now, deadline=deadline.isoformat()
    )
    return views.measures(context, moved) if moved is not None else None


async def today(session: AsyncSession, context: BotContext, report: Report) -> date:
    return await rights.today_of(session, report, now=context.now, defaults=context.defaults)


async def person_typed(update: Update, context: BotContext, flow: Flow) -> None:
    """A typed name or employee number: one match is chosen, several are listed."""
    message = update.effective_message
    assert message is not None
    typed = textcheck.visible(message.text or "")[: rights.QUERY_LIMIT]
    if not typed:
        await message.reply_text(context.text("flows.need_text"))
        return
    screen: Screen | None = None
    async with context.runtime.session() as session:
        report, refusal = await still_allowed(session, context, flow)
        found = await rights.candidates(session, report, query=typed) if report is not None else []
        if len(found) == 1:
            screen = await choose_person(session, context, flow, found[0])
        elif found:
            moved = await flows.advance(session, flow, step="person", now=context.now, page=0, query=typed)
            screen = views.people(context, moved, found) if moved else None
    if refusal:
        screen = (refusal, None)
    elif screen is None:
        screen = (context.text("flows.stale" if found else "rectify.person_none", query=typed), None)
    await pickers.reply(message, screen)


async def deadline_typed(update: Update, context: BotContext, flow: Flow) -> None:
    """A typed YYYY-MM-DD (today or later)."""
    message = update.effective_message
    assert message is not None
    screen: Screen | None = None
    async with context.runtime.session() as session:
        report, refusal = await still_allowed(session, context, flow)
        try:
            if report is not None:
                deadline = rights.parse_deadline(message.text or "", await today(session, context, report))
                screen = await choose_deadline(session, context, flow, deadline)
        except RectifyRefused as refused:
            refusal = context.text(refused.key)
    await pickers.reply(
        message, (refusal, None) if refusal else screen or (context.text("flows.stale"), None)
    )


async def measures_typed(update: Update, context: BotContext, flow: Flow) -> None:
    message = update.effective_message
    assert message is not None
    try:
        measures = rights.checked_text(
            message.text,
            limit=MEASURES_LIMIT,
            blank="rectify.measures_blank",
            too_long="rectify.measures_too_long",
        )
    except RectifyRefused as refused:
        await message.reply_text(context.text(refused.key))
        return
    async with context.runtime.session() as session:
        report, refusal = await still_allowed(session, context, flow)
        moved = (
            await flows.advance(session, flow, step="summary", now=context.now, measures=measures)
            if report
            else None
        )
    await pickers.reply(
        message,
        (refusal, None)
        if refusal
        else views.assign_summary(context, moved)
        if moved
        else (context.text("flows.stale"), None),
    )


async def photo_sent(update: Update, context: BotContext, flow: Flow) -> None:
    """A proof photo (a photo, or an image sent as a file): copied under the data folder, kept in the flow."""
    message = update.effective_message
    assert message is not None
    if message.photo:
        file_id, size, mime = message.photo[-1].file_id, message.photo[-1].file_size, "image/jpeg"
    elif message.document is not None and photos.is_image(message.document.mime_type):
        file_id, size = message.document.file_id, message.document.file_size
        mime = message.document.mime_type or "image/jpeg"
    else:
        key = "rectify.photo_only" if message.document is not None else "rectify.photo_or_done"
        await message.reply_text(context.text(key))
        return
    kept = list(flow.get("photos", []))
    if len(kept) >= MAX_PHOTOS:
        await message.reply_text(context.text("rectify.too_many_photos"))
        return
    if photos.too_big(size):
        await message.reply_text(context.text("rectify.photo_too_big"))
        return
    data = bytes(await (await context.bot.get_file(file_id)).download_as_bytearray())
    try:
        photo = photos.store(context.runtime.data_dir, data, file_id, mime_type=mime)
    except ReportRejected as rejected:
        await message.reply_text(context.text(rejected.key))
        return
    async with context.runtime.session() as session:
        report, refusal = await still_allowed(session, context, flow)
        kept.append(
            {"file_id": photo.file_id, "sha256": photo.sha256, "path": photo.path, "size": photo.size}
        )
        moved = (
            await flows.advance(session, flow, step="photos", now=context.now, photos=kept)
            if report
            else None
        )
    await pickers.reply(
        message,
        (refusal, None)
        if refusal
        else views.photos(context, moved)
        if moved
        else (context.text("flows.stale"), None),
    )


async def note_typed(update: Update, context: BotContext, flow: Flow) -> None:
    message = update.effective_message
    assert message is not None
    if message.text is None:
        await message.reply_text(context.text("rectify.note_text"))
        return
    try:
        note = rights.checked_text(
            message.text, limit=NOTE_LIMIT, blank="rectify.note_blank", too_long="rectify.note_too_long"
        )
    except RectifyRefused as refused:
        await message.reply_text(context.text(refused.key))
        return
    async with context.runtime.session() as session:
        report, refusal = await still_allowed(session, context, flow)
        moved = (
            await flows.advance(session, flow, step="summary", now=context.now, note=note) if report else None
        )
    await pickers.reply(
        message,
        (refusal, None)
        if refusal
        else views.rectify_summary(context, moved)
        if moved
        else (context.text("flows.stale"), None),
    )


async def use_buttons(update: Update, context: BotContext, flow: Flow) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(context.text("flows.use_buttons"))


def deadline_in(days: int, today_is: date) -> date:
    return today_is + timedelta(days=days)


async def alert(query: CallbackQuery, text: str | None, context: BotContext) -> None:
    await query.answer(text or context.text("flows.stale"), show_alert=True)


async def open_flow(
    query: CallbackQuery, context: BotContext, interrupted: str | None, screen: Screen
) -> None:
    """Answer the press and open the flow's first message (after saying which flow it interrupted)."""
    await query.answer()
    chat = query.message.chat.id if query.message is not None else query.from_user.id
    if interrupted:
        await context.bot.send_message(
            chat, context.text("flows.interrupted", flow=flow_name(context, interrupted))
        )
    await context.bot.send_message(chat, screen[0], reply_markup=screen[1])


async def start_flow(
    context: BotContext, session: AsyncSession, name: str, step: str, report: Report, **data: Any
) -> tuple[Flow, str | None]:
    assert context.actor is not None
    return await flows.start(
        session,
        person_id=context.actor.person_id,
        name=name,
        step=step,
        now=context.now,
        report=report.id,
        rv=report.version,
        number=report.number,
        **data,
    )


STEPS = {
    (ASSIGN_FLOW, "person"): person_typed,
    (ASSIGN_FLOW, "deadline"): deadline_typed,
    (ASSIGN_FLOW, "measures"): measures_typed,
    (ASSIGN_FLOW, "summary"): use_buttons,
    (RECTIFY_FLOW, "photos"): photo_sent,
    (RECTIFY_FLOW, "note"): note_typed,
    (RECTIFY_FLOW, "summary"): use_buttons,
}
