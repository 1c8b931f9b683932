"""The obligations a report opens and closes, by the duty kinds `accident_ack`, `accident_report` and
`rectification` (safety/kinds/). The report's modules call these at each transition, in the same
transaction; the escalation engine does the rest (steps, digests, reminders).

Who the subject is:
- accident_ack: one obligation per report; its subject is the owner of record — the nearest safety officer
  (else manager, else team leader, else the reporter) — and is never shown: the kind's digests speak of
  the report, and whoever receives its current step may acknowledge it for everyone.
- accident_report: one per nearest manager (else safety officer), reminded by the `self` steps.
- rectification: one per (report, responsible person); a re-assignment to someone else ends the old one.

Every change is idempotent: inserts ignore an existing (kind, ref, subject), closes and re-opens are
single UPDATEs on the state they expect. The digests that listed a changed duty are edited.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import digests
from safety.config import Defaults
from safety.escalation import UnitTree
from safety.kinds import ACCIDENT_ACK, ACCIDENT_REPORT, RECTIFICATION
from safety.reports.rules import Kind, is_serious
from safety.roles import Role
from storage import report_duty_queries as rdq
from storage.models import Person, Report, Unit

REPORT_KINDS = (ACCIDENT_ACK, ACCIDENT_REPORT, RECTIFICATION)
ACK_OWNERS = (Role.SAFETY_OFFICER, Role.MANAGER, Role.TEAM_LEADER)
AUTHORITY_SUBJECTS = (Role.MANAGER, Role.SAFETY_OFFICER)
REASSIGNED = "reassigned"


def ref_of(report: Report) -> str:
    """The obligations' reference of a report (one digest speaks of one report)."""
    return f"report:{report.id}"


async def on_reported(session: AsyncSession, report: Report, *, now: datetime, defaults: Defaults) -> None:
    """A submitted report: a 重大 hazard or an accident opens `accident_ack` (escalates until a leader
    acknowledges it); an accident also opens `accident_report` (the manager's 已上报, reminders at 30 and 50
    minutes)."""
    if not is_serious(report.kind, report.severity):
        return
    tree = await UnitTree.load(session)
    owners = [p.id for p in await _nearest(tree, report.unit_id, ACK_OWNERS) if p.id is not None]
    await _open(session, tree, report, ACCIDENT_ACK, owners[0] if owners else report.reporter_id, now, now)
    if report.kind != Kind.ACCIDENT:
        return
    for person in await _nearest(tree, report.unit_id, AUTHORITY_SUBJECTS):
        assert person.id is not None
        await _open(session, tree, report, ACCIDENT_REPORT, person.id, now, now)


async def on_assigned(session: AsyncSession, report: Report, *, now: datetime, defaults: Defaults) -> None:
    """Assigned (or reassigned): the responsible person's `rectification` obligation, due at the end of the
    deadline day in the unit's time zone. Another responsible person's obligation ends (expired,
    "reassigned"); the same person's starts again from its new due time. Assigning also acknowledges an
    open accident_ack: the safety officer has acted on the report."""
    if report.responsible_id is None or report.deadline is None:
        return
    ref = ref_of(report)
    tree = await UnitTree.load(session)
    due = await _due_of(session, tree, report, defaults)
    await rdq.close_open(
        session,
        kinds=(RECTIFICATION,),
        ref=ref,
        state="expired",
        by=report.assigned_by,
        now=now,
        note=REASSIGNED,
        keep_subject=report.responsible_id,
    )
    if not await _open(session, tree, report, RECTIFICATION, report.responsible_id, due, now):
        await _restart(session, tree, report, due)
    acknowledged = await rdq.close_open(
        session, kinds=(ACCIDENT_ACK,), ref=ref, state="acknowledged", by=report.assigned_by, now=now
    )
    await _refresh(
        session, report, (RECTIFICATION,) + ((ACCIDENT_ACK,) if acknowledged else ()), now, defaults
    )


async def on_submitted(
    session: AsyncSession,
    report: Report,
    *,
    now: datetime,
    actor_id: int,
    defaults: Defaults | None = None,
) -> None:
    """The responsible person submitted the rectification: their obligation is done."""
    if await rdq.close_open(
        session, kinds=(RECTIFICATION,), ref=ref_of(report), state="done", by=actor_id, now=now
    ):
        await _refresh(session, report, (RECTIFICATION,), now, defaults)


