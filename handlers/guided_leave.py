"""The guided /leave (no arguments): the first day (`今天` / `明天` / `后天` with the dates, or typed), the
last day (the same day, +1, +2 ..., or typed), the reason (typed), a summary with `提交` / `取消`. The rules
are those of `/leave FROM [TO] REASON` (safety.leave: at most MAX_DAYS days, not in the past, the last day
not before the first), and `提交` stores and sends the request as it does. Flow "leave"; every press is
checked against the flow's current step and version, and the presser's right to ask for leave."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import CallbackQuery, Update

from handlers import pickers
from handlers.context import BotContext
from handlers.pickers import Press, Row, Screen
from handlers.render import inline
from safety import flows, leave
from safety.access import may_run
from safety.flows import Flow
from safety.leave import MAX_DAYS, REASON_LIMIT, LeaveError

FLOW, ACTION = "leave", "lg"
_STEP_OF = {"f": "first", "l": "last", "ok": "summary"}
_FIRST_KEYS = ("leave.first_today", "leave.first_tomorrow", "leave.first_day_after")


def _short(day: date) -> str:
    return f"{day:%m-%d}"


def _day(flow: Flow, key: str) -> date:
    return date.fromisoformat(str(flow.get(key)))


def _days(first: date, last: date) -> int:
    return (last - first).days + 1


def _first_screen(context: BotContext, flow: Flow, today: date) -> Screen:
    row: Row = [
        pickers.button(context, ACTION, flow, context.text(key, day=_short(day)), "f", f"{day:%Y%m%d}")
        for key, day in ((k, today + timedelta(days=n)) for n, k in enumerate(_FIRST_KEYS))
    ]
    return context.text("leave.pick_first"), inline([row, pickers.cancel_row(context, ACTION, flow)])


def _last_screen(context: BotContext, flow: Flow, today: date) -> Screen:
    first = _day(flow, "first")
    buttons = [
        pickers.button(
            context,
            ACTION,
            flow,
            context.text("leave.last_same_day", day=_short(day))
            if day == first
            else context.text("leave.last_button", day=_short(day), days=_days(first, day)),
            "l",
            f"{day:%Y%m%d}",
        )
        for day in leave.last_day_choices(first, today)
    ]
    rows: list[Row] = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    text = context.text("leave.pick_last", first=str(first), days=MAX_DAYS)
    return text, inline([*rows, pickers.cancel_row(context, ACTION, flow)])


def _reason_screen(context: BotContext, flow: Flow) -> Screen:
    first, last = _day(flow, "first"), _day(flow, "last")
    text = context.text(
        "leave.ask_reason", first=str(first), last=str(last), days=_days(first, last), limit=REASON_LIMIT
    )
    return text, inline([pickers.cancel_row(context, ACTION, flow)])


def _summary_screen(context: BotContext, flow: Flow) -> Screen:
    first, last = _day(flow, "first"), _day(flow, "last")
    text = context.text(
        "leave.summary", first=str(first), last=str(last), days=_days(first, last), reason=flow.get("reason")
    )
    return text, inline(pickers.submit_rows(context, ACTION, flow))


async def _today(session: AsyncSession, context: BotContext) -> date:
    assert context.actor is not None
    return await leave.today_of(session, actor=context.actor, now=context.now, defaults=context.defaults)


async def start(update: Update, context: BotContext) -> None:
    """/leave without arguments: ask for the first day."""
    message = update.effective_message
    assert message is not None and context.actor is not None
    async with context.runtime.session() as session:
        today = await _today(session, context)
        flow, _ = await flows.start(
            session, person_id=context.actor.person_id, name=FLOW, step="first", now=context.now
        )
    await pickers.reply(message, _first_screen(context, flow, today))


async def _allowed(session: AsyncSession, context: BotContext, flow: Flow) -> bool:
    """Still someone who may ask for leave (staff); else the flow ends."""
    assert context.actor is not None
    if may_run(context.actor, "leave"):
        return True
    await flows.end(session, person_id=context.actor.person_id, version=flow.version)
    return False


def _parse_press_day(value: str) -> date | None:
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8])) if len(value) == 8 else None
    except ValueError:
        return None


async def _move(session: AsyncSession, context: BotContext, flow: Flow, day: date) -> Flow | None:
    """The first or the last day, by the flow's step; LeaveError when the rules refuse it."""
    today = await _today(session, context)
    if flow.step == "first":
        leave.check_first(day, today)
        return await flows.advance(session, flow, step="last", now=context.now, first=day.isoformat())
    leave.check_range(_day(flow, "first"), day, today)
    return await flows.advance(session, flow, step="reason", now=context.now, last=day.isoformat())


