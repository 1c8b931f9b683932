"""The check-in flow: /checkin, 'all fine', 'something is wrong' (items, note, photo), shared location."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import KeyboardButton, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, MessageHandler, filters

from handlers import violation
from handlers.context import BotContext
from handlers.render import button_data, inline
from safety import checkin
from safety.checkin import NOTE_LIMIT, Answer, AnswerOutcome
from safety.rounds import Schedule, checklist, round_message, zone
from storage import duty_queries as dq
from storage.models import Round, Unit

logger = logging.getLogger(__name__)


async def checkin_command(update: Update, context: BotContext) -> None:
    """Send today's checklist again while the round is open."""
    message = update.effective_message
    assert message is not None
    async with context.services.database.session() as session:
        person = await context.person(session)
        round_ = await checkin.todays_round(
            session, person=person, now=context.now, default_timezone=context.services.timezone
        )
        unit = await session.get(Unit, person.unit_id)
        done = (
            await dq.checkin_of(session, round_id=round_.id, person_id=person.id or 0)
            if round_ and round_.id
            else None
        )
        expected = round_ is not None and await dq.obligation_of(
            session, kind="checkin", ref=f"round:{round_.id}", subject_id=person.id or 0
        )
    if round_ is None or unit is None or round_.id is None or (schedule := Schedule.of(unit)) is None:
        await message.reply_text(context.text("checkin.no_round"))
        return
    tz = zone(unit, context.services.timezone)
    if done is not None:
        await message.reply_text(
            context.text("checkin.already", time=done.at.astimezone(tz).strftime("%H:%M"))
        )
        return
    if not expected:
        await message.reply_text(context.text("checkin.not_expected"))
        return
    out = round_message(
        round_id=round_.id,
        unit=unit,
        schedule=schedule,
        due_at=round_.due_at,
        language=context.language,
        tz=tz,
    )
    rows = [[(b.label, button_data(context, action=b.action, arg=b.arg)) for b in row] for row in out.buttons]
    await message.reply_text(out.text, reply_markup=inline(rows))


def _split(arg: str) -> tuple[int, str] | None:
    round_id, _, rest = arg.partition(".")
    return (int(round_id), rest) if round_id.isdigit() else None


async def answer_pressed(update: Update, context: BotContext, arg: str) -> None:
    """'ci' buttons: <round>.ok or <round>.issue."""
    query = update.callback_query
    assert query is not None
    parsed = _split(arg)
    if parsed is None or parsed[1] not in {"ok", "issue"}:
        await query.answer(context.text("access.button_invalid"), show_alert=True)
        return
    round_id, what = parsed
    if what == "issue":
        await _start_issue(update, context, round_id)
        return
    # Acknowledge at once, while the answer is recorded (the two wait on different servers); the checklist
    # message then becomes the receipt.
    ack = asyncio.create_task(query.answer())
    try:
        await _record(update, context, round_id, fit=True)
    finally:
        await ack


async def _record(update: Update, context: BotContext, round_id: int, *, fit: bool, **details: Any) -> None:
    actor = context.actor
    assert actor is not None
    async with context.services.database.session() as session:
        outcome = await checkin.answer(
            session,
            actor=actor,
            round_id=round_id,
            fit=fit,
            now=context.now,
            settings=context.defaults,
            **details,
        )
        if outcome.answer is Answer.NEED_LOCATION:
            await dq.set_state(
                session,
                person_id=actor.person_id,
                kind="ci_location",
                data={"round": round_id},
                now=context.now,
            )
        elif outcome.answer is not Answer.NOT_CLEARED and actor.waiting_for is not None:
            await dq.clear_state(session, person_id=actor.person_id)  # an answer ends a half-done issue
    await _tell(update, context, outcome)


