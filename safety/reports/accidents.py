"""已上报: an accident reported to the authorities (国务院令第493号: within one hour), recorded once.

Who may press it: a manager or a safety officer whose role unit is in the report unit's chain (the
manager is the one the law names — 单位负责人 — and gets the button; the safety officer often makes the call
on the manager's behalf, so their press counts too). It is recorded by one UPDATE that only changes a
report no one has marked yet: two presses at once, one is recorded and the other is told who and when.
The report's event `authority_reported` keeps it; the accident_report reminders stop; the presser gets a
receipt and the chain's other managers and safety officers are told.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import outbox
from safety.access import Actor
from safety.config import Defaults
from safety.escalation import UnitTree
from safety.outbox import Envelope
from safety.reports import duties
from safety.reports.rules import Kind
from safety.roles import Role
from safety.views import Text, View
from storage import escalation_queries as eq
from storage import report_duty_queries as rdq
from storage.models import Report, ReportEvent

AUTHORITY_ROLES = frozenset({Role.MANAGER, Role.SAFETY_OFFICER})
EVENT = "authority_reported"


class Status(StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"
    NOT_ALLOWED = "not_allowed"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Outcome:
    status: Status
    key: str  # the text key of the answer to the presser
    params: dict[str, str] = field(default_factory=dict)


async def press(
    session: AsyncSession, *, report_id: int, actor: Actor, now: datetime, defaults: Defaults
) -> Outcome:
    """The 已上报 button, authorised against the presser and the report as it is now."""
    report = await rdq.fresh_report(session, report_id=report_id)
    if report is None or report.kind != Kind.ACCIDENT:
        return Outcome(Status.NOT_FOUND, "accident.not_found")
    tree = await UnitTree.load(session)
    if not actor.units_with(AUTHORITY_ROLES) & {u.id for u in tree.chain(report.unit_id)}:
        return Outcome(Status.NOT_ALLOWED, "accident.not_allowed")
    if await record(session, report_id=report_id, actor_id=actor.person_id, now=now, defaults=defaults):
        when = _when(report, now, tree, defaults)
        return Outcome(Status.RECORDED, "accident.recorded", {"number": report.number, "time": when})
    report = await rdq.fresh_report(session, report_id=report_id)
    assert report is not None
    names = await eq.names_of(session, ids=[report.authority_reported_by or 0])
    when = _when(report, report.authority_reported_at, tree, defaults)
    by = names[0].name if names else "?"
    return Outcome(
        Status.ALREADY, "accident.already_recorded", {"number": report.number, "by": by, "time": when}
    )


async def record(
    session: AsyncSession, *, report_id: int, actor_id: int, now: datetime, defaults: Defaults
) -> bool:
    """Mark the report reported by `actor_id` unless someone did already; True for the one who did. Also
    what a digest's 已上报 does (safety/kinds/accident_report.py)."""
    if not await rdq.mark_authority_reported(session, report_id=report_id, by=actor_id, now=now):
        return False
    session.add(ReportEvent(report_id=report_id, action=EVENT, actor_id=actor_id, at=now))
    report = await rdq.fresh_report(session, report_id=report_id)
    assert report is not None
    await duties.on_authority_reported(session, report, now=now, actor_id=actor_id, defaults=defaults)
    await _tell(session, report, actor_id=actor_id, now=now, defaults=defaults)
    return True


async def _tell(
    session: AsyncSession, report: Report, *, actor_id: int, now: datetime, defaults: Defaults
) -> None:
    """A receipt to the presser, and word to the chain's nearest managers and safety officers."""
    tree = await UnitTree.load(session)
    names = await eq.names_of(session, ids=[actor_id])
    by = names[0].name if names else "?"
    when = _when(report, now, tree, defaults)
    told = {actor_id}
    envelopes = [
        Envelope(
            key=f"report:{report.id}:{EVENT}:{actor_id}",
            kind="report",
            view=View((Text("accident.recorded", number=report.number, time=when),)),
            person_id=actor_id,
        )
    ]
    notice = View((Text("accident.reported_notice", number=report.number, by=by, time=when),))
    for role in (Role.MANAGER, Role.SAFETY_OFFICER):
        for person in (await tree.audience(report.unit_id, role)).people:
            if person.id is None or person.id in told:
                continue
            told.add(person.id)
            key = f"report:{report.id}:{EVENT}:{person.id}"
            envelopes.append(Envelope(key=key, kind="report", view=notice, person_id=person.id))
    await outbox.enqueue(session, envelopes, now=now, default_channel=defaults.channel)


def _when(report: Report, moment: datetime | None, tree: UnitTree, defaults: Defaults) -> str:
    if moment is None:
        return ""
    unit = tree.units.get(report.unit_id)
    return moment.astimezone(defaults.zone(unit.timezone if unit else None)).strftime("%H:%M")
