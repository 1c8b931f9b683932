"""Who may do what in rectification (整改), and the checks of each step; the chat calls them at every press
and the transitions (safety/reports/rectification.py) again at the final 提交 (roles are read afresh for
every update):
- assign (指派): a safety officer whose role unit is the report's unit or one above it; an `assigned`
  report may be re-assigned (the responsible person left, the deadline moves);
- verify (通过 / 驳回) and answer the 回头看: a safety officer or a manager whose role unit is the
  report's unit or one above it;
- submit (整改完成): only the report's responsible person, while it is `assigned`;
- the responsible person: any active person of the report's project, i.e. of the nearest unit at or above
  the report's unit where a safety officer is appointed, and every unit below it.
A refusal is `RectifyRefused(key)`, raised before anything is written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import textcheck
from safety.access import Actor
from safety.config import Defaults
from safety.escalation import UnitTree
from safety.reports.rules import NOTE_LIMIT, State
from safety.roles import Role
from storage import org_queries as oq
from storage.models import Person, Report

ASSIGNERS = frozenset({Role.SAFETY_OFFICER})
VERIFIERS = frozenset({Role.SAFETY_OFFICER, Role.MANAGER})
DEADLINE_DAYS_MAX = 366  # a deadline further away is a typing error
REASON_LIMIT = NOTE_LIMIT  # 驳回's reason: required, at most 500 characters
QUERY_LIMIT = 32


@dataclass(frozen=True)
class ReportRules:
    """What the assembly sets for reports: the days after 销号 until a closed hazard is re-checked (回头看,
    SAFETYBOT_RECHECK_DAYS)."""

    recheck_days: int = 30


class RectifyRefused(ValueError):
    """The step is not allowed now; `key` is the text key that says why (nothing was written)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


# -- rights ------------------------------------------------------------------------------------------------


async def _chain(session: AsyncSession, unit_id: str) -> set[str]:
    return {u.id for u in await oq.unit_ancestors(session, unit_id=unit_id)}


async def may_assign(session: AsyncSession, actor: Actor, report: Report) -> bool:
    return bool(actor.units_with(ASSIGNERS) & await _chain(session, report.unit_id))


async def may_verify(session: AsyncSession, actor: Actor, report: Report) -> bool:
    return bool(actor.units_with(VERIFIERS) & await _chain(session, report.unit_id))


async def person_may_verify(session: AsyncSession, person: Person, report: Report) -> bool:
    """The same rule for someone who is not acting now (the verifier a notice goes to)."""
    if not person.active or person.id is None:
        return False
    units = {r.unit_id for r in await oq.roles_of(session, person_id=person.id) if r.role in VERIFIERS}
    return bool(units & await _chain(session, report.unit_id))


async def verifiers(session: AsyncSession, report: Report, *, preferred: int | None) -> list[Person]:
    """Who verifies: `preferred` (the assigner; for 回头看 the one who closed it) while they still may, else
    the safety officers in scope."""
    person = await session.get(Person, preferred) if preferred is not None else None
    if person is not None and await person_may_verify(session, person, report):
        return [person]
    tree = await UnitTree.load(session)
    return list((await tree.audience(report.unit_id, Role.SAFETY_OFFICER)).people)


async def project_of(session: AsyncSession, unit_id: str) -> str:
    """The nearest unit at or above `unit_id` where a safety officer is appointed (else the unit)."""
    chain = await oq.unit_ancestors(session, unit_id=unit_id)
    held = {
        a.unit_id
        for _, a in await oq.role_holders(session, unit_ids=[u.id for u in chain], role=Role.SAFETY_OFFICER)
    }
    return next((u.id for u in chain if u.id in held), unit_id)


async def candidates(session: AsyncSession, report: Report, *, query: str = "") -> list[Person]:
    """The people who may be made responsible (the project's active people, by employee number); `query`
    narrows: an exact employee number, else names containing it or numbers starting with it."""
    units = await oq.unit_descendants(session, unit_id=await project_of(session, report.unit_id))
    people = await oq.people_in_units(session, unit_ids=units)
    needle = textcheck.plain_spaces(textcheck.visible(query))[:QUERY_LIMIT].casefold()
    if not needle:
        return people
    exact = [p for p in people if p.employee_no.casefold() == needle]
    return exact or [
        p for p in people if needle in p.name.casefold() or p.employee_no.casefold().startswith(needle)
    ]


async def candidate(session: AsyncSession, report: Report, person_id: int) -> Person | None:
    person = await session.get(Person, person_id)
    if person is None or not person.active:
        return None
    project = await project_of(session, report.unit_id)
    return person if person.unit_id in set(await oq.unit_descendants(session, unit_id=project)) else None


# -- the checks of each step (the chat calls them at every press) ------------------------------------------


async def load(session: AsyncSession, report_id: int) -> Report:
    report = await session.get(Report, report_id)
    if report is None:
        raise RectifyRefused("rectify.not_found")
    return report


def _at(report: Report, version: int | None, states: Sequence[str]) -> None:
    if report.state not in states or (version is not None and report.version != version):
        raise RectifyRefused("rectify.changed")


async def assignable(session: AsyncSession, *, report_id: int, version: int | None, actor: Actor) -> Report:
    report = await load(session, report_id)
    if not await may_assign(session, actor, report):
        raise RectifyRefused("rectify.not_allowed")
    _at(report, version, (State.REPORTED, State.ASSIGNED))
    return report


async def submittable(session: AsyncSession, *, report_id: int, version: int | None, actor: Actor) -> Report:
    report = await load(session, report_id)
    if report.responsible_id != actor.person_id:
        raise RectifyRefused("rectify.not_yours")
    _at(report, version, (State.ASSIGNED,))
    return report


async def verifiable(
    session: AsyncSession, *, report_id: int, version: int | None, actor: Actor, state: str = State.SUBMITTED
) -> Report:
    report = await load(session, report_id)
    if not await may_verify(session, actor, report):
        raise RectifyRefused("rectify.not_allowed")
    _at(report, version, (state,))
    return report


def checked_text(text: str | None, *, limit: int, blank: str, too_long: str) -> str:
    value = (text or "").strip()
    if not value or textcheck.is_blank(value):
        raise RectifyRefused(blank)
    if len(value) > limit:
        raise RectifyRefused(too_long)
    if textcheck.control_characters(value, multiline=True):
        raise RectifyRefused("rectify.control_characters")
    return value


def checked_deadline(deadline: date, today: date) -> date:
    if deadline < today:
        raise RectifyRefused("rectify.deadline_past")
    if deadline > today + timedelta(days=DEADLINE_DAYS_MAX):
        raise RectifyRefused("rectify.deadline_far")
    return deadline


def parse_deadline(typed: str, today: date) -> date:
    try:
        deadline = date.fromisoformat(textcheck.visible(typed).strip())
    except ValueError:
        raise RectifyRefused("rectify.deadline_format") from None
    return checked_deadline(deadline, today)


async def today_of(session: AsyncSession, report: Report, *, now: datetime, defaults: Defaults) -> date:
    tree = await UnitTree.load(session)
    unit = tree.units.get(report.unit_id)
    return defaults.today(now, unit.timezone if unit else None)
