"""/pending: everything that waits on me now, with the buttons to act on it (safety/pending).

An item's button is the original message's action (全部正常, 已阅, 到岗, 提醒 / 请假 / 已处理, 整改完成,
指派, 通过 / 驳回, …) carried inside `pa` with the page it was drawn on: `<page>.<action>.<arg>`. A press
hands the action to the handler that owns it (INNER: the same callback a press on the original message
reaches, which authorises the presser and the state again, and refuses a stale press as it would there),
then redraws the page as things are now. That handler sees the press without the page's text, so one
that would turn its own message into a receipt (the check-in's) answers with a message of its own
instead of overwriting the page. An action whose answer asks for more on the pressed message (已部署落实:
the optional note, with 跳过) leaves the message as its handler drew it: the rest of the list is a
/pending away. Page buttons (`pd`) only say which page to draw.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update

from handlers import accidents, card_lessons, cards, checkin, obligations, onduty, quiz, rectify
from handlers.buttons import ButtonCallback, refuse
from handlers.context import BotContext
from handlers.pickers import edit
from handlers.render import view_for
from safety import pending
from safety.callbacks import MAX_BYTES
from safety.cards import lessons
from safety.cards import views as card_views
from safety.pending.duties import OBLIGATION_ACTION, QUIZ_START
from safety.reports.rectification_notices import ACCEPT, REJECT, SUBMIT_DONE
from safety.reports.rules import ASSIGN, AUTHORITY_REPORTED
from safety.shifts.views import CONFIRM
from safety.views import Action, Line, Text, View

logger = logging.getLogger(__name__)

PAGE, ACT = "pd", "pa"
CHECKIN = "ci"  # the check-in's 全部正常 / 有异常 (routed in handlers/__init__.py)
PAGE_DIGITS = 4
# What a signed callback spends besides the argument: "1|pa|" before it, "|" and the 11-character MAC after.
ARG_BYTES = MAX_BYTES - len(f"1|{ACT}||") - 11


async def quiz_start_pressed(update: Update, context: BotContext, arg: str) -> None:
    """开始考试 on a quiz duty: what /quiz does (start, or resume the attempt in progress)."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await quiz.quiz_command(update, context)


INNER: dict[str, ButtonCallback] = {
    CHECKIN: checkin.answer_pressed,
    OBLIGATION_ACTION: obligations.obligation_pressed,
    card_views.READ: cards.read_pressed,
    card_views.DEPLOYED: cards.deployed_pressed,
    card_views.NOTE: cards.skip_pressed,
    lessons.ACTION: card_lessons.start_pressed,
    CONFIRM: onduty.on_duty_pressed,
    AUTHORITY_REPORTED: accidents.authority_reported_pressed,
    ASSIGN: rectify.assign_pressed,
    SUBMIT_DONE: rectify.done_pressed,
    ACCEPT: rectify.ROUTES[ACCEPT],
    REJECT: rectify.ROUTES[REJECT],
    QUIZ_START: quiz_start_pressed,
}


# Actions whose handler leaves a question on the pressed message: not redrawn over.
ASKS_ON_MESSAGE = frozenset({card_views.DEPLOYED})


def parse_page(arg: str) -> int | None:
    return int(arg) if arg.isdigit() and len(arg) <= PAGE_DIGITS else None


def _wrapped(page: int, n: int, action: Action) -> Action | None:
    """The item's action inside `pa`; None for an action /pending does not hand on (or too long to sign)."""
    arg = f"{page}.{action.action}.{action.arg}"
    if action.action not in INNER or len(arg.encode()) > ARG_BYTES:
        logger.warning("pending: not offering button %s|%s", action.action, action.arg)
        return None
    return Action(Text("pending.item_button", n=n, label=action.label), ACT, arg)


def page_view(found: pending.PendingPage) -> View:
    """One page: the title, each item numbered (its buttons carry the same number), the page buttons."""
    if not found.total:
        return View((Text("pending.none"),))
    lines: list[Line] = [Text("pending.title", count=found.total, page=found.page + 1, pages=found.pages)]
    rows: list[tuple[Action, ...]] = []
    for n, item in enumerate(found.items, start=1):
        first, *more = item.lines
        lines.append(Text("pending.item_line", n=n, line=first))
        lines += [Text("pending.item_more", line=line) for line in more]
        for row in item.rows:
            wrapped = tuple(a for action in row if (a := _wrapped(found.page, n, action)) is not None)
            if wrapped:
                rows.append(wrapped)
    nav: list[Action] = []
    if found.page > 0:
        nav.append(Action(Text("flows.prev_page"), PAGE, str(found.page - 1)))
    if found.page + 1 < found.pages:
        nav.append(Action(Text("flows.next_page"), PAGE, str(found.page + 1)))
    if nav:
        rows.append(tuple(nav))
    return View(tuple(lines), tuple(rows))


async def _page(context: BotContext, page: int) -> View:
    assert context.actor is not None
    async with context.runtime.reading() as session:
        items = await pending.collect(session, context.actor, now=context.now, defaults=context.defaults)
    return page_view(pending.page_of(items, page))


async def pending_command(update: Update, context: BotContext) -> None:
    """/pending: the first page of what waits on me now, oldest first."""
    assert update.effective_message is not None
    text, markup = view_for(context, await _page(context, 0))
    await update.effective_message.reply_text(text, reply_markup=markup)


async def page_pressed(update: Update, context: BotContext, arg: str) -> None:
    """A page button: redraw that page as things are now."""
    query = update.callback_query
    assert query is not None
    page = parse_page(arg)
    if page is None:
        await refuse(update, context, "access.button_invalid")
        return
    view = await _page(context, page)
    await query.answer()
    await edit(query, view_for(context, view))


def _without_page_text(update: Update, context: BotContext) -> Update:
    """The same press, its message without the page's text (see the module's docstring)."""
    data = update.to_dict()
    message = data.get("callback_query", {}).get("message")
    if isinstance(message, dict):
        message.pop("text", None)
        message.pop("entities", None)
    return Update.de_json(data, context.bot)


async def act_pressed(update: Update, context: BotContext, arg: str) -> None:
    """An item's button: the owning handler acts (and answers the press), then the page is redrawn."""
    query = update.callback_query
    assert query is not None
    page_arg, _, rest = arg.partition(".")
    action, _, inner = rest.partition(".")
    page = parse_page(page_arg)
    target = INNER.get(action)
    if page is None or target is None:
        await refuse(update, context, "access.button_invalid")
        return
    await target(_without_page_text(update, context), context, inner)
    if action not in ASKS_ON_MESSAGE:
        await edit(query, view_for(context, await _page(context, page)))


COMMANDS: dict[str, Any] = {"pending": pending_command}
STEPS: dict[tuple[str, str], Any] = {}
ROUTES: dict[str, Any] = {PAGE: page_pressed, ACT: act_pressed}
