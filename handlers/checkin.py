"""The check-in flow: /checkin, 'all fine', 'something is wrong' (items, note, photo), shared location."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import KeyboardButton, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.error import BadRequest

from handlers import buttons
from handlers.context import BotContext
from handlers.render import button_data, inline, view_for
from safety import checkin, flows, textcheck
from safety.checkin import NOTE_LIMIT, Answer, AnswerOutcome
from safety.flows import Flow
from safety.views import Line, render_line

logger = logging.getLogger(__name__)
ISSUE_FLOW, LOCATION_FLOW = "checkin_issue", "checkin_location"


async def checkin_command(update: Update, context: BotContext) -> None:
    """Send today's checklist again while the round is open."""
    message = update.effective_message
    assert message is not None and context.actor is not None
    async with context.runtime.reading() as session:
        found = await checkin.todays_checklist(
            session, actor=context.actor, now=context.now, defaults=context.defaults
        )
    if found.view is None:
        key = {Answer.ALREADY: "checkin.already", Answer.NOT_EXPECTED: "checkin.not_expected"}
        await message.reply_text(context.text(key.get(found.answer, "checkin.no_round"), time=found.time))
        return
    text, markup = view_for(context, found.view)
    await message.reply_text(text, reply_markup=markup)


def _split(arg: str) -> tuple[int, str] | None:
    round_id, _, rest = arg.partition(".")
    return (int(round_id), rest) if round_id.isdigit() else None


async def answer_pressed(update: Update, context: BotContext, arg: str) -> None:
    """'ci' buttons: <round>.ok or <round>.issue."""
    query = update.callback_query
    assert query is not None
    parsed = _split(arg)
    if parsed is None or parsed[1] not in {"ok", "issue"}:
        await buttons.refuse(update, context, "access.button_invalid")
        return
    round_id, what = parsed
    if what == "issue":
        await _start_issue(update, context, round_id)
        return
    # Acknowledged at once (by the guard, before the actor was read, or here), while the answer is
    # recorded: the two wait on different servers; the checklist message then becomes the receipt.
    ack = context.early_ack or asyncio.create_task(query.answer())
    try:
        await _record(update, context, round_id, fit=True)
    finally:
        await ack


async def _record(update: Update, context: BotContext, round_id: int, *, fit: bool, **details: Any) -> None:
    actor = context.actor
    assert actor is not None
    async with context.runtime.session() as session:
        outcome = await checkin.answer(
            session,
            actor=actor,
            round_id=round_id,
            fit=fit,
            now=context.now,
            defaults=context.defaults,
            **details,
        )
        if outcome.answer is Answer.NEED_LOCATION:
            await flows.start(
                session,
                person_id=actor.person_id,
                name=LOCATION_FLOW,
                step="location",
                now=context.now,
                round=round_id,
            )
        elif outcome.answer is not Answer.NOT_CLEARED and actor.waiting_for is not None:
            await flows.end(session, person_id=actor.person_id)  # an answer ends a half-done issue
    if outcome.notified:
        context.runtime.wake_dispatchers()
    await _tell(update, context, outcome)


async def _tell(update: Update, context: BotContext, outcome: AnswerOutcome) -> None:
    text = context.text(f"checkin.{_KEYS[outcome.answer]}", time=outcome.time, due=outcome.due)
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


_KEYS = {
    Answer.ON_TIME: "recorded_on_time",
    Answer.LATE: "recorded_late",
    Answer.ISSUE: "recorded_issue",
    Answer.ALREADY: "already",
    Answer.NOT_EXPECTED: "not_expected",
    Answer.NO_ROUND: "no_round",
    Answer.NOT_CLEARED: "not_cleared",
    Answer.NEED_LOCATION: "ask_location",
}


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


def _item_keyboard(context: BotContext, flow: Flow, items: list[Line]) -> Any:
    picked = set(flow.get("picked", []))
    round_id = flow.get("round")
    rows = []
    for index, item in enumerate(items):
        key = "checkin.item_toggle_on" if index in picked else "checkin.item_toggle_off"
        label = context.text(key, item=render_line(item, context.language))
        rows.append([(label, button_data(context, action="cit", arg=f"{round_id}.{index}"))])
    rows.append([(context.text("checkin.submit"), button_data(context, action="cis", arg=str(round_id)))])
    return inline(rows)


