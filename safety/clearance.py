"""Duty clearance: granted by a full-score quiz (or a pass recorded outside the bot), suspended by a
violation, renewed by date; quiz requirements are obligations of kind `quiz` with a deadline, escalated by
the engine like any duty. Dates are the person's unit's (safety.config.Defaults.zone)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from safety import digests, outbox
from safety.config import Defaults
from safety.kinds import QUIZ
from safety.outbox import Envelope
from safety.policy import policy_for
from safety.views import Text, View
from storage import duty_queries as dq
from storage import org_queries as oq
from storage import quiz_queries as qq
from storage.models import ChatIdentity, Obligation, Person, RoleAssignment, Unit


@dataclass(frozen=True)
class QuizRules:
    pass_mark: float = 1.0  # share of right answers needed; 1.0: only a full score clears (考试满分方可上岗)
    expires: timedelta = timedelta(minutes=30)  # an attempt left this long expires as not passed
    questions_per_prohibition: int = 1
    clearance_days: int = 0  # 0: clearance does not expire; e.g. 365 for a yearly renewal
    deadline: timedelta = timedelta(days=7)  # time to pass after a requirement
    violation_window: timedelta = timedelta(days=365)  # a second violation within it goes to the manager
    defaults: Defaults = field(default_factory=Defaults)


async def zone_of(session: AsyncSession, person: Person, defaults: Defaults) -> ZoneInfo:
    """The person's time zone: their unit's, else the default."""
    unit = await session.get(Unit, person.unit_id)
    return defaults.zone(unit.timezone if unit else None)


async def require_quiz(
    session: AsyncSession, *, person: Person, reason: str, now: datetime, rules: QuizRules
) -> Obligation | None:
    """A quiz requirement with a deadline (unless one is open already), and a notice to the person."""
    assert person.id is not None
    existing = (
        await session.exec(
            select(Obligation).where(
                Obligation.kind == QUIZ, Obligation.subject_id == person.id, Obligation.state == "open"
            )
        )
    ).first()
    if existing is not None:
        return None
    due_at = now + rules.deadline
    chain = [u.escalation for u in await oq.unit_ancestors(session, unit_id=person.unit_id)]
    steps = policy_for(chain, QUIZ)
    local_due = due_at.astimezone(await zone_of(session, person, rules.defaults))
    ref = f"quiz:{local_due.date().isoformat()}"
    if await dq.obligation_of(session, kind=QUIZ, ref=ref, subject_id=person.id):
        ref = f"{ref}:{now:%H%M%S}"
    obligation = Obligation(
        kind=QUIZ,
        ref=ref,
        subject_id=person.id,
        unit_id=person.unit_id,
        due_at=due_at,
        next_step_at=due_at + steps[0].after if steps else None,
        note=reason,
        created_at=now,
    )
    session.add(obligation)
    await session.flush()
    view = View(
        (
            Text(
                "quiz.required",
                reason=Text(f"quiz.reason_{reason}"),
                due=local_due.strftime("%Y-%m-%d %H:%M"),
            ),
        )
    )
    envelope = Envelope(key=f"quiz:required:{obligation.id}", kind=QUIZ, view=view, person_id=person.id)
    await outbox.enqueue(session, [envelope], now=now, default_channel=rules.defaults.channel)
    return obligation


def clearance_until(passed_on: date, rules: QuizRules) -> date | None:
    """Until when a pass on that (local) date clears: None when clearance does not expire."""
    return passed_on + timedelta(days=rules.clearance_days) if rules.clearance_days else None


async def grant(
    session: AsyncSession, *, person: Person, attempt_id: int, now: datetime, rules: QuizRules
) -> None:
    """A passed attempt clears the person (until a date, with renewal) and closes the requirements."""
    assert person.id is not None
    today = now.astimezone(await zone_of(session, person, rules.defaults)).date()
    until = clearance_until(today, rules)
    person.cleared, person.cleared_until = True, until
    session.add(person)
    qq.add_clearance(
        session, person_id=person.id, event="granted", at=now, until=until, attempt_id=attempt_id
    )
    await close_requirements(session, person=person, now=now, rules=rules)


async def close_requirements(
    session: AsyncSession, *, person: Person, now: datetime, rules: QuizRules
) -> int:
    """Close the person's open quiz requirements as done (they are cleared) and edit the digests listing
    them; returns how many were closed."""
    assert person.id is not None
    refs: set[str] = set()
    open_ = await session.exec(
        select(Obligation).where(
            Obligation.kind == QUIZ, Obligation.subject_id == person.id, Obligation.state == "open"
        )
    )
    closed = 0
    for obligation in open_.all():
        assert obligation.id is not None
        if await dq.close_obligation(
            session, obligation_id=obligation.id, state="done", by=person.id, now=now
        ):
            refs.add(obligation.ref)
            closed += 1
    for ref in sorted(refs):
        await digests.refresh(session, kind=QUIZ, ref=ref, now=now, defaults=rules.defaults)
    return closed


async def suspend(session: AsyncSession, *, person: Person, violation_id: int, now: datetime) -> None:
    assert person.id is not None
    person.cleared = False
    session.add(person)
    qq.add_clearance(session, person_id=person.id, event="suspended", at=now, violation_id=violation_id)


async def ensure_requirements(session: AsyncSession, *, now: datetime, rules: QuizRules) -> int:
    """Expire stale attempts; lapse clearances past their date; require the quiz of bound staff who were
    never asked (new hires) or whose clearance lapsed (renewal). Returns the requirements created."""
    await qq.expire_attempts(session, now=now)
    latest_today = (now + timedelta(days=1)).date()  # no zone is a day ahead of UTC's tomorrow
    created = 0
    candidates = await session.exec(
        select(Person, Unit)
        .join(Unit, col(Unit.id) == col(Person.unit_id))
        .where(
            col(Person.active).is_(True),
            col(Person.cleared).is_(True),
            col(Person.cleared_until) < latest_today,
        )
    )
    for person, unit in candidates.all():
        today = rules.defaults.today(now, unit.timezone)
        if person.cleared_until is None or person.cleared_until >= today:
            continue
        person.cleared = False
        session.add(person)
        qq.add_clearance(session, person_id=person.id or 0, event="expired", at=now)
        created += bool(await require_quiz(session, person=person, reason="renewal", now=now, rules=rules))
    asked = select(Obligation.subject_id).where(Obligation.kind == QUIZ)
    new_hires = await session.exec(
        select(Person)
        .join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
        .join(ChatIdentity, col(ChatIdentity.person_id) == col(Person.id))
        .where(
            col(Person.active).is_(True),
            col(Person.cleared).is_(False),
            RoleAssignment.role == "staff",
            col(Person.id).not_in(asked),
        )
    )
    for person in new_hires.unique().all():
        created += bool(await require_quiz(session, person=person, reason="new_hire", now=now, rules=rules))
    return created