async def _tell(update: Update, context: BotContext, outcome: AnswerOutcome) -> None:
    text = {
        Answer.ON_TIME: lambda: context.text("checkin.recorded_on_time", time=outcome.time),
        Answer.LATE: lambda: context.text("checkin.recorded_late", time=outcome.time, due=outcome.due),
        Answer.ISSUE: lambda: context.text("checkin.recorded_issue", time=outcome.time),
        Answer.ALREADY: lambda: context.text("checkin.already", time=outcome.time),
        Answer.NOT_EXPECTED: lambda: context.text("checkin.not_expected"),
        Answer.NO_ROUND: lambda: context.text("checkin.no_round"),
        Answer.NOT_CLEARED: lambda: context.text("checkin.not_cleared"),
        Answer.NEED_LOCATION: lambda: context.text("checkin.ask_location"),
    }[outcome.answer]()
    markup: Any = None
    if outcome.answer is Answer.NEED_LOCATION:
        markup = ReplyKeyboardMarkup(
            [[KeyboardButton(context.text("checkin.share_location"), request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    elif update.message is not None and update.message.location is not None:
        markup = ReplyKeyboardRemove()
    query = update.callback_query
    card = query.message if query is not None and isinstance(query.message, Message) else None
    fine = outcome.answer in {Answer.ON_TIME, Answer.LATE}
    if fine and card is not None and card.text and await _turn_into_receipt(card, text, context):
        return
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)
    if card is not None and outcome.answer in {Answer.ALREADY, Answer.NO_ROUND}:
        try:  # the buttons of an answered round go; a second press finds them gone already
            await card.edit_reply_markup(None)
        except BadRequest as exc:
            logger.debug("check-in buttons already removed: %s", exc)


async def _turn_into_receipt(card: Message, result: str, context: BotContext) -> bool:
    """The checklist message becomes the receipt: the result on top, the items kept, the buttons gone.

    One Bot API call instead of a new message plus a keyboard edit (the morning rush's press path)."""
    body = (card.text or "").removesuffix(context.text("checkin.open_hint")).rstrip()
    try:
        await card.edit_text(f"{result}\n\n{body}", reply_markup=None)
    except BadRequest as exc:  # deleted, too old, or edited already by a racing press
        logger.debug("check-in card not edited, answering with a message: %s", exc)
        return False
    return True


async def _items_of(context: BotContext, round_id: int) -> list[str] | None:
    async with context.services.database.session() as session:
        round_ = await session.get(Round, round_id)
        unit = await session.get(Unit, round_.unit_id) if round_ else None
    return checklist(Schedule.of(unit), context.language) if unit else None


def _item_keyboard(context: BotContext, round_id: int, items: list[str], picked: list[int]) -> Any:
    rows = []
    for index, item in enumerate(items):
        key = "checkin.item_toggle_on" if index in picked else "checkin.item_toggle_off"
        rows.append(
            [(context.text(key, item=item), button_data(context, action="cit", arg=f"{round_id}.{index}"))]
        )
    rows.append([(context.text("checkin.submit"), button_data(context, action="cis", arg=str(round_id)))])
    return inline(rows)


async def _start_issue(update: Update, context: BotContext, round_id: int) -> None:
    query = update.callback_query
    assert query is not None and context.actor is not None and update.effective_chat is not None
    items = await _items_of(context, round_id)
    if items is None:
        await query.answer(context.text("checkin.no_round"), show_alert=True)
        return
    async with context.services.database.session() as session:
        await dq.set_state(
            session,
            person_id=context.actor.person_id,
            kind="ci_items",
            data={"round": round_id, "picked": []},
            now=context.now,
        )
    await query.answer()
    await context.bot.send_message(
        update.effective_chat.id,
        context.text("checkin.choose_items"),
        reply_markup=_item_keyboard(context, round_id, items, []),
    )


async def item_toggled(update: Update, context: BotContext, arg: str) -> None:
    """'cit' buttons: <round>.<item index> toggles an item of the issue being described."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    parsed = _split(arg)
    async with context.services.database.session() as session:
        state = await dq.get_state(session, person_id=context.actor.person_id)
        data = dict(state.data or {}) if state and state.kind == "ci_items" else None
        if parsed is None or not parsed[1].isdigit() or data is None or data.get("round") != parsed[0]:
            await query.answer(context.text("access.button_invalid"), show_alert=True)
            return
        index = int(parsed[1])
        picked = (
            [i for i in data.get("picked", []) if i != index]
            if index in data.get("picked", [])
            else [*data.get("picked", []), index]
        )
        await dq.set_state(
            session,
            person_id=context.actor.person_id,
            kind="ci_items",
            data={"round": parsed[0], "picked": sorted(picked)},
            now=context.now,
        )
    items = await _items_of(context, parsed[0]) or []
    await query.answer()
    await query.edit_message_reply_markup(_item_keyboard(context, parsed[0], items, sorted(picked)))


async def items_submitted(update: Update, context: BotContext, arg: str) -> None:
    """'cis': the items are chosen; ask for the note."""
    query = update.callback_query
    assert query is not None and context.actor is not None and update.effective_chat is not None
    async with context.services.database.session() as session:
        state = await dq.get_state(session, person_id=context.actor.person_id)
        data = dict(state.data or {}) if state and state.kind == "ci_items" else None
        if data is None or str(data.get("round")) != arg:
            await query.answer(context.text("access.button_invalid"), show_alert=True)
            return
        if not data.get("picked"):
            await query.answer(context.text("checkin.pick_one"), show_alert=True)
            return
        items = await _items_of(context, int(arg)) or []
        chosen = [items[i] for i in data["picked"] if i < len(items)]
        await dq.set_state(
            session,
            person_id=context.actor.person_id,
            kind="ci_note",
            data={"round": int(arg), "items": chosen},
            now=context.now,
        )
    await query.answer()
    await query.edit_message_reply_markup(None)
    await context.bot.send_message(
        update.effective_chat.id, context.text("checkin.ask_note", limit=NOTE_LIMIT)
    )


async def free_input(update: Update, context: BotContext) -> None:
    """Text, photo or location while the bot waits for a check-in note or location; else a hint."""
    message: Message | None = update.effective_message
    assert message is not None and context.actor is not None
    async with context.services.database.session() as session:
        state = await dq.get_state(session, person_id=context.actor.person_id)
    kind, data = (state.kind, dict(state.data or {})) if state else (None, {})
    if kind == violation.PHOTO_STATE and message.photo:
        await violation.attach_photo(update, context, int(data["violation"]))
        return
    if kind == "ci_location" and message.location is not None:
        await _record(
            update,
            context,
            int(data["round"]),
            fit=True,
            location=(message.location.latitude, message.location.longitude),
        )
        return
    if kind == "ci_note":
        note = message.text if message.text is not None else message.caption
        if not note or not note.strip():
            await message.reply_text(context.text("checkin.need_note"))
            return
        if len(note) > NOTE_LIMIT:
            await message.reply_text(context.text("checkin.note_too_long", limit=NOTE_LIMIT))
            return
        photo = message.photo[-1].file_id if message.photo else None
        await _record(
            update,
            context,
            int(data["round"]),
            fit=False,
            items=list(data.get("items", [])),
            note=note.strip(),
            photo_file_id=photo,
        )
        return
    await message.reply_text(context.text("access.free_text"))


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    content = (filters.TEXT & ~filters.COMMAND) | filters.PHOTO | filters.LOCATION
    return [MessageHandler(content & filters.ChatType.PRIVATE, free_input)]