async def on_rejected(session: AsyncSession, report: Report, *, now: datetime, defaults: Defaults) -> None:
    """Sent back (驳回): the rectification obligation is open again from its first step (past its deadline,
    the next tick sends the highest step now due)."""
    if report.responsible_id is None or report.deadline is None:
        return
    tree = await UnitTree.load(session)
    due = await _due_of(session, tree, report, defaults)
    if not await _restart(session, tree, report, due):
        await _open(session, tree, report, RECTIFICATION, report.responsible_id, due, now)
    await _refresh(session, report, (RECTIFICATION,), now, defaults)


async def on_closed(
    session: AsyncSession,
    report: Report,
    *,
    now: datetime,
    actor_id: int,
    defaults: Defaults | None = None,
) -> None:
    """Closed (销号): every open obligation of the report ends (acknowledged by the closer)."""
    ref = ref_of(report)
    changed = [
        kind
        for kind in REPORT_KINDS
        if await rdq.close_open(session, kinds=(kind,), ref=ref, state="acknowledged", by=actor_id, now=now)
    ]
    await _refresh(session, report, changed, now, defaults)


async def on_authority_reported(
    session: AsyncSession,
    report: Report,
    *,
    now: datetime,
    actor_id: int,
    defaults: Defaults | None = None,
) -> None:
    """已上报 pressed: the `accident_report` obligations are acknowledged (no more reminders), and so is an
    open accident_ack (a manager who reported the accident knows of it)."""
    ref = ref_of(report)
    changed = [
        kind
        for kind in (ACCIDENT_REPORT, ACCIDENT_ACK)
        if await rdq.close_open(session, kinds=(kind,), ref=ref, state="acknowledged", by=actor_id, now=now)
    ]
    await _refresh(session, report, [*changed, ACCIDENT_REPORT], now, defaults)


# --- helpers ------------------------------------------------------------------------------------------------


async def _nearest(tree: UnitTree, unit_id: str, roles: Iterable[str]) -> list[Person]:
    """The nearest holders of the first of `roles` that anyone holds in the unit's chain (by id)."""
    for role in roles:
        people = sorted((await tree.audience(unit_id, role)).people, key=lambda p: p.id or 0)
        if people:
            return people
    return []


async def _open(
    session: AsyncSession,
    tree: UnitTree,
    report: Report,
    kind: str,
    subject_id: int,
    due: datetime,
    now: datetime,
) -> bool:
    steps = tree.steps(report.unit_id, kind)
    return await rdq.add_obligation(
        session,
        kind=kind,
        ref=ref_of(report),
        subject_id=subject_id,
        unit_id=report.unit_id,
        due_at=due,
        next_step_at=due + steps[0].after if steps else None,
        now=now,
    )


async def _restart(session: AsyncSession, tree: UnitTree, report: Report, due: datetime) -> bool:
    assert report.responsible_id is not None
    steps = tree.steps(report.unit_id, RECTIFICATION)
    return await rdq.restart(
        session,
        kind=RECTIFICATION,
        ref=ref_of(report),
        subject_id=report.responsible_id,
        due_at=due,
        next_step_at=due + steps[0].after if steps else None,
    )


async def _due_of(session: AsyncSession, tree: UnitTree, report: Report, defaults: Defaults) -> datetime:
    """The end of the deadline day in the unit's time zone (the next local midnight), in UTC."""
    assert report.deadline is not None
    unit = tree.units.get(report.unit_id) or await session.get(Unit, report.unit_id)
    zone = defaults.zone(unit.timezone if unit else None)
    return datetime.combine(report.deadline + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)


async def _refresh(
    session: AsyncSession,
    report: Report,
    changed: Iterable[str],
    now: datetime,
    defaults: Defaults | None,
) -> None:
    """Edit the digests of the report's duties of these kinds to how they are now."""
    for kind in dict.fromkeys(changed):
        await digests.refresh(
            session, kind=kind, ref=ref_of(report), now=now, defaults=defaults or Defaults()
        )
