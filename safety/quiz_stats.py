"""What leaders see of the quiz in their units: who is cleared, pass rates, the most-missed questions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.access import Actor
from safety.roster_status import scope_units
from storage import org_queries as oq
from storage import quiz_queries as qq
from storage import roster_queries as rq

MOST_MISSED = 3


@dataclass(frozen=True)
class UnitQuiz:
    unit_name: str
    people: int
    cleared: int
    attempts: int
    passed: int


@dataclass(frozen=True)
class QuizPicture:
    units: list[UnitQuiz]
    missed: list[tuple[str, str, int]]  # question id, stem, times wrong


async def quiz_picture(session: AsyncSession, *, actor: Actor) -> QuizPicture:
    units = await scope_units(session, actor=actor)
    people = await oq.people_in_units(session, unit_ids=units)
    ids = [p.id for p in people if p.id is not None]
    counts = await qq.pass_counts(session, person_ids=ids)
    names = await rq.unit_names(session, unit_ids=units)
    rows = []
    for unit_id in units:
        members = [p for p in people if p.unit_id == unit_id]
        if not members:
            continue
        attempts = sum(counts.get(p.id or 0, (0, 0))[0] for p in members)
        passed = sum(counts.get(p.id or 0, (0, 0))[1] for p in members)
        rows.append(
            UnitQuiz(
                names.get(unit_id, unit_id),
                len(members),
                sum(1 for p in members if p.cleared),
                attempts,
                passed,
            )
        )
    return QuizPicture(rows, await qq.most_missed(session, person_ids=ids, limit=MOST_MISSED))
