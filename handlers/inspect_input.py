"""Typed input and photos of /inspect: a typed place, the note and the photo of a 隐患 item; and what the
presses share with them (rights at this moment, the step after an answer). Rights are checked as for
presses (handlers/inspect.py)."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Message, Update

from handlers import inspect_views as views
from handlers import pickers
from handlers.context import BotContext
from handlers.inspect_views import FLOW
from safety import flows, textcheck
from safety.flows import Flow
from safety.inspections import inspections
from safety.inspections.inspections import HAZARD, LOCATION_LIMIT, NOTE_LIMIT
from safety.reports import photos
from safety.reports.create import Photo, ReportRejected
from safety.reports.rules import PHOTO_MAX_BYTES

MB = 1024 * 1024


async def allowed(session: AsyncSession, context: BotContext, flow: Flow) -> bool:
    """Rights at this moment: still an inspector, and the chosen location still in scope; else the flow
    ends."""
    assert context.actor is not None
    location_id = flow.get("location_id")
    if inspections.may_inspect(context.actor) and (
        location_id is None
        or await inspections.location_in_scope(session, context.actor, str(location_id)) is not None
    ):
        return True
    await flows.end(session, person_id=context.actor.person_id, version=flow.version)
    return False


def answered(flow: Flow, answer: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The step after one more answer, and the flow's changes."""
    answers = [*flow.get("answers", []), answer]
    step = "item" if len(answers) < len(flow.get("items", [])) else "summary"
    return step, {"answers": answers, "pending": None, "note": None}


async def add_hazard(
    session: AsyncSession, context: BotContext, flow: Flow, *, note: str | None, photo: Photo | None
) -> Flow | None:
    """The pending 隐患 item with its note and photo; on to the next item or the summary."""
    stored = (
        {"file_id": photo.file_id, "sha256": photo.sha256, "path": photo.path, "size": photo.size}
        if photo
        else None
    )
    step, changes = answered(flow, {"r": HAZARD, "note": note, "photo": stored})
    return await flows.advance(session, flow, step=step, now=context.now, **changes)


async def choose_place(session: AsyncSession, context: BotContext, flow: Flow, **place: Any) -> Flow | None:
    return await flows.advance(session, flow, step="item", now=context.now, answers=[], **place)


async def _reply(message: Message, context: BotContext, may: bool, moved: Flow | None) -> None:
    if not may:
        await message.reply_text(context.text("inspect.not_allowed"))
    elif moved is None:
        await message.reply_text(context.text("flows.stale"))
    else:
        await pickers.reply(message, views.next_screen(context, moved))


async def location_typed(update: Update, context: BotContext, flow: Flow) -> None:
    """A typed place (when no location button fits)."""
    message = update.effective_message
    assert message is not None
    typed = textcheck.plain_spaces(message.text or "").strip()
    if not typed or textcheck.is_blank(typed):
        await message.reply_text(context.text("inspect.location_blank"))
        return
    if len(typed) > LOCATION_LIMIT:
        await message.reply_text(context.text("inspect.location_too_long", limit=LOCATION_LIMIT))
        return
    if textcheck.control_characters(typed):
        await message.reply_text(context.text("inspect.control_characters"))
        return
    async with context.runtime.session() as session:
        may = await allowed(session, context, flow)
        moved = await choose_place(session, context, flow, location_text=typed) if may else None
    await _reply(message, context, may, moved)


def _note_problem(context: BotContext, note: str) -> str | None:
    if textcheck.is_blank(note):
        return context.text("inspect.note_blank")
    if len(note) > NOTE_LIMIT:
        return context.text("inspect.note_too_long", limit=NOTE_LIMIT)
    if textcheck.control_characters(note, multiline=True):
        return context.text("inspect.control_characters")
    return None


async def fetch_photo(context: BotContext, message: Message) -> Photo | str:
    """The photo of a message (an image document counts) kept under the data folder, or the text that
    refuses it (too big, not an image)."""
    if message.photo:
        size, file_id, mime = message.photo[-1].file_size, message.photo[-1].file_id, "image/jpeg"
    elif message.document is not None and photos.is_image(message.document.mime_type):
        document = message.document
        size, file_id, mime = document.file_size, document.file_id, str(document.mime_type)
    else:
        return context.text("inspect.photo_or_skip")
    if photos.too_big(size):
        return context.text("inspect.photo_too_big", limit=PHOTO_MAX_BYTES // MB)
    data = bytes(await (await context.bot.get_file(file_id)).download_as_bytearray())
    try:
        return photos.store(context.runtime.data_dir, data, file_id, mime_type=mime)
    except ReportRejected:
        return context.text("inspect.photo_too_big", limit=PHOTO_MAX_BYTES // MB)


def _has_picture(message: Message) -> bool:
    return bool(message.photo) or message.document is not None


async def note_typed(update: Update, context: BotContext, flow: Flow) -> None:
    """The note of a 隐患 item, typed; a photo (its caption the note, if any) gives both at once."""
    message = update.effective_message
    assert message is not None
    picture = _has_picture(message)
    note = message.text if message.text is not None else message.caption
    if note is None and not picture:
        await message.reply_text(context.text("inspect.note_or_skip"))
        return
    problem = _note_problem(context, note) if note is not None else None
    if problem is not None:
        await message.reply_text(problem)
        return
    clean = note.strip() if note is not None else None
    photo = await fetch_photo(context, message) if picture else None
    if isinstance(photo, str):
        await message.reply_text(photo)
        return
    async with context.runtime.session() as session:
        may = await allowed(session, context, flow)
        moved = None
        if may and picture:
            moved = await add_hazard(session, context, flow, note=clean, photo=photo)
        elif may:
            moved = await flows.advance(session, flow, step="photo", now=context.now, note=clean)
    await _reply(message, context, may, moved)


async def photo_sent(update: Update, context: BotContext, flow: Flow) -> None:
    message = update.effective_message
    assert message is not None
    if not _has_picture(message):
        await message.reply_text(context.text("inspect.photo_or_skip"))
        return
    photo = await fetch_photo(context, message)
    if isinstance(photo, str):
        await message.reply_text(photo)
        return
    async with context.runtime.session() as session:
        may = await allowed(session, context, flow)
        moved = await add_hazard(session, context, flow, note=flow.get("note"), photo=photo) if may else None
    await _reply(message, context, may, moved)


async def use_buttons(update: Update, context: BotContext, flow: Flow) -> None:
    assert update.effective_message is not None
    key = "flows.use_buttons" if flow.step == "summary" else "inspect.use_buttons"
    await update.effective_message.reply_text(context.text(key))


STEPS: dict[tuple[str, str], Any] = {
    (FLOW, "checklist"): use_buttons,
    (FLOW, "location"): location_typed,
    (FLOW, "item"): use_buttons,
    (FLOW, "note"): note_typed,
    (FLOW, "photo"): photo_sent,
    (FLOW, "summary"): use_buttons,
}
