"""The escalation engine: one idempotent tick that moves due obligations to their highest due step.

A step resolves its role up the unit tree (the nearest holders), or goes to the subject ("self") or to
the unit's group chat ("group"). After downtime only the highest step now due is sent, once. What a step
says is the kind's (safety.kinds); the engine never branches on a kind's name.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import digests, duty_pictures, kinds, outbox
from safety.config import Defaults
from safety.digests import Audience
from safety.kinds.base import Picture
from safety.outbox import Envelope
from safety.policy import Step, highest_due_step, next_step_offset, policy_for
from safety.views import View
from storage import escalation_queries as eq
from storage import org_queries as oq
from storage.escalation_queries import DueObligation, DutyRow
from storage.models import Person, Unit

BATCH = 5000


@dataclass(frozen=True)
class TickReport:
    escalated: int
    digests: int
    reminders: int


class UnitTree:
    """The units loaded once: chains up the tree, policies per (unit, kind), role holders per (unit, role)."""

    def __init__(self, session: AsyncSession, units: list[Unit]) -> None:
        self.session = session
        self.units = {u.id: u for u in units}
        self.chains: dict[str, list[Unit]] = {}
        self.policies: dict[tuple[str, str], tuple[Step, ...]] = {}
        self.holders: dict[tuple[str, str], tuple[Person, ...]] = {}

    @classmethod
    async def load(cls, session: AsyncSession) -> UnitTree:
        return cls(session, await oq.all_units(session))

    def chain(self, unit_id: str) -> list[Unit]:
        """The unit and its ancestors, nearest first."""
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
        if target == "group":
            found = next((u for u in self.chain(unit_id) if u.group_chat_id), None)
            return Audience(group_chats=((found.id, found.group_chat_id or ""),) if found else ())
        await self.prefetch({(unit_id, target)})
        return Audience(people=self.holders[(unit_id, target)])

    async def audience_of(self, unit_id: str, target: str, subjects: set[int]) -> Audience:
        """As `audience`, but a digest naming one person only never goes to that person (a manager late
        with their own card): without them, the next holders up the chain get it."""
        found = await self.audience(unit_id, target)
        if len(subjects) != 1 or not any(p.id in subjects for p in found.people):
            return found
        for unit in self.chain(unit_id):
            others = tuple(p for p in (await self.audience(unit.id, target)).people if p.id not in subjects)
            if others:
                return Audience(people=others)
        return Audience()


async def tick(session: AsyncSession, *, now: datetime, defaults: Defaults, limit: int = BATCH) -> TickReport:
    """Fire the highest due step of every open obligation whose next step time has come."""
    due = await eq.due_obligations(session, now=now, limit=limit)
    tree = await UnitTree.load(session)
    moves: dict[tuple[int, datetime | None], list[int]] = defaultdict(list)
    groups: dict[tuple[str, str, str, int, str], list[DueObligation]] = defaultdict(list)
    selves: list[tuple[DueObligation, int]] = []
    for obligation in due:
        steps = tree.steps(obligation.unit_id, obligation.kind)
        level = highest_due_step(steps, since_due=now - obligation.due_at, level=obligation.level)
        if level is None:
            level = obligation.level  # a stale next_step_at: recompute it below, fire nothing
        elif steps[level].to == "self":
            selves.append((obligation, level))
        else:
            key = (obligation.kind, obligation.ref, obligation.unit_id, level, steps[level].to)
            groups[key].append(obligation)
        offset: timedelta | None = next_step_offset(steps, level)
        moves[(level, obligation.due_at + offset if offset is not None else None)].append(obligation.id)
    for (level, next_at), ids in moves.items():
        await eq.set_steps(session, ids=ids, level=level, next_step_at=next_at)
    refs: dict[str, set[str]] = defaultdict(set)
    for kind, ref, *_ in groups:
        refs[kind].add(ref)
    for obligation, _ in selves:
        refs[obligation.kind].add(obligation.ref)
    pictures: dict[tuple[str, str], Picture] = {}
    for kind, kind_refs in refs.items():
        loaded = await duty_pictures.load(session, kind=kind, refs=sorted(kind_refs), defaults=defaults)
        pictures.update(((kind, ref), picture) for ref, picture in loaded.items())
    await tree.prefetch({(unit_id, target) for (_, _, unit_id, _, target) in groups})
    requests = [
        digests.DigestRequest(
            kind=kind,
            ref=ref,
            unit_id=unit_id,
            level=level,
            obligation_ids=tuple(o.id for o in obligations),
            audience=await tree.audience_of(unit_id, target, _named(kind, obligations)),
        )
        for (kind, ref, unit_id, level, target), obligations in groups.items()
    ]
    await digests.send(session, requests, now=now, defaults=defaults, pictures=pictures)
    reminders = await _remind_selves(session, selves, now=now, defaults=defaults, pictures=pictures)
    escalated = sum(len(v) for v in groups.values()) + len(selves)
    return TickReport(escalated=escalated, digests=len(groups), reminders=reminders)


def _named(kind: str, obligations: list[DueObligation]) -> set[int]:
    """The subjects a step digest names (none when the kind's digests do not list subjects)."""
    return {o.subject_id for o in obligations} if getattr(kinds.get(kind), "lists_subjects", True) else set()


async def _remind_selves(
    session: AsyncSession,
    selves: list[tuple[DueObligation, int]],
    *,
    now: datetime,
    defaults: Defaults,
    pictures: dict[tuple[str, str], Picture],
) -> int:
    envelopes = []
    shared: dict[tuple[str, str], View | None] = {}  # the same reminder for everyone of a round
    for obligation, level in selves:
        picture = pictures.get((obligation.kind, obligation.ref))
        duty = picture.by_id.get(obligation.id) if picture else None
        if picture is None or duty is None:
            continue
        view = _reminder(picture, duty, shared)
        if view is not None:
            key = f"ob:{obligation.id}:step:{level}"
            envelopes.append(Envelope(key=key, kind="reminder", view=view, person_id=obligation.subject_id))
    await outbox.enqueue(session, envelopes, now=now, default_channel=defaults.channel)
    return len(envelopes)


def _reminder(picture: Picture, duty: DutyRow, shared: dict[tuple[str, str], View | None]) -> View | None:
    """A kind whose reminder is the same for everyone of a reference (a round's checklist) is asked once:
    one view for thousands of rows, encoded once in the outbox."""
    kind = kinds.get(picture.kind)
    if not kind.shared_reminder:
        return kind.reminder(picture, duty)
    key = (picture.kind, picture.ref)
    if key not in shared:
        shared[key] = kind.reminder(picture, duty)
    return shared[key]
