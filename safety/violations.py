"""Recording a violation of a prohibition: first time, clearance is suspended and the quiz must be
re-passed (下岗学习, 考试合格后上岗); a second time within the window, the case goes to the manager."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import clearance, outbox, textcheck
from safety.access import Actor
from safety.clearance import QuizRules
from safety.outbox import Envelope
from safety.roles import Role
from safety.views import Text, View
from storage import identity_queries as iq
from storage import org_queries as oq
from storage import quiz_queries as qq
from storage.models import Person, Prohibition, Violation

RECORDERS = frozenset({Role.TEAM_LEADER, Role.SAFETY_OFFICER})
NOTE_LIMIT = 500


class Recorded(StrEnum):
    FIRST = "first"
    REPEAT = "repeat"
    NOT_ALLOWED = "not_allowed"
    UNKNOWN_PERSON = "unknown_person"
    UNKNOWN_PROHIBITION = "unknown_prohibition"


@dataclass(frozen=True)
class ViolationOutcome:
    status: Recorded
    violation: Violation | None = None
    person: Person | None = None
    history: int = 0  # violations in the window, this one included


async def record(
    session: AsyncSession,
    *,
    actor: Actor,
    employee_no: str,
    prohibition: int,
    note: str,
    now: datetime,
    rules: QuizRules,
    channel: str,
    photo_file_id: str | None = None,
) -> ViolationOutcome:
    """Record, suspend clearance, require the quiz, and tell the person, their leader (and the manager).
    `photo_file_id`: the evidence photo, when it came before the record (the guided form)."""
    people = await oq.people_by_employee_no(session, employee_nos=[employee_no])
    person = people.get(employee_no)
    if person is None or not person.active or person.id is None:
        return ViolationOutcome(Recorded.UNKNOWN_PERSON)
    if not await may_record(session, actor, person):
        return ViolationOutcome(Recorded.NOT_ALLOWED, person=person)
    rule = await session.get(Prohibition, prohibition)
    if rule is None or not rule.active:
        return ViolationOutcome(Recorded.UNKNOWN_PROHIBITION, person=person)
    earlier = await qq.violations_since(session, person_id=person.id, since=now - rules.violation_window)
    violation = Violation(
        person_id=person.id,
        prohibition=prohibition,
        note=note[:NOTE_LIMIT],
        photo_file_id=photo_file_id,
        recorded_by=actor.person_id,
        at=now,
        repeat=bool(earlier),
    )
    session.add(violation)
    await session.flush()
    assert violation.id is not None
    await clearance.suspend(session, person=person, violation_id=violation.id, now=now)
    await clearance.require_quiz(session, person=person, reason="violation", now=now, rules=rules)
    await _notify(session, violation, person, rule, actor, earlier, now=now, rules=rules)
    iq.add_audit(
        session,
        at=now,
        actor_id=actor.person_id,
        channel=channel,
        action="violation.repeat" if earlier else "violation.first",
        subject=person.employee_no,
        detail={"violation": violation.id, "prohibition": prohibition, "earlier": [v.id for v in earlier]},
    )
    status = Recorded.REPEAT if earlier else Recorded.FIRST
    return ViolationOutcome(status, violation, person, history=len(earlier) + 1)


async def may_record(session: AsyncSession, actor: Actor, person: Person) -> bool:
    """The rule: a team leader or safety officer of the person's unit or a unit above it, never for
    themself."""
    chain = {u.id for u in await oq.unit_ancestors(session, unit_id=person.unit_id)}
    return bool(actor.units_with(RECORDERS) & chain) and actor.person_id != person.id


async def recordable_people(session: AsyncSession, *, actor: Actor, query: str = "") -> list[Person]:
    """The active people the actor may record a violation for (the units where they are team leader or
    safety officer, and every unit below; never themself), by employee number. `query` narrows the list:
    an exact employee number gives that person only, else names containing it or employee numbers
    starting with it (case and odd spaces ignored)."""
    units: set[str] = set()
    for unit_id in actor.units_with(RECORDERS):
        units.update(await oq.unit_descendants(session, unit_id=unit_id))
    people = [p for p in await oq.people_in_units(session, unit_ids=units) if p.id != actor.person_id]
    needle = _folded(query)
    if not needle:
        return people
    exact = [p for p in people if p.employee_no.casefold() == needle]
    if exact:
        return exact
    return [p for p in people if needle in _folded(p.name) or p.employee_no.casefold().startswith(needle)]


def _folded(text: str) -> str:
    return textcheck.plain_spaces(textcheck.visible(text)).casefold()


async def recordable_person(session: AsyncSession, *, actor: Actor, person_id: int) -> Person | None:
    """The person, if active and the actor may record a violation for them now; else None."""
    person = await session.get(Person, person_id)
    if person is None or not person.active or not await may_record(session, actor, person):
        return None
    return person


async def _notify(
    session: AsyncSession,
    violation: Violation,
    person: Person,
    rule: Prohibition,
    actor: Actor,
    earlier: list[Violation],
    *,
    now: datetime,
    rules: QuizRules,
) -> None:
    tz = await clearance.zone_of(session, person, rules.defaults)
    envelopes = []

    def add(to: Person, key: str, **params: object) -> None:
        text = Text(
            key,
            name=person.name,
            number=rule.number,
            title=rule.title,
            note=violation.note,
            by=actor.name,
            **params,
        )
        envelopes.append(
            Envelope(
                key=f"violation:{violation.id}:{key}:{to.id}",
                kind="violation",
                view=View((text,)),
                person_id=to.id,
            )
        )

    add(person, "violation.notice_person")
    leaders = [
        p
        for p in await oq.nearest_role_holders(session, unit_id=person.unit_id, role=Role.TEAM_LEADER)
        if p.active
    ]
    for leader in leaders:
        if leader.id != actor.person_id:
            add(leader, "violation.notice_leader")
    if earlier:
        history = "\n".join(f"{v.at.astimezone(tz):%Y-%m-%d} #{v.prohibition} {v.note}" for v in earlier)
        for manager in [
            p
            for p in await oq.nearest_role_holders(session, unit_id=person.unit_id, role=Role.MANAGER)
            if p.active
        ]:
            add(manager, "violation.notice_manager", count=len(earlier) + 1, history=history)
    await outbox.enqueue(session, envelopes, now=now, default_channel=rules.defaults.channel)


async def attach_photo(session: AsyncSession, *, violation_id: int, recorder_id: int, file_id: str) -> bool:
    """The photo sent after recording becomes the violation's evidence (only its recorder may add it)."""
    violation = await session.get(Violation, violation_id)
    if violation is None or violation.recorded_by != recorder_id:
        return False
    violation.photo_file_id = file_id
    session.add(violation)
    return True
