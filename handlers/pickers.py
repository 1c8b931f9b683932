"""What the guided flows (/violation, /leave without arguments) share: buttons bound to a flow's version,
the check of a press against the flow's current step and version, paging, and editing the pressed message.

A guided flow's button carries `<version>.<op>[.<value>]` as its argument: the flow's version when the
message was drawn. A press is accepted only while the presser's flow has that name, that version and the
step the op belongs to; anything else (a button of an earlier step, a second press of `提交`, an old page of
a list) is refused with a short answer and changes nothing. Someone else's button never gets this far: its
signature is for another person (handlers/buttons.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import CallbackQuery, InlineKeyboardMarkup, Message
from telegram.error import BadRequest

from handlers.context import BotContext
from handlers.flow_input import flow_name
from handlers.render import button_data
from safety import flows
from safety.flows import Expired, Flow

logger = logging.getLogger(__name__)
PAGE_SIZE = 8
T = TypeVar("T")
Row = list[tuple[str, str]]
Screen = tuple[str, InlineKeyboardMarkup | None]  # a message: its text and its buttons


@dataclass(frozen=True)
class Press:
    """A guided-flow button as pressed: the flow version it was drawn for, the op and its value."""

    version: int
    op: str
    value: str = ""


def parse(arg: str) -> Press | None:
    version, _, rest = arg.partition(".")
    op, _, value = rest.partition(".")
    if not version.isdigit() or not op:
        return None
    return Press(int(version), op, value)


def button(
    context: BotContext, action: str, flow: Flow, label: str, op: str, value: object = ""
) -> tuple[str, str]:
    """A (label, signed data) pair for a press on `flow` as it is now."""
    arg = f"{flow.version}.{op}" + (f".{value}" if value != "" else "")
    return label, button_data(context, action=action, arg=arg)


def cancel_row(context: BotContext, action: str, flow: Flow) -> Row:
    return [button(context, action, flow, context.text("flows.cancel"), "x")]


def submit_rows(context: BotContext, action: str, flow: Flow) -> list[Row]:
    return [
        [
            button(context, action, flow, context.text("flows.submit"), "ok"),
            button(context, action, flow, context.text("flows.cancel"), "x"),
        ]
    ]


async def pressed_flow(
    session: AsyncSession, context: BotContext, *, name: str, press: Press, step: str | None
) -> tuple[Flow | None, str | None]:
    """The presser's flow if the press belongs to it as it is now (name, version, and `step` unless None),
    else None and the short answer that refuses the press (an expired flow is ended here)."""
    assert context.actor is not None
    found = await flows.current(session, person_id=context.actor.person_id, now=context.now)
    if isinstance(found, Expired):
        return None, context.text("flows.expired", flow=flow_name(context, found.name))
    if found is None or found.name != name or found.version != press.version:
        return None, context.text("flows.stale")
    if step is not None and found.step != step:
        return None, context.text("flows.stale")
    return found, None


async def cancel(query: CallbackQuery, context: BotContext, *, name: str, press: Press) -> None:
    """`取消` on any step: end the flow (at that version) and turn the message into the notice."""
    assert context.actor is not None
    async with context.runtime.session() as session:
        flow, refusal = await pressed_flow(session, context, name=name, press=press, step=None)
        ended = (
            await flows.end(session, person_id=context.actor.person_id, version=flow.version)
            if flow is not None
            else None
        )
    if ended is None:
        await query.answer(refusal or context.text("flows.stale"), show_alert=True)
        return
    await query.answer()
    await edit(query, (context.text("flows.cancelled", flow=flow_name(context, ended)), None))


async def edit(query: CallbackQuery, screen: Screen) -> None:
    """Redraw the pressed message; a message that cannot be edited any more is left as it is."""
    try:
        await query.edit_message_text(screen[0], reply_markup=screen[1])
    except BadRequest as exc:
        logger.debug("guided-flow message not edited: %s", exc)


async def reply(message: Message, screen: Screen) -> None:
    await message.reply_text(screen[0], reply_markup=screen[1])


async def drop_buttons(query: CallbackQuery) -> None:
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as exc:
        logger.debug("guided-flow buttons not removed: %s", exc)


@dataclass(frozen=True)
class Page:
    items: Sequence[Any]
    number: int  # 0-based, clamped into range
    pages: int

    @property
    def has_prev(self) -> bool:
        return self.number > 0

    @property
    def has_next(self) -> bool:
        return self.number + 1 < self.pages


def page_of(items: Sequence[T], number: int, size: int = PAGE_SIZE) -> Page:
    pages = max(1, -(-len(items) // size))
    number = min(max(number, 0), pages - 1)
    return Page(items[number * size : (number + 1) * size], number, pages)


def nav_row(context: BotContext, action: str, flow: Flow, page: Page) -> Row:
    """上一页 / 下一页, those that apply."""
    row: Row = []
    if page.has_prev:
        row.append(button(context, action, flow, context.text("flows.prev_page"), "pg", page.number - 1))
    if page.has_next:
        row.append(button(context, action, flow, context.text("flows.next_page"), "pg", page.number + 1))
    return row
