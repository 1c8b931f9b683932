"""The messages of /report: one screen per step (kind, category, severity or casualties, location,
description, photos), the summary with `提交` / `修改` / `取消` and the `匿名上报` choice, and the list of
steps `修改` offers. Buttons are bound to the flow's version (handlers/pickers.py); action "rq"."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers import pickers
from handlers.context import BotContext
from handlers.pickers import Row, Screen
from handlers.render import inline
from safety.flows import Flow
from safety.reports import drafts, routing
from safety.reports.categories import CategoryListView, list_by_id
from safety.reports.drafts import (
    CASUALTIES,
    CATEGORY,
    DESCRIPTION,
    KIND,
    KINDS,
    LOCATION,
    PHOTOS,
    SEVERITIES,
    SEVERITY,
    SUMMARY,
)
from safety.reports.rules import DESCRIPTION_LIMIT, MAX_PHOTOS
from safety.views import View, render
from storage.models import Report

ACTION = "rq"
EDIT = "edit"  # the step where `修改` lists what can be changed


def _button(context: BotContext, flow: Flow, label: str, op: str, value: object = "") -> tuple[str, str]:
    return pickers.button(context, ACTION, flow, label, op, value)


def _screen(text: str, context: BotContext, flow: Flow, *rows: Row) -> Screen:
    """The text with the rows, then `取消`."""
    return text, inline([*rows, pickers.cancel_row(context, ACTION, flow)])


def kind(context: BotContext, flow: Flow) -> Screen:
    text = context.text("report_flow.ask_kind")
    if flow.get("location_name"):
        text = context.text("report_flow.at_location", location=flow.get("location_name")) + "\n" + text
    buttons = [_button(context, flow, context.text(f"report_flow.kind_{k}"), "k", k) for k in KINDS]
    return _screen(text, context, flow, buttons[:2], buttons[2:])


def category(context: BotContext, flow: Flow, listed: CategoryListView) -> Screen:
    page = pickers.page_of(listed.categories, int(flow.get("page") or 0))
    text = context.text("report_flow.ask_category", list=listed.name, page=page.number + 1, pages=page.pages)
    buttons = [_button(context, flow, c.name, "c", c.code) for c in page.items]
    rows: list[Row] = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    nav = pickers.nav_row(context, ACTION, flow, page)
    return _screen(text, context, flow, *rows, *([nav] if nav else []))


def severity(context: BotContext, flow: Flow) -> Screen:
    row = [_button(context, flow, context.text(f"report_flow.severity_{s}"), "v", s) for s in SEVERITIES]
    return _screen(context.text("report_flow.ask_severity"), context, flow, row)


def casualties(context: BotContext, flow: Flow) -> Screen:
    row = [_button(context, flow, context.text("report_flow.no_casualties"), "n")]
    return _screen(context.text("report_flow.ask_casualties"), context, flow, row)


def location(context: BotContext, flow: Flow) -> Screen:
    return _screen(context.text("report_flow.ask_location"), context, flow)


def description(context: BotContext, flow: Flow) -> Screen:
    return _screen(context.text("report_flow.ask_description", limit=DESCRIPTION_LIMIT), context, flow)


def photos(context: BotContext, flow: Flow) -> Screen:
    count = len(flow.get("photos") or [])
    if not count:
        text = context.text("report_flow.ask_photos", max=MAX_PHOTOS)
        return _screen(text, context, flow, [_button(context, flow, context.text("flows.skip"), "s")])
    text = context.text("report_flow.photo_received", count=count, max=MAX_PHOTOS)
    return _screen(text, context, flow, [_button(context, flow, context.text("report_flow.done"), "d")])


def edit_menu(context: BotContext, flow: Flow) -> Screen:
    steps = drafts.editable_steps(flow.data)
    buttons = [_button(context, flow, context.text(f"report_flow.step_{s}"), "g", s) for s in steps]
    rows: list[Row] = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([_button(context, flow, context.text("report_flow.back"), "b")])
    return _screen(context.text("report_flow.ask_edit"), context, flow, *rows)


async def summary(session: AsyncSession, context: BotContext, flow: Flow) -> Screen:
    assert context.actor is not None
    data = flow.data
    draft = drafts.to_input(data, reporter_unit=context.actor.unit_id)
    report = Report(
        number="",
        kind=draft.kind,
        unit_id=draft.unit_id,
        reporter_id=context.actor.person_id,
        anonymous=draft.anonymous,
        category_name=draft.category_name,
        severity=draft.severity,
        deaths=draft.deaths,
        serious_injuries=draft.serious_injuries,
        minor_injuries=draft.minor_injuries,
        location_text=draft.location_text,
        latitude=draft.latitude,
        longitude=draft.longitude,
        description=draft.description,
    )
    unit_name = await drafts.unit_name(session, draft.unit_id)
    lines = routing.describe(
        report,
        unit_name=unit_name,
        reporter=None if draft.anonymous else context.actor.name,
        location_name=data.get("location_name"),
    )
    body = render(View(tuple(lines)), context.language).text
    head = context.text("report_flow.summary", kind=context.text(f"report.kind_{draft.kind}"))
    tail = [context.text("report_flow.summary_photos", count=len(draft.photos))]
    if draft.anonymous:
        tail.append(context.text("report_flow.summary_anonymous"))
    text = "\n".join([head, body, *tail])
    toggle = "report_flow.named" if draft.anonymous else "report_flow.anonymous"
    rows = [
        [
            _button(context, flow, context.text("flows.submit"), "ok"),
            _button(context, flow, context.text("report_flow.edit"), "e"),
            _button(context, flow, context.text("flows.cancel"), "x"),
        ],
        [_button(context, flow, context.text(toggle), "a")],
    ]
    return text, inline(rows)


async def screen(session: AsyncSession, context: BotContext, flow: Flow) -> Screen:
    """The message of the step the flow is at."""
    if flow.step == CATEGORY:
        listed = await list_by_id(session, str(flow.get("list_id")))
        if listed is not None:
            return category(context, flow, listed)
    if flow.step == SUMMARY:
        return await summary(session, context, flow)
    simple = {
        KIND: kind,
        SEVERITY: severity,
        CASUALTIES: casualties,
        LOCATION: location,
        DESCRIPTION: description,
        PHOTOS: photos,
        EDIT: edit_menu,
    }
    return simple.get(flow.step, kind)(context, flow)
