"""Two processes ticking on PostgreSQL over 10,000 due obligations: every step fires once — one reminder per
obligation at its own step, one digest per team at the leader's step, each obligation moved once."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from storage.db import Database
from storage.dialects import insert_many
from storage.models import (
    Digest,
    DigestRecipient,
    Obligation,
    OutboxMessage,
    Person,
    RoleAssignment,
    Round,
    Unit,
)

ROOT = Path(__file__).resolve().parents[2]
TEAMS, PER_TEAM = 100, 100  # 10,000 due
DUE = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)  # 07:30 in Shanghai
POLICY = {"checkin": [{"after": "PT0S", "to": "self"}, {"after": "PT15M", "to": "team_leader"}]}


async def _load(db: Database) -> None:
    """Half the teams are at the own-reminder step (due one second ago), half at the leader's step."""
    async with db.session() as session:
        session.add(Unit(id="co", name="公司", escalation=POLICY))
        await session.flush()
        checkin = {"days": "everyday", "opens": "07:00", "due": "07:30"}
        session.add_all(
            Unit(id=f"t{t:03d}", name=f"{t:03d}班", parent_id="co", checkin=checkin) for t in range(TEAMS)
        )
        await session.flush()
        people = [
            {
                "id": t * (PER_TEAM + 1) + i + 1,
                "employee_no": f"E{t:03d}-{i:03d}",
                "name": f"员工{t}-{i}",
                "unit_id": f"t{t:03d}",
                "active": True,
                "cleared": True,
                "unreachable": False,
                "created_at": DUE,
            }
            for t in range(TEAMS)
            for i in range(PER_TEAM + 1)  # the last of each team leads it
        ]
        await insert_many(session, Person, people)
        leaders = [t * (PER_TEAM + 1) + PER_TEAM + 1 for t in range(TEAMS)]
        roles = [
            {"person_id": p, "role": "team_leader", "unit_id": f"t{n:03d}"} for n, p in enumerate(leaders)
        ]
        await insert_many(session, RoleAssignment, roles)
        rounds = [
            {
                "id": t + 1,
                "unit_id": f"t{t:03d}",
                "day": date(2026, 11, 27),
                "opens_at": DUE,
                "due_at": DUE,
                "created_at": DUE,
            }
            for t in range(TEAMS)
        ]
        await insert_many(session, Round, rounds)
        obligations = []
        for t in range(TEAMS):
            due = DUE if t % 2 else DUE - timedelta(minutes=15)  # odd teams: step 0 due; even: step 1 due
            obligations += [
                {
                    "kind": "checkin",
                    "ref": f"round:{t + 1}",
                    "subject_id": t * (PER_TEAM + 1) + i + 1,
                    "unit_id": f"t{t:03d}",
                    "due_at": due,
                    "state": "open",
                    "level": -1,
                    "next_step_at": due,
                    "created_at": DUE,
                }
                for i in range(PER_TEAM)
            ]
        await insert_many(session, Obligation, obligations)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_processes_ticking_fire_every_step_once(db: Database) -> None:
    await _load(db)
    now = DUE + timedelta(seconds=1)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.escalation.ticker",
            db.url,
            now.isoformat(),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = [await asyncio.wait_for(p.communicate(), 120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err.decode()[-2000:] for _, err in outputs]
    moved = [int(out.decode().strip().splitlines()[-1]) for out, _ in outputs]
    assert sum(moved) == TEAMS * PER_TEAM, moved
    async with db.session() as session:
        levels = dict(
            (await session.exec(select(Obligation.level, func.count()).group_by(col(Obligation.level)))).all()
        )
        kinds = dict(
            (
                await session.exec(select(OutboxMessage.kind, func.count()).group_by(col(OutboxMessage.kind)))
            ).all()
        )
        reminders = (
            await session.exec(select(OutboxMessage.person_id).where(OutboxMessage.kind == "reminder"))
        ).all()
        digests = (await session.exec(select(func.count()).select_from(Digest))).one()
        recipients = (await session.exec(select(func.count()).select_from(DigestRecipient))).one()
    assert levels == {0: TEAMS * PER_TEAM // 2, 1: TEAMS * PER_TEAM // 2}, "each moved once, to its own step"
    assert kinds == {"reminder": TEAMS * PER_TEAM // 2, "digest": TEAMS // 2}, kinds
    assert len(set(reminders)) == len(reminders), "one reminder per person"
    assert digests == TEAMS // 2 and recipients == TEAMS // 2, "one digest per team, to its leader"
