"""The messages of the rectification flows, each with buttons bound to the flow's version
(handlers/pickers.py): 指派 (flow "assign": the responsible person, paged; the deadline; the measures; the
summary), 整改完成 (flow "rectify": photos then 完成; a note or 跳过; the summary) and 驳回 (flow "reject":
the reason)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handlers import pickers
from handlers.context import BotContext
from handlers.pickers import Row, Screen
from handlers.render import inline
from safety.flows import Flow
from safety.reports.rectification_rights import REASON_LIMIT
from safety.reports.rules import MAX_PHOTOS, MEASURES_LIMIT, NOTE_LIMIT

ASSIGN_FLOW, RECTIFY_FLOW, REJECT_FLOW = "assign", "rectify", "reject"
ASSIGN_ACTION, RECTIFY_ACTION, REJECT_ACTION = "ag", "zf", "jf"  # the flows' own buttons
DEADLINE_DAYS = (0, 3, 7)  # 今天 / 3天 / 7天


def people(context: BotContext, flow: Flow, found: Sequence[Any]) -> Screen:
    page = pickers.page_of(found, int(flow.get("page", 0)))
    query = flow.get("query", "")
    key = "rectify.pick_found" if query else "rectify.pick_person"
    text = context.text(
        key, number=flow.get("number"), count=len(found), page=page.number + 1, pages=page.pages, query=query
    )
    buttons = [
        pickers.button(
            context,
            ASSIGN_ACTION,
            flow,
            context.text("rectify.person_button", name=p.name, employee_no=p.employee_no),
            "p",
            p.id,
        )
        for p in page.items
    ]
    rows: list[Row] = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    nav = pickers.nav_row(context, ASSIGN_ACTION, flow, page)
    rows += [nav] if nav else []
    return text, inline([*rows, pickers.cancel_row(context, ASSIGN_ACTION, flow)])


def deadline(context: BotContext, flow: Flow) -> Screen:
    text = context.text(
        "rectify.ask_deadline", name=flow.get("person_name"), employee_no=flow.get("employee_no")
    )
    row = [
        pickers.button(context, ASSIGN_ACTION, flow, context.text(f"rectify.deadline_{days}"), "d", days)
        for days in DEADLINE_DAYS
    ]
    return text, inline([row, pickers.cancel_row(context, ASSIGN_ACTION, flow)])


def measures(context: BotContext, flow: Flow) -> Screen:
    text = context.text("rectify.ask_measures", deadline=flow.get("deadline"), limit=MEASURES_LIMIT)
    return text, inline([pickers.cancel_row(context, ASSIGN_ACTION, flow)])


def assign_summary(context: BotContext, flow: Flow) -> Screen:
    text = context.text(
        "rectify.assign_summary",
        number=flow.get("number"),
        name=flow.get("person_name"),
        employee_no=flow.get("employee_no"),
        deadline=flow.get("deadline"),
        measures=flow.get("measures"),
    )
    return text, inline(pickers.submit_rows(context, ASSIGN_ACTION, flow))


def photos(context: BotContext, flow: Flow) -> Screen:
    count = len(flow.get("photos", []))
    key = "rectify.ask_photos" if count == 0 else "rectify.photos_so_far"
    text = context.text(key, number=flow.get("number"), count=count, limit=MAX_PHOTOS)
    done = pickers.button(context, RECTIFY_ACTION, flow, context.text("rectify.photos_done"), "f")
    return text, inline([[done, *pickers.cancel_row(context, RECTIFY_ACTION, flow)]])


def note(context: BotContext, flow: Flow) -> Screen:
    skip = pickers.button(context, RECTIFY_ACTION, flow, context.text("flows.skip"), "s")
    text = context.text("rectify.ask_note", limit=NOTE_LIMIT)
    return text, inline([[skip, *pickers.cancel_row(context, RECTIFY_ACTION, flow)]])


def rectify_summary(context: BotContext, flow: Flow) -> Screen:
    note_text = flow.get("note")
    text = context.text(
        "rectify.rectify_summary",
        number=flow.get("number"),
        count=len(flow.get("photos", [])),
        note=note_text if note_text else context.text("rectify.no_note"),
    )
    return text, inline(pickers.submit_rows(context, RECTIFY_ACTION, flow))


def reason(context: BotContext, flow: Flow) -> Screen:
    text = context.text("rectify.ask_reason", number=flow.get("number"), limit=REASON_LIMIT)
    return text, inline([pickers.cancel_row(context, REJECT_ACTION, flow)])
