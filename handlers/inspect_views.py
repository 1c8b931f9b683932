"""The messages of /inspect: the checklists, the locations, one item at a time with `合格` / `隐患`, the
note and photo of a 隐患 item, and the summary with `提交` / `取消` — each with buttons bound to the flow's
version (handlers/pickers.py)."""

from __future__ import annotations

from collections.abc import Sequence

from handlers import pickers
from handlers.context import BotContext
from handlers.pickers import Row, Screen
from handlers.render import inline
from safety.flows import Flow
from safety.inspections.inspections import HAZARD, NOTE_LIMIT
from storage.models import Checklist, Location

FLOW, ACTION = "inspect", "ik"
MAX_LOCATION_BUTTONS = 20
SUMMARY_LIMIT = 4000  # a Telegram message holds 4096 characters


def checklists(context: BotContext, flow: Flow, found: Sequence[Checklist]) -> Screen:
    rows: list[Row] = [
        [
            pickers.button(
                context,
                ACTION,
                flow,
                context.text("inspect.checklist_button", title=c.title, count=len(c.items)),
                "c",
                index,
            )
        ]
        for index, c in enumerate(found)
    ]
    return context.text("inspect.pick_checklist"), inline([*rows, pickers.cancel_row(context, ACTION, flow)])


def locations(context: BotContext, flow: Flow, found: Sequence[Location]) -> Screen:
    """The locations in scope as buttons (the first MAX_LOCATION_BUTTONS), or a typed place."""
    shown = found[:MAX_LOCATION_BUTTONS]
    buttons = [pickers.button(context, ACTION, flow, loc.name, "l", index) for index, loc in enumerate(shown)]
    rows: list[Row] = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    key = "inspect.pick_location" if shown else "inspect.type_location"
    text = context.text(key, title=flow.get("title"))
    return text, inline([*rows, pickers.cancel_row(context, ACTION, flow)])


def _place(flow: Flow) -> str:
    return str(flow.get("location_name") or flow.get("location_text") or "")


def item(context: BotContext, flow: Flow) -> Screen:
    """The next unanswered item with `合格` / `隐患`."""
    items: list[str] = flow.get("items", [])
    index = len(flow.get("answers", []))
    text = context.text(
        "inspect.item",
        title=flow.get("title"),
        place=_place(flow),
        number=index + 1,
        total=len(items),
        item=items[index],
    )
    row = [
        pickers.button(context, ACTION, flow, context.text("inspect.ok"), "g", index),
        pickers.button(context, ACTION, flow, context.text("inspect.hazard"), "h", index),
    ]
    return text, inline([row, pickers.cancel_row(context, ACTION, flow)])


def note(context: BotContext, flow: Flow) -> Screen:
    items: list[str] = flow.get("items", [])
    text = context.text("inspect.ask_note", item=items[int(flow.get("pending", 0))], limit=NOTE_LIMIT)
    skip = pickers.button(context, ACTION, flow, context.text("flows.skip"), "sn")
    return text, inline([[skip, *pickers.cancel_row(context, ACTION, flow)]])


def photo(context: BotContext, flow: Flow) -> Screen:
    skip = pickers.button(context, ACTION, flow, context.text("flows.skip"), "sp")
    return context.text("inspect.ask_photo"), inline([[skip, *pickers.cancel_row(context, ACTION, flow)]])


def summary(context: BotContext, flow: Flow) -> Screen:
    items: list[str] = flow.get("items", [])
    answers: list[dict[str, object]] = flow.get("answers", [])
    hazards = sum(1 for a in answers if a.get("r") == HAZARD)
    lines = [
        context.text(
            "inspect.summary", title=flow.get("title"), place=_place(flow), total=len(items), hazards=hazards
        )
    ]
    for index, (text, answer) in enumerate(zip(items, answers, strict=False)):
        key = "inspect.summary_hazard" if answer.get("r") == HAZARD else "inspect.summary_ok"
        lines.append(context.text(key, number=index + 1, item=text))
        if answer.get("r") == HAZARD and answer.get("note"):
            lines.append(context.text("inspect.summary_note", note=answer.get("note")))
        if answer.get("r") == HAZARD and answer.get("photo"):
            lines.append(context.text("inspect.summary_photo"))
    text = "\n".join(lines)
    if len(text) > SUMMARY_LIMIT:
        text = text[: SUMMARY_LIMIT - 1] + "…"
    return text, inline(pickers.submit_rows(context, ACTION, flow))


def next_screen(context: BotContext, flow: Flow) -> Screen:
    """What the flow at its current step shows."""
    if flow.step == "item":
        return item(context, flow)
    if flow.step == "note":
        return note(context, flow)
    if flow.step == "photo":
        return photo(context, flow)
    return summary(context, flow)
