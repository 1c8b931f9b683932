"""Typed input, photos, image files and shared locations of /report, and `move`: an answer is merged into
the draft and the flow goes on to the first step still unanswered (the summary once all are). Bad input
gets a clear message and changes nothing."""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Message, Update
from telegram.error import BadRequest

from handlers import pickers
from handlers import report_flow_views as views
from handlers.context import BotContext
from handlers.report_flow_views import EDIT
from safety import flows
from safety.flows import Flow
from safety.reports import drafts, photos
from safety.reports.categories import list_by_id, list_in_force
from safety.reports.create import ReportRejected
from safety.reports.drafts import (
    CASUALTIES,
    CATEGORY,
    DESCRIPTION,
    FLOW,
    KIND,
    LOCATION,
    PHOTOS,
    SEVERITY,
    SUMMARY,
)
from safety.reports.rules import LOCATION_LIMIT, MAX_PHOTOS

logger = logging.getLogger(__name__)
TYPED_LIMIT = 64  # a typed choice (kind, category, severity, casualties) longer than this is no choice


async def move(session: AsyncSession, context: BotContext, flow: Flow, **changes: Any) -> Flow | None:
    """Merge `changes` and go to the next unanswered step; arriving at the category step fixes the list in
    force on the report's local date. None: the flow changed meanwhile."""
    assert context.actor is not None
    data = {**flow.data, **changes}
    step = drafts.next_step(data)
    if step == CATEGORY and not data.get("list_id"):
        on = await drafts.local_date(
            session, data, reporter_unit=context.actor.unit_id, now=context.now, defaults=context.defaults
        )
        changes.update(list_id=(await list_in_force(session, str(data["kind"]), on)).id, page=0)
    return await flows.advance(session, flow, step=step, now=context.now, **changes)


async def _answer(update: Update, context: BotContext, flow: Flow, **changes: Any) -> None:
    """Apply a typed answer and reply the next step's message (or that the flow changed meanwhile)."""
    message = update.effective_message
    assert message is not None
    screen = None
    async with context.runtime.session() as session:
        moved = await move(session, context, flow, **changes)
        if moved is not None:
            screen = await views.screen(session, context, moved)
    await pickers.reply(message, screen or (context.text("flows.stale"), None))


def _typed(message: Message) -> str | None:
    """The message's text, or None when it is something else (a photo, a file, a location)."""
    return message.text if message.text is not None else None


async def _need_text(message: Message, context: BotContext) -> None:
    await message.reply_text(context.text("report_flow.text_expected"))


async def kind_typed(update: Update, context: BotContext, flow: Flow) -> None:
    message = update.effective_message
    assert message is not None
    text = _typed(message)
    kind = drafts.typed_kind(text) if text is not None and len(text) <= TYPED_LIMIT else None
    if kind is None:
        await message.reply_text(context.text("report_flow.kind_unknown"))
        return
    await _answer(update, context, flow, kind=kind)


async def category_typed(update: Update, context: BotContext, flow: Flow) -> None:
    message = update.effective_message
    assert message is not None
    text = (_typed(message) or "").strip()
    item = None
    if text and len(text) <= TYPED_LIMIT:
        async with context.runtime.reading() as session:
            listed = await list_by_id(session, str(flow.get("list_id")))
        item = listed.find(text) if listed is not None else None
    if item is None:
        await message.reply_text(context.text("report_flow.category_unknown", value=text[:TYPED_LIMIT]))
        return
    await _answer(update, context, flow, category_code=item.code, category_name=item.name)


async def severity_typed(update: Update, context: BotContext, flow: Flow) -> None:
    message = update.effective_message
    assert message is not None
    text = _typed(message)
    severity = drafts.typed_severity(text) if text is not None and len(text) <= TYPED_LIMIT else None
    if severity is None:
        await message.reply_text(context.text("report_flow.severity_unknown"))
        return
    await _answer(update, context, flow, severity=severity)


