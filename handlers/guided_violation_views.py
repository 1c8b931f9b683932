"""The messages of the guided /violation: the people (paged), the prohibitions, the note, the photo and the
summary, each with buttons bound to the flow's version (handlers/pickers.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handlers import pickers
from handlers.context import BotContext
from handlers.pickers import Row, Screen
from handlers.render import inline
from safety.bank import BankView
from safety.flows import Flow
from safety.violations import NOTE_LIMIT

FLOW, ACTION = "violation", "vg"


def people(context: BotContext, flow: Flow, found: Sequence[Any]) -> Screen:
    """A page of the people in scope (all, or those matching the typed query), two per row, then paging."""
    page = pickers.page_of(found, int(flow.get("page", 0)))
    query = flow.get("query", "")
    key = "violation.pick_found" if query else "violation.pick_person"
    text = context.text(key, count=len(found), page=page.number + 1, pages=page.pages, query=query)
    buttons = [
        pickers.button(
            context,
            ACTION,
            flow,
            context.text("violation.person_button", name=p.name, employee_no=p.employee_no),
            "p",
            p.id,
        )
        for p in page.items
    ]
    rows: list[Row] = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    nav = pickers.nav_row(context, ACTION, flow, page)
    rows += [nav] if nav else []
    return text, inline([*rows, pickers.cancel_row(context, ACTION, flow)])


def prohibitions(context: BotContext, flow: Flow, loaded: BankView) -> Screen:
    text = context.text(
        "violation.pick_prohibition", name=flow.get("person_name"), employee_no=flow.get("employee_no")
    )
    rows: list[Row] = [
        [
            pickers.button(
                context,
                ACTION,
                flow,
                context.text("violation.prohibition_button", number=p.number, title=p.title),
                "r",
                p.number,
            )
        ]
        for p in loaded.prohibitions
    ]
    return text, inline([*rows, pickers.cancel_row(context, ACTION, flow)])


def note(context: BotContext, flow: Flow) -> Screen:
    text = context.text(
        "violation.ask_note",
        name=flow.get("person_name"),
        employee_no=flow.get("employee_no"),
        number=flow.get("prohibition"),
        title=flow.get("title"),
        limit=NOTE_LIMIT,
    )
    return text, inline([pickers.cancel_row(context, ACTION, flow)])


def photo(context: BotContext, flow: Flow) -> Screen:
    skip = pickers.button(context, ACTION, flow, context.text("flows.skip"), "s")
    return context.text("violation.ask_photo"), inline([[skip, *pickers.cancel_row(context, ACTION, flow)]])


def summary(context: BotContext, flow: Flow) -> Screen:
    text = context.text(
        "violation.summary",
        name=flow.get("person_name"),
        employee_no=flow.get("employee_no"),
        number=flow.get("prohibition"),
        title=flow.get("title"),
        note=flow.get("note"),
        photo=context.text("violation.photo_attached" if flow.get("photo") else "violation.photo_none"),
    )
    return text, inline(pickers.submit_rows(context, ACTION, flow))
