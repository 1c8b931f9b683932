"""The obligations a report opens and closes, by the duty kinds `accident_ack`, `accident_report` and
`rectification` (safety/kinds/). The report's modules call these at each transition, in the same
transaction; the escalation engine does the rest (steps, digests, reminders)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults
from storage.models import Report


def ref_of(report: Report) -> str:
    """The obligations' reference of a report (one digest speaks of one report)."""
    return f"report:{report.id}"


async def on_reported(session: AsyncSession, report: Report, *, now: datetime, defaults: Defaults) -> None:
    """A submitted report: a 重大 hazard or an accident opens `accident_ack` (escalates until a leader
    acknowledges it); an accident also opens `accident_report` (the manager's 已上报, reminders at 30 and 50
    minutes)."""


async def on_assigned(session: AsyncSession, report: Report, *, now: datetime, defaults: Defaults) -> None:
    """Assigned (or reassigned): the responsible person's `rectification` obligation, due at the end of the
    deadline day in the unit's time zone."""


async def on_submitted(session: AsyncSession, report: Report, *, now: datetime, actor_id: int) -> None:
    """The responsible person submitted the rectification: their obligation is done."""


async def on_rejected(session: AsyncSession, report: Report, *, now: datetime, defaults: Defaults) -> None:
    """Sent back (驳回): the rectification obligation is open again (past its deadline, it escalates)."""


async def on_closed(session: AsyncSession, report: Report, *, now: datetime, actor_id: int) -> None:
    """Closed (销号): every open obligation of the report ends."""


async def on_authority_reported(
    session: AsyncSession, report: Report, *, now: datetime, actor_id: int
) -> None:
    """已上报 pressed: the `accident_report` obligation is acknowledged (no more reminders)."""