async def casualties_typed(update: Update, context: BotContext, flow: Flow) -> None:
    message = update.effective_message
    assert message is not None
    text = _typed(message)
    counts = drafts.casualties(text) if text is not None and len(text) <= TYPED_LIMIT else None
    if counts is None:
        await message.reply_text(context.text("report_flow.casualties_invalid"))
        return
    deaths, serious, minor = counts
    await _answer(update, context, flow, deaths=deaths, serious=serious, minor=minor)


async def location_given(update: Update, context: BotContext, flow: Flow) -> None:
    """A typed place, or a shared location (Telegram's location message)."""
    message = update.effective_message
    assert message is not None
    if message.location is not None:
        lat, lon = message.location.latitude, message.location.longitude
        await _answer(update, context, flow, lat=lat, lon=lon, location_text=None)
        return
    text = _typed(message)
    if text is None:
        await message.reply_text(context.text("report_flow.location_expected"))
        return
    problem = drafts.location_problem(text)
    if problem is not None:
        await message.reply_text(context.text(problem, limit=LOCATION_LIMIT))
        return
    await _answer(update, context, flow, location_text=text.strip())


async def description_typed(update: Update, context: BotContext, flow: Flow) -> None:
    message = update.effective_message
    assert message is not None
    text = _typed(message)
    if text is None:
        await _need_text(message, context)
        return
    problem = drafts.description_problem(text)
    if problem is not None:
        await message.reply_text(context.text(problem))
        return
    await _answer(update, context, flow, description=text.strip())


async def photo_sent(update: Update, context: BotContext, flow: Flow) -> None:
    """A photo, or an image sent as a file (JPEG, PNG, WebP): fetched, checked against the size limit,
    kept under the data folder by its hash and added to the draft. Anything else changes nothing."""
    message = update.effective_message
    assert message is not None
    if message.photo:
        file_id, size, mime = message.photo[-1].file_id, message.photo[-1].file_size, "image/jpeg"
    elif message.document is not None:
        document = message.document
        if not photos.is_image(document.mime_type):
            await message.reply_text(context.text("report_flow.not_an_image"))
            return
        file_id, size, mime = document.file_id, document.file_size, str(document.mime_type).lower()
    else:
        await message.reply_text(context.text("report_flow.photo_expected"))
        return
    if not drafts.room_for_photo(flow.data):
        await message.reply_text(context.text("report_flow.too_many_photos", max=MAX_PHOTOS))
        return
    if photos.too_big(size):
        await message.reply_text(context.text("report_flow.photo_too_big"))
        return
    try:
        data = bytes(await (await context.bot.get_file(file_id)).download_as_bytearray())
        photo = photos.store(context.runtime.data_dir, data, file_id, mime_type=mime)
    except BadRequest as exc:  # Telegram refuses getFile over 20 MB: "file is too big"
        logger.info("report photo not fetched: %s", exc)
        too_big = "too big" in str(exc).lower()
        key = "report_flow.photo_too_big" if too_big else "report_flow.photo_failed"
        await message.reply_text(context.text(key))
        return
    except ReportRejected as exc:
        await message.reply_text(context.text(exc.key))
        return
    screen = None
    async with context.runtime.session() as session:
        moved = await flows.advance(
            session, flow, step=PHOTOS, now=context.now, photos=drafts.with_photo(flow.data, photo)
        )
        screen = views.photos(context, moved) if moved is not None else None
    await pickers.reply(message, screen or (context.text("flows.stale"), None))


async def buttons_only(update: Update, context: BotContext, flow: Flow) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(context.text("report_flow.use_buttons"))


STEPS = {
    (FLOW, KIND): kind_typed,
    (FLOW, CATEGORY): category_typed,
    (FLOW, SEVERITY): severity_typed,
    (FLOW, CASUALTIES): casualties_typed,
    (FLOW, LOCATION): location_given,
    (FLOW, DESCRIPTION): description_typed,
    (FLOW, PHOTOS): photo_sent,
    (FLOW, SUMMARY): buttons_only,
    (FLOW, EDIT): buttons_only,
}
