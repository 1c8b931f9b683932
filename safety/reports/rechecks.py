"""回头看: a closed hazard is re-checked after some days (default 30, SAFETYBOT_RECHECK_DAYS; set at
销号 as `recheck_due_at`). The verifier who closed it (or, if they may not any more, the safety officers in
scope) is asked; they confirm it stayed fixed (确认未反弹: `rechecked_at`, event "rechecked") or reopen it
(重新整改, 严防隐患反弹: back to `reported` with the 五定 cleared, kept in the events; event "reopened";
the officers get the report again with 指派). Asking is idempotent by outbox key (one per closing);
answering is a compare-and-set."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from safety.access import Actor
from safety.config import Defaults
from safety.reports import rectification_notices as notices
from safety.reports.rectification_rights import RectifyRefused, verifiable, verifiers
from safety.reports.rules import Kind, State
from storage import report_queries as rq
from storage.models import Report, ReportEvent

BATCH = 500
STILL_FIXED, REOPEN = "ok", "re"
# cleared by 重新整改 (kept in the events): the report waits for a new 指派
REASSIGNED = ("responsible_id", "deadline", "measures", "assigned_by", "assigned_at", "submitted_at")


async def send_due(session: AsyncSession, *, now: datetime, defaults: Defaults) -> int:
    """Ask for the re-checks that are due (outbox, idempotent); returns how many were asked."""
    query = (
        select(Report)
        .where(
            Report.kind == Kind.HAZARD,
            Report.state == State.CLOSED,
            col(Report.recheck_due_at).is_not(None),
            col(Report.recheck_due_at) <= now,
            col(Report.rechecked_at).is_(None),
        )
        .order_by(col(Report.recheck_due_at))
        .limit(BATCH)
    )
    asked = 0
    for report in (await session.exec(query)).all():
        to = await verifiers(session, report, preferred=report.closed_by)
        asked += await notices.recheck_ask(session, report, to=to, now=now, defaults=defaults)
    return asked


async def answer(
    session: AsyncSession,
    *,
    report_id: int,
    version: int,
    actor: Actor,
    choice: str,
    now: datetime,
    defaults: Defaults,
) -> Report:
    """The verifier's answer; raises RectifyRefused (nothing written) when not allowed or answered already."""
    if choice not in (STILL_FIXED, REOPEN):
        raise RectifyRefused("rectify.changed")
    report = await verifiable(session, report_id=report_id, version=version, actor=actor, state=State.CLOSED)
    if report.recheck_due_at is None or report.rechecked_at is not None:
        raise RectifyRefused("rectify.changed")
    if choice == STILL_FIXED:
        values: dict[str, object] = {"rechecked_at": now}
    else:
        values = {"state": State.REPORTED, "recheck_due_at": None, "closed_by": None, "closed_at": None}
        values.update(dict.fromkeys(REASSIGNED, None))
    if not await rq.transition(
        session, report_id=report_id, version=version, states=(State.CLOSED,), values=values
    ):
        raise RectifyRefused("rectify.changed")
    await session.refresh(report)
    action = "rechecked" if choice == STILL_FIXED else "reopened"
    session.add(ReportEvent(report_id=report_id, action=action, actor_id=actor.person_id, at=now))
    if choice == REOPEN:
        await notices.reopened(session, report, by=actor.name, now=now, defaults=defaults)
    return report
