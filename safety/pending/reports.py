"""The report items of /pending: my rectification tasks (整改完成 while the task is with me), and the reports
in my scope waiting for me to assign (safety officer: 指派) or to verify (officer in scope, or the person
who assigned it: 通过 / 驳回). The buttons are those of the task, the notice and the verifier's message
(routed by handlers/rectify.py, which checks the presser and the report's version at the press)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.access import Actor
from safety.config import Defaults
from safety.kinds import RECTIFICATION
from safety.pending.items import Item
from safety.reports import listing
from safety.reports.history import descendants
from safety.reports.rectification_notices import ACCEPT, REJECT, SUBMIT_DONE, button_arg
from safety.reports.rules import ASSIGN, State
from safety.roles import Role
from safety.views import Action, Text
from storage import report_read_queries as rr
from storage.models import Report

REPORT_REF = "report:"  # safety.kinds.report_duty.PREFIX


def _done_row(report: Report) -> tuple[Action, ...]:
    return (Action(Text("rectify.done_button"), SUBMIT_DONE, button_arg(report)),)


def _verify_row(report: Report) -> tuple[Action, ...]:
    return (
        Action(Text("rectify.accept_button"), ACCEPT, button_arg(report)),
        Action(Text("rectify.reject_button"), REJECT, button_arg(report)),
    )


async def report_items(
    session: AsyncSession, actor: Actor, *, now: datetime, defaults: Defaults
) -> tuple[list[Item], set[tuple[str, str]]]:
    """The items, and the (kind, ref) of the duties they stand for already (an overdue task's
    rectification duty is the task itself: listed once, marked overdue)."""
    items: list[Item] = []
    tasks = await listing.tasks(session, actor, now=now, defaults=defaults)
    task_ids = {t.report.id for t in tasks}
    for task in tasks:
        report = task.report
        rows = (_done_row(report),) if report.state == State.ASSIGNED else ()
        since = report.assigned_at or report.created_at
        items.append(Item(since, (task.line,), rows, report.number))
    skip = {(RECTIFICATION, f"{REPORT_REF}{i}") for i in task_ids}
    units = {u.id: u for u in await rr.all_units(session)}
    officer_units = descendants(list(units.values()), sorted(actor.units_with({Role.SAFETY_OFFICER})))
    waiting = await rr.waiting_for_officer(
        session,
        person_id=actor.person_id,
        officer_units=officer_units,
        assign_state=State.REPORTED,
        verify_state=State.SUBMITTED,
    )
    scope = listing.Scope(officer_units, units)
    places = await rr.location_names(session, location_ids=[r.location_id for r in waiting])
    for report in waiting:
        if report.id in task_ids or report.responsible_id == actor.person_id:
            continue  # nobody verifies their own rectification
        line = listing.report_line(report, scope, places, now=now)
        if report.state == State.REPORTED:
            assign = Action(Text("pending.assign_button", number=report.number), ASSIGN, str(report.id))
            items.append(
                Item(
                    report.created_at, (Text("pending.to_assign", report=line),), ((assign,),), report.number
                )
            )
        else:
            since = report.submitted_at or report.created_at
            lines = (Text("pending.to_verify", report=line),)
            items.append(Item(since, lines, (_verify_row(report),), report.number))
    return items, skip
