"""The escalation engine: one idempotent tick that moves due obligations to their highest due step.

A step resolves its role up the unit tree (the nearest holders), or goes to the subject ("self") or to
the unit's group chat ("group"). After downtime only the highest step now due is sent, once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import checkin_digest, digests, outbox, quiz_digest
from safety.delivery import OutMessage
from safety.digests import Audience
from safety.outbox import Envelope
from safety.policy import Step, highest_due_step, next_step_offset, policy_for
from storage import escalation_queries as eq
from storage import org_queries as oq
from storage.escalation_queries import DueObligation
from storage.models import Person, Unit

BATCH = 5000


@dataclass(frozen=True)
class TickReport:
    escalated: int
    digests: int
    reminders: int


class _Lookups:
    """Per-tick caches: policies per (unit, kind), role holders per (unit, role), group chats per unit."""

    def __init__(self, session: AsyncSession, units: list[Unit]) -> None:
        self.session = session
        self.units = {u.id: u for u in units}
        self.chains: dict[str, list[Unit]] = {}
        self.policies: dict[tuple[str, str], tuple[Step, ...]] = {}
        self.holders: dict[tuple[str, str], tuple[Person, ...]] = {}

    @classmethod
    async def load(cls, session: AsyncSession) -> _Lookups:
        return cls(session, await oq.all_units(session))

    def chain(self, unit_id: str) -> list[Unit]:
        """The unit and its ancestors, nearest first (from the units loaded once per tick)."""
        if unit_id not in self.chains:
            chain: list[Unit] = []
            current = self.units.get(unit_id)
            while current is not None and current not in chain:
                chain.append(current)
                current = self.units.get(current.parent_id) if current.parent_id else None
            self.chains[unit_id] = chain
        return self.chains[unit_id]

    def steps(self, unit_id: str, kind: str) -> tuple[Step, ...]:
        if (unit_id, kind) not in self.policies:
            self.policies[(unit_id, kind)] = policy_for([u.escalation for u in self.chain(unit_id)], kind)
        return self.policies[(unit_id, kind)]

    async def prefetch(self, pairs: set[tuple[str, str]]) -> None:
        """The nearest holders for many (unit, role) pairs: one query per role, not one per unit."""
        roles: dict[str, set[str]] = defaultdict(set)
        for unit_id, role in pairs:
            if role != "group" and (unit_id, role) not in self.holders:
                roles[role].update(u.id for u in self.chain(unit_id))
        for role, unit_ids in roles.items():
            by_unit: dict[str, list[Person]] = defaultdict(list)
            for person, assignment in await oq.role_holders(self.session, unit_ids=unit_ids, role=role):
                by_unit[assignment.unit_id].append(person)
            for unit_id, wanted in pairs:
                if wanted == role and (unit_id, role) not in self.holders:
                    nearest = next((by_unit[u.id] for u in self.chain(unit_id) if u.id in by_unit), [])
                    self.holders[(unit_id, role)] = tuple(p for p in nearest if p.active)

    async def audience(self, unit_id: str, target: str) -> Audience:
        chain = self.chain(unit_id)
        if target == "group":
            found = next((u for u in chain if u.group_chat_id), None)
            return Audience(group_chats=((found.id, found.group_chat_id or ""),) if found else ())
        if (unit_id, target) not in self.holders:
            held = await oq.role_holders(self.session, unit_ids=[u.id for u in chain], role=target)
            by_unit: dict[str, list[Person]] = defaultdict(list)
            for person, assignment in held:
                by_unit[assignment.unit_id].append(person)
            nearest = next((by_unit[u.id] for u in chain if u.id in by_unit), [])
            self.holders[(unit_id, target)] = tuple(p for p in nearest if p.active)
        return Audience(people=self.holders[(unit_id, target)])


async def tick(
    session: AsyncSession, *, now: datetime, default_language: str, default_timezone: str, limit: int = BATCH
) -> TickReport:
    """Fire the highest due step of every open obligation whose next step time has come."""
    due = await eq.due_obligations(session, now=now, limit=limit)
    lookups = await _Lookups.load(session)
    pictures: dict[str, checkin_digest.RoundPicture | None] = {}
    moves: dict[tuple[int, datetime | None], list[int]] = defaultdict(list)
    groups: dict[tuple[str, str, str, int, str], list[DueObligation]] = defaultdict(list)
    selves: list[tuple[DueObligation, int]] = []
    for obligation in due:
        assert obligation.id is not None
        steps = lookups.steps(obligation.unit_id, obligation.kind)
        level = highest_due_step(steps, since_due=now - obligation.due_at, level=obligation.level)
        if level is None:
            level = obligation.level  # a stale next_step_at: recompute it below, fire nothing
        else:
            target = steps[level].to
            if target == "self":
                selves.append((obligation, level))
            else:
                groups[(obligation.kind, obligation.ref, obligation.unit_id, level, target)].append(
                    obligation
                )
        offset: timedelta | None = next_step_offset(steps, level)
        moves[(level, obligation.due_at + offset if offset is not None else None)].append(obligation.id)
    for (level, next_at), ids in moves.items():
        await eq.set_steps(session, ids=ids, level=level, next_step_at=next_at)
    refs = sorted(
        {ref for kind, ref, *_ in groups if kind == "checkin"}
        | {o.ref for o, _ in selves if o.kind == "checkin"}
    )
    pictures.update(await checkin_digest.load_rounds(session, refs=refs, default_timezone=default_timezone))
    await lookups.prefetch({(unit_id, target) for (_, _, unit_id, _, target) in groups})
    requests = [
        digests.DigestRequest(
            kind=kind,
            ref=ref,
            unit_id=unit_id,
            level=level,
            obligation_ids=tuple(o.id for o in obligations),
            audience=await lookups.audience(unit_id, target),
        )
        for (kind, ref, unit_id, level, target), obligations in groups.items()
    ]
    await digests.send_digests(
        session,
        requests,
        now=now,
        default_language=default_language,
        default_timezone=default_timezone,
        pictures=pictures,
    )
    reminders = await _remind_selves(
        session,
        selves,
        now=now,
        default_language=default_language,
        default_timezone=default_timezone,
        pictures=pictures,
    )
    escalated = sum(len(v) for v in groups.values()) + len(selves)
    return TickReport(escalated=escalated, digests=len(groups), reminders=reminders)


async def _remind_selves(
    session: AsyncSession,
    selves: list[tuple[DueObligation, int]],
    *,
    now: datetime,
    default_language: str,
    default_timezone: str,
    pictures: dict[str, checkin_digest.RoundPicture | None],
) -> int:
    envelopes = []
    rendered: dict[tuple[str, str], OutMessage] = {}
    for obligation, level in selves:
        if obligation.kind == "quiz":
            subject = await session.get(Person, obligation.subject_id)
            if subject is not None:
                unit = await session.get(Unit, subject.unit_id)
                tz = ZoneInfo((unit.timezone if unit else None) or default_timezone)
                message = quiz_digest.render_reminder(
                    obligation, language=subject.language or default_language, tz=tz
                )
                key = f"ob:{obligation.id}:step:{level}"
                envelopes.append(Envelope(key=key, kind="reminder", message=message, person_id=subject.id))
            continue
        if obligation.kind != "checkin":
            continue
        picture = pictures.get(obligation.ref)  # the tick loaded every round of its due check-ins
        person = picture.people.get(obligation.subject_id) if picture else None
        if picture is None or person is None:
            continue
        language = person.language or default_language
        if (obligation.ref, language) not in rendered:  # the same reminder for everyone of a round
            rendered[(obligation.ref, language)] = checkin_digest.render_reminder(picture, language=language)
        message = rendered[(obligation.ref, language)]
        envelopes.append(
            Envelope(
                key=f"ob:{obligation.id}:step:{level}", kind="reminder", message=message, person_id=person.id
            )
        )
    await outbox.enqueue(session, envelopes, now=now)
    return len(envelopes)