async def pressed(update: Update, context: BotContext, arg: str) -> None:
    """'lg' buttons: <flow version>.<op>[.<YYYYMMDD>]."""
    query = update.callback_query
    assert query is not None and context.actor is not None
    press = pickers.parse(arg)
    if press is None or (press.op not in _STEP_OF and press.op != "x"):
        await query.answer(context.text("access.button_invalid"), show_alert=True)
        return
    if press.op == "x":
        await pickers.cancel(query, context, name=FLOW, press=press)
    elif press.op == "ok":
        await _submit(query, context, press)
    else:
        await _day_pressed(query, context, press)


async def _press_flow(
    session: AsyncSession, context: BotContext, press: Press
) -> tuple[Flow | None, str | None]:
    step = _STEP_OF[press.op]
    flow, refusal = await pickers.pressed_flow(session, context, name=FLOW, press=press, step=step)
    if flow is not None and not await _allowed(session, context, flow):
        return None, context.text("access.denied")
    return flow, refusal


async def _day_pressed(query: CallbackQuery, context: BotContext, press: Press) -> None:
    moved, screen = None, None
    async with context.runtime.session() as session:
        flow, refusal = await _press_flow(session, context, press)
        day = _parse_press_day(press.value)
        if flow is not None and day is not None:
            try:
                moved = await _move(session, context, flow, day)
            except LeaveError as refused:
                refusal = context.text(refused.key, **refused.params)
            if moved is not None:
                today = await _today(session, context)
                screen = _last_screen(context, moved, today) if moved.step == "last" else None
    if moved is None:
        await query.answer(refusal or context.text("flows.stale"), show_alert=True)
        return
    await query.answer()
    await pickers.edit(query, screen or _reason_screen(context, moved))


async def _submit(query: CallbackQuery, context: BotContext, press: Press) -> None:
    """`提交`: the flow ends (compare-and-set on its version) and the request is stored and sent, in one
    transaction: a second press finds no flow and sends nothing."""
    assert context.actor is not None and query.message is not None
    done = None
    async with context.runtime.session() as session:
        flow, refusal = await _press_flow(session, context, press)
        if flow is not None and await flows.end(
            session, person_id=context.actor.person_id, version=flow.version
        ):
            first, last = _day(flow, "first"), _day(flow, "last")
            try:  # refused before anything is written: the flow still ends, and the person is told why
                await leave.request_days(
                    session,
                    actor=context.actor,
                    first=first,
                    last=last,
                    reason=str(flow.get("reason")),
                    now=context.now,
                    defaults=context.defaults,
                    channel=context.channel,
                )
                done = context.text("leave.submitted", first=first, last=last)
            except LeaveError as refused:
                done = context.text(refused.key, **refused.params)
    if done is None:
        await query.answer(refusal or context.text("flows.stale"), show_alert=True)
        return
    context.runtime.wake_dispatchers()
    await query.answer()
    await pickers.drop_buttons(query)
    await context.bot.send_message(query.message.chat.id, done)


# -- typed input ----------------------------------------------------------------------------------------


async def day_typed(update: Update, context: BotContext, flow: Flow) -> None:
    """A typed first or last day, read as `/leave` reads it (2026-12-01, 2026/12/01, 12-01)."""
    message = update.effective_message
    assert message is not None
    if message.text is None:
        await message.reply_text(context.text("leave.need_date"))
        return
    screen: Screen | None = None
    async with context.runtime.session() as session:
        if not await _allowed(session, context, flow):
            screen = (context.text("access.denied"), None)
        else:
            today = await _today(session, context)
            try:
                moved = await _move(session, context, flow, leave.parse_day(message.text, today))
            except LeaveError as refused:
                screen = (context.text(refused.key, **refused.params), None)
            else:
                if moved is None:
                    screen = (context.text("flows.stale"), None)
                elif moved.step == "last":
                    screen = _last_screen(context, moved, today)
                else:
                    screen = _reason_screen(context, moved)
    await pickers.reply(message, screen)


async def reason_typed(update: Update, context: BotContext, flow: Flow) -> None:
    message = update.effective_message
    assert message is not None
    screen: Screen
    try:
        reason = leave.check_reason((message.text or "").strip())
    except LeaveError as refused:
        await message.reply_text(context.text(refused.key, **refused.params))
        return
    async with context.runtime.session() as session:
        may = await _allowed(session, context, flow)
        moved = (
            await flows.advance(session, flow, step="summary", now=context.now, reason=reason)
            if may
            else None
        )
    if moved is None:
        screen = (context.text("flows.stale" if may else "access.denied"), None)
    else:
        screen = _summary_screen(context, moved)
    await pickers.reply(message, screen)


async def summary_typed(update: Update, context: BotContext, flow: Flow) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(context.text("flows.use_buttons"))


STEPS = {
    (FLOW, "first"): day_typed,
    (FLOW, "last"): day_typed,
    (FLOW, "reason"): reason_typed,
    (FLOW, "summary"): summary_typed,
}
