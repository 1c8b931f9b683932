"""A realistic stretch of days for an org, written with bulk inserts (the export and daily digest benchmarks).

The org: a branch (分公司) with two managers, projects (项目部) with a safety officer and a project manager
each, teams (班组) of `team_size` people, one of them the team leader; check-in every workday 07:00, due
07:30 (Asia/Shanghai). For every workday from `first` to `last` each team has a round and every member an
obligation; about 95 % answer on time, some late, a few with an issue, some miss it (the leader handles or
excuses part of those from the escalation digest, the rest climb to the manager), and people on approved
leave are excused. Around it: leave requests (approved, rejected, pending), quiz attempts (failed, then
passed) with their items, violations, reports (隐患, 未遂, 事故, 违章; `reports_per_100` per 100 people) in
every state with their history, reminder cards with recipients, answers and events, 带班 shifts on weekends.

Rows get explicit ids (no round trip per row); on PostgreSQL the id sequences are set past them afterwards,
so the product's own inserts go on from there. Everything is drawn from one seeded RNG: the same arguments
give the same month. Dates follow Monday–Friday (the months used have no official holiday).

    org = await seed(url, people=1000, first=date(2026, 11, 1), last=date(2026, 11, 30), seed=12)
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, text

from benchmarks._export_seed_records import ZONE, Org, Records, Rows, local
from storage.db import Database
from storage.migrate import upgrade
from storage.models import (
    CheckIn,
    Digest,
    DigestEntry,
    DigestRecipient,
    Leave,
    Obligation,
    Person,
    RoleAssignment,
    Round,
    Unit,
)

__all__ = ["ZONE", "Org", "seed"]
SCHEDULE = {"days": "workdays", "opens": "07:00", "due": "07:30"}
TEAMS_PER_PROJECT = 10
CHUNK = 1000  # rows per INSERT … VALUES batch


class _Month(Records):
    """The org and its rounds; the other records come from Records."""

    def __init__(self, *, people: int, team_size: int, first: date, last: date, seed: int) -> None:
        self.rng = random.Random(seed)
        self.rows = Rows()
        self.org = Org()
        self.first, self.last = first, last
        self.days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        self.workdays = [d for d in self.days if d.weekday() < 5]
        self.team_size = team_size
        self.teams = max(1, round(people / team_size))
        self.created = local(first, time(0, 0)) - timedelta(days=60)
        self.leave_days: dict[int, set[date]] = defaultdict(set)

    # -- the org -------------------------------------------------------------------------------------------
    def person(self, number: str, name: str, unit: str, roles: tuple[str, ...], cleared: bool = True) -> int:
        pid = self.rows.add(
            Person,
            employee_no=number,
            name=name,
            phone=f"139{self.rows.ids[Person] + 1:08d}",
            unit_id=unit,
            cleared=cleared,
            created_at=self.created,
        )
        for role in roles:
            self.rows.add(RoleAssignment, person_id=pid, role=role, unit_id=unit)
        return pid

    def build_org(self) -> None:
        rows, org = self.rows, self.org
        rows.add(Unit, id=org.branch, name="西南分公司", sort_order=0)
        org.branch_managers = [
            self.person(f"M9{n:03d}", f"分公司经理{n}", org.branch, ("manager",)) for n in (1, 2)
        ]
        projects = -(-self.teams // TEAMS_PER_PROJECT)
        for p in range(projects):
            project = f"proj-{p:02d}"
            org.projects.append(project)
            rows.add(Unit, id=project, name=f"第{p + 1}项目部", parent_id=org.branch, sort_order=p + 1)
            org.officers[project] = self.person(f"S{p:04d}", f"安全员{p:02d}", project, ("safety_officer",))
            org.managers[project] = self.person(f"P{p:04d}", f"项目经理{p:02d}", project, ("manager",))
        for t in range(self.teams):
            team, project = f"team-{t:03d}", org.projects[t // TEAMS_PER_PROJECT]
            org.project_of[team] = project
            rows.add(Unit, id=team, name=f"施工{t + 1}班", parent_id=project, checkin=SCHEDULE, sort_order=t)
            members = [self.person(f"L{t:04d}", f"班长{t:03d}", team, ("team_leader", "staff"))]
            for m in range(1, self.team_size):
                members.append(
                    self.person(
                        f"E{t:03d}{m:03d}", f"员工{t:03d}{m:02d}", team, ("staff",), self.rng.random() < 0.97
                    )
                )
            org.teams[team] = members

    # -- leave ---------------------------------------------------------------------------------------------
    def leave(self) -> None:
        for members in self.org.teams.values():
            leader = members[0]
            for pid in members[1:]:
                draw = self.rng.random()
                if draw >= 0.08 or not self.workdays:
                    continue
                start = self.rng.choice(self.workdays)
                end = start + timedelta(days=self.rng.choice((0, 0, 1, 2)))
                status = "approved" if draw < 0.06 else "rejected" if draw < 0.07 else "pending"
                asked = local(start, time(18, 0)) - timedelta(days=self.rng.randint(1, 4))
                decided = status != "pending"
                self.rows.add(
                    Leave,
                    person_id=pid,
                    first_day=start,
                    last_day=end,
                    reason="家中有事" if self.rng.random() < 0.5 else "身体不适",
                    status=status,
                    decided_by=leader if decided else None,
                    decided_at=asked + timedelta(hours=2) if decided else None,
                    created_at=asked,
                )
                if status == "approved":
                    self.leave_days[pid] |= {start + timedelta(days=n) for n in range((end - start).days + 1)}

    # -- rounds, check-ins, obligations, escalation digests -------------------------------------------------
    def rounds(self) -> None:
        for team, members in self.org.teams.items():
            project = self.org.project_of[team]
            chain = (members[0], self.org.officers[project], self.org.managers[project])
            for day in self.workdays:
                opens, due = local(day, time(7, 0)), local(day, time(7, 30))
                rid = self.rows.add(
                    Round, unit_id=team, day=day, opens_at=opens, due_at=due, created_at=opens
                )
                missed: list[int] = []  # obligations the escalation listed, by the level they reached
                climbed: dict[int, list[int]] = defaultdict(list)
                for pid in members:
                    missed_id, level = self.member_day(rid, team, pid, day, opens, due, chain[0])
                    if missed_id is not None:
                        missed.append(missed_id)
                        for step in range(1, level + 1):
                            climbed[step].append(missed_id)
                for step, listed in sorted(climbed.items()):
                    digest = self.rows.add(
                        Digest,
                        kind="checkin",
                        ref=f"round:{rid}",
                        unit_id=team,
                        topic="step",
                        level=step,
                        version=len(listed),
                        created_at=due + timedelta(minutes=(15, 45, 120)[step - 1]),
                    )
                    for obligation in listed:
                        self.rows.add(DigestEntry, digest_id=digest, obligation_id=obligation)
                    recipient = chain[step - 1]
                    key = f"digest:{digest}:person:{recipient}"
                    self.rows.add(DigestRecipient, digest_id=digest, person_id=recipient, outbox_key=key)

    def member_day(
        self, rid: int, team: str, pid: int, day: date, opens: datetime, due: datetime, leader: int
    ) -> tuple[int | None, int]:
        """One member's round: the check-in and the obligation; (obligation listed in digests, top level)."""
        duty: dict[str, Any] = {"kind": "checkin", "ref": f"round:{rid}", "subject_id": pid, "unit_id": team}
        duty |= {"due_at": due, "created_at": opens}
        if day in self.leave_days[pid]:
            self.rows.add(Obligation, **duty, state="excused", closed_by=leader, closed_at=opens)
            return None, 0
        draw = self.rng.random()
        if draw < 0.975:
            status = "on_time" if draw < 0.95 else "late" if draw < 0.965 else "issue"
            at = due + timedelta(minutes=self.rng.uniform(1, 90)) if status == "late" else None
            at = at or opens + timedelta(minutes=self.rng.uniform(0.2, 29))
            items = ["fit", "ppe"] if status == "issue" else None
            note = "安全帽带子断了，已找班长更换" if status == "issue" else None
            self.rows.add(CheckIn, round_id=rid, person_id=pid, status=status, items=items, note=note, at=at)
            level = 1 if status == "late" and at > due + timedelta(minutes=15) else 0
            oid = self.rows.add(Obligation, **duty, state="done", level=level, closed_by=pid, closed_at=at)
            return (oid, level) if level else (None, 0)
        handled = self.rng.random()
        if handled < 0.4:  # 已处理 from the team leader's digest
            closed = due + timedelta(minutes=self.rng.uniform(16, 40))
            oid = self.rows.add(
                Obligation,
                **duty,
                state="acknowledged",
                level=1,
                closed_by=leader,
                closed_at=closed,
                note="电话联系，已到岗",
            )
            return oid, 1
        if handled < 0.6:  # 请假 from the digest
            closed = due + timedelta(minutes=self.rng.uniform(16, 40))
            oid = self.rows.add(
                Obligation, **duty, state="excused", level=1, closed_by=leader, closed_at=closed, note="病假"
            )
            return oid, 1
        oid = self.rows.add(Obligation, **duty, state="open", level=3, next_step_at=None)
        return oid, 3