async def _start_issue(update: Update, context: BotContext, round_id: int) -> None:
    query = update.callback_query
    assert query is not None and context.actor is not None and update.effective_chat is not None
    async with context.runtime.session() as session:
        items = await checkin.issue_items(session, round_id=round_id)
        if items is None:
            flow = None
        else:
            flow, _ = await flows.start(
                session,
                person_id=context.actor.person_id,
                name=ISSUE_FLOW,
                step="items",
                now=context.now,
                round=round_id,
                picked=[],
            )
    if items is None or flow is None:
        await query.answer(context.text("checkin.no_round"), show_alert=True)
        return
    await query.answer()
    await context.bot.send_message(
        update.effective_chat.id,
        context.text("checkin.choose_items"),
        reply_markup=_item_keyboard(context, flow, items),
    )


async def _issue_flow(context: BotContext, session: Any, round_id: int) -> Flow | None:
    assert context.actor is not None
    flow = await flows.current(session, person_id=context.actor.person_id, now=context.now)
    if (
        isinstance(flow, Flow)
        and flow.name == ISSUE_FLOW
        and flow.step == "items"
        and flow.get("round") == round_id
    ):
        return flow
    return None


async def item_toggled(update: Update, context: BotContext, arg: str) -> None:
    """'cit' buttons: <round>.<item index> toggles an item of the issue being described."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    parsed = _split(arg)
    if parsed is None or not parsed[1].isdigit():
        await query.answer(context.text("access.button_invalid"), show_alert=True)
        return
    round_id, index = parsed[0], int(parsed[1])
    async with context.runtime.session() as session:
        flow = await _issue_flow(context, session, round_id)
        items = await checkin.issue_items(session, round_id=round_id) if flow else None
        if flow is not None and items is not None and index < len(items):
            picked = set(flow.get("picked", [])) ^ {index}
            flow = await flows.advance(session, flow, step="items", now=context.now, picked=sorted(picked))
        else:
            flow = None
    if flow is None or items is None:
        await query.answer(context.text("access.button_invalid"), show_alert=True)
        return
    await query.answer()
    await query.edit_message_reply_markup(_item_keyboard(context, flow, items))


async def items_submitted(update: Update, context: BotContext, arg: str) -> None:
    """'cis': the items are chosen; ask for the note."""
    query = update.callback_query
    assert query is not None and context.actor is not None and update.effective_chat is not None
    round_id = int(arg) if arg.isdigit() else -1
    async with context.runtime.session() as session:
        flow = await _issue_flow(context, session, round_id)
        if flow is None:
            await query.answer(context.text("access.button_invalid"), show_alert=True)
            return
        if not flow.get("picked"):
            await query.answer(context.text("checkin.pick_one"), show_alert=True)
            return
        items = await checkin.issue_items(session, round_id=round_id) or []
        chosen = [render_line(items[i], context.language) for i in flow.get("picked", []) if i < len(items)]
        await flows.advance(session, flow, step="note", now=context.now, items=chosen)
    await query.answer()
    await query.edit_message_reply_markup(None)
    await context.bot.send_message(
        update.effective_chat.id, context.text("checkin.ask_note", limit=NOTE_LIMIT)
    )


async def location_shared(update: Update, context: BotContext, flow: Flow) -> None:
    """The shared location a round of `require_location` asked for."""
    message = update.effective_message
    assert message is not None and message.location is not None
    location = (message.location.latitude, message.location.longitude)
    await _record(update, context, int(flow.get("round")), fit=True, location=location)


async def note_sent(update: Update, context: BotContext, flow: Flow) -> None:
    """The note (text, or a photo's caption) that describes the issue; it records the check-in."""
    message = update.effective_message
    assert message is not None
    note = message.text if message.text is not None else message.caption
    if note is None or textcheck.is_blank(note):
        await message.reply_text(context.text("checkin.need_note"))
        return
    if len(note) > NOTE_LIMIT:
        await message.reply_text(context.text("checkin.note_too_long", limit=NOTE_LIMIT))
        return
    photo = message.photo[-1].file_id if message.photo else None
    items = list(flow.get("items", []))
    await _record(
        update,
        context,
        int(flow.get("round")),
        fit=False,
        items=items,
        note=note.strip(),
        photo_file_id=photo,
    )


STEPS = {(ISSUE_FLOW, "note"): note_sent, (LOCATION_FLOW, "location"): location_shared}