async def seed(
    url: str,
    *,
    people: int,
    first: date,
    last: date,
    team_size: int = 10,
    reports_per_100: float = 20.0,
    seed: int = 12,
    migrate: bool = True,
) -> Org:
    """Write the org and its days (about `people` team members) into the fresh database at `url`, migrated
    first unless `migrate` is false (the caller ran the migrations of the code under test)."""
    month = _Month(people=people, team_size=team_size, first=first, last=last, seed=seed)
    month.build_org()
    month.org.counts["team_members"] = month.teams * team_size
    month.leave()
    month.rounds()
    month.quizzes()
    month.violations()
    month.reports(reports_per_100)
    month.cards()
    month.shifts()
    if migrate:
        await upgrade(url)
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            for model, rows in month.rows.tables.items():
                shapes: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
                for row in rows:  # one executemany per set of columns: the others keep their defaults
                    shapes[tuple(sorted(row))].append(row)
                for same in shapes.values():
                    for start in range(0, len(same), CHUNK):
                        await connection.execute(insert(model), same[start : start + CHUNK])
                month.org.counts[str(model.__tablename__)] = len(rows)
            if connection.dialect.name == "postgresql":
                for model in month.rows.tables:
                    if "id" in model.model_fields and model.model_fields["id"].default is None:
                        name = model.__tablename__
                        await connection.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                f"(SELECT max(id) FROM {name}))"
                            )
                        )
    finally:
        await database.dispose()
    return month.org
