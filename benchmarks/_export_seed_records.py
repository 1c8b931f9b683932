"""The seeded month's org and row collector, and its records besides the rounds: quiz attempts with their
items, violations, reports with their history, reminder cards with recipients and answers, 带班 shifts
(benchmarks/_export_seed.py builds the org and the rounds and writes everything)."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import SQLModel

from storage.models import (
    Card,
    CardEvent,
    CardOccurrence,
    CardRecipient,
    Clearance,
    DutyShift,
    QuizAttempt,
    QuizItem,
    Report,
    ReportEvent,
    Violation,
)

ZONE = ZoneInfo("Asia/Shanghai")
KINDS = (
    ("hazard", "YH", 0.70),
    ("near_miss", "WS", 0.10),
    ("accident", "SG", 0.03),
    ("violation", "WZ", 0.17),
)
CARDS = (  # (id, title, event day of the month, audience roles)
    ("fire-day", "119消防宣传日安全生产提示卡", 9, ("manager", "safety_officer", "team_leader")),
    ("winter", "冬季施工安全生产提示卡", 16, ("manager", "safety_officer", "team_leader")),
    ("cold-wave", "寒潮大风预警提示卡", 24, ("manager", "safety_officer", "team_leader", "staff")),
)


@dataclass
class Org:
    """What was seeded: ids the benchmarks need (leaders to bind, people to count)."""

    branch: str = "branch"
    projects: list[str] = field(default_factory=list)
    teams: dict[str, list[int]] = field(default_factory=dict)  # team → member ids (the leader first)
    project_of: dict[str, str] = field(default_factory=dict)  # team → project
    officers: dict[str, int] = field(default_factory=dict)  # project → safety officer
    managers: dict[str, int] = field(default_factory=dict)  # project → project manager
    branch_managers: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # table → rows written

    @property
    def leaders(self) -> list[int]:
        """The daily digest's audience: safety officers and managers."""
        return [*self.officers.values(), *self.managers.values(), *self.branch_managers]

    @property
    def people(self) -> int:
        return self.counts.get("people", 0)


def local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, ZONE).astimezone(UTC)


class Rows:
    """Rows per table with their own id counters, written in one go at the end."""

    def __init__(self) -> None:
        self.tables: dict[type[SQLModel], list[dict[str, Any]]] = defaultdict(list)
        self.ids: dict[type[SQLModel], int] = defaultdict(int)

    def add(self, model: type[SQLModel], **row: Any) -> int:
        self.ids[model] += 1
        if "id" in model.model_fields and model.model_fields["id"].default is None:
            row["id"] = self.ids[model]
        self.tables[model].append(row)
        return self.ids[model]


class Records:
    """The month's records other than rounds; the seeding class provides the org, the days and the RNG."""

    rng: random.Random
    rows: Rows
    org: Org
    first: date
    last: date
    days: list[date]
    workdays: list[date]
    created: datetime  # when the org was set up (before the month)

    # -- quiz, violations ------------------------------------------------------------------------------------
    def quizzes(self) -> None:
        for members in self.org.teams.values():
            for pid in members:
                draw = self.rng.random()
                if draw >= 0.10:
                    continue
                day = self.rng.choice(self.days)
                start = local(day, time(12, 0)) + timedelta(minutes=self.rng.uniform(0, 300))
                outcomes = ("failed", "passed") if draw < 0.05 else ("passed",)
                for n, status in enumerate(outcomes):
                    started = start + timedelta(hours=n)
                    score = 10 if status == "passed" else self.rng.randint(6, 9)
                    aid = self.rows.add(
                        QuizAttempt,
                        person_id=pid,
                        status=status,
                        started_at=started,
                        expires_at=started + timedelta(minutes=30),
                        finished_at=started + timedelta(minutes=8),
                        position=10,
                        score=score,
                        total=10,
                        pass_mark=1.0,
                        source="示例题库",
                    )
                    for q in range(10):
                        right = q < score
                        self.rows.add(
                            QuizItem,
                            attempt_id=aid,
                            position=q,
                            question_id=f"q-{q + 1:03d}",
                            prohibition=q + 1,
                            type="single",
                            stem=f"第{q + 1}条禁令：下列做法正确的是（ ）",
                            options=["甲", "乙", "丙", "丁"],
                            answer=[0],
                            chosen=[0 if right else 1],
                            correct=right,
                            answered_at=started + timedelta(seconds=40 * (q + 1)),
                        )
                    if status == "passed":
                        self.rows.add(Clearance, person_id=pid, event="granted", at=started, attempt_id=aid)

    def violations(self) -> None:
        for members in self.org.teams.values():
            for pid in members[1:]:
                if self.rng.random() < 0.01:
                    at = local(self.rng.choice(self.workdays), time(10, 0))
                    self.rows.add(
                        Violation,
                        person_id=pid,
                        prohibition=self.rng.randint(1, 10),
                        note="未系安全带高处作业",
                        recorded_by=members[0],
                        at=at,
                    )

    # -- reports ---------------------------------------------------------------------------------------------
    def reports(self, per_100: float) -> None:
        teams = list(self.org.teams)
        total = round(self.org.counts.get("team_members", 0) * per_100 / 100)
        numbers: dict[tuple[str, date], int] = defaultdict(int)
        for _ in range(total):
            kind, prefix = self.pick_kind()
            team = self.rng.choice(teams)
            members = self.org.teams[team]
            officer = self.org.officers[self.org.project_of[team]]
            day = self.rng.choice(self.days)
            created = local(day, time(8, 0)) + timedelta(minutes=self.rng.uniform(0, 600))
            numbers[prefix, day] += 1
            state = self.rng.choices(("reported", "assigned", "submitted", "closed"), (15, 20, 20, 45))[0]
            row: dict[str, Any] = {"kind": kind, "state": state, "unit_id": team, "created_at": created}
            row |= {
                "number": f"{prefix}-{day:%Y%m%d}-{numbers[prefix, day]:04d}",
                "reporter_id": self.rng.choice(members),
            }
            row |= {"description": "脚手架连墙件缺失，存在坍塌风险", "location_text": f"{team} 作业面"}
            if kind == "hazard":
                row["severity"] = "major" if self.rng.random() < 0.05 else "general"
            if kind == "accident":
                row |= {"deaths": 0, "serious_injuries": 0, "minor_injuries": 1, "category_name": "物体打击"}
            events = [("reported", row["reporter_id"], created)]
            if state != "reported":
                assigned = created + timedelta(hours=self.rng.uniform(0.5, 6))
                deadline = assigned.astimezone(ZONE).date() + timedelta(days=self.rng.choice((1, 3, 7)))
                row |= {
                    "responsible_id": members[0],
                    "deadline": deadline,
                    "measures": "补设连墙件，复查验收",
                }
                row |= {"assigned_by": officer, "assigned_at": assigned}
                events.append(("assigned", officer, assigned))
            if state in ("submitted", "closed"):
                submitted = row["assigned_at"] + timedelta(hours=self.rng.uniform(2, 96))
                row["submitted_at"] = submitted
                events.append(("submitted", members[0], submitted))
            if state == "closed":
                closed = row["submitted_at"] + timedelta(hours=self.rng.uniform(1, 30))
                if self.rng.random() < 0.15:  # sent back once first
                    events.append(("rejected", officer, closed))
                    events.append(("submitted", members[0], closed + timedelta(hours=3)))
                    closed += timedelta(hours=6)
                row |= {"closed_by": officer, "closed_at": closed}
                events.append(("closed", officer, closed))
            rid = self.rows.add(Report, **row)
            for action, actor, at in events:
                self.rows.add(ReportEvent, report_id=rid, action=action, actor_id=actor, at=at)

    def pick_kind(self) -> tuple[str, str]:
        draw, acc = self.rng.random(), 0.0
        for kind, prefix, share in KINDS:
            acc += share
            if draw < acc:
                return kind, prefix
        return KINDS[0][0], KINDS[0][1]

    # -- cards, 带班 shifts ----------------------------------------------------------------------------------
    def audience(self, roles: tuple[str, ...]) -> Iterator[tuple[int, str]]:
        org = self.org
        if "manager" in roles:
            yield from ((m, org.branch) for m in org.branch_managers)
            yield from ((m, p) for p, m in org.managers.items())
        if "safety_officer" in roles:
            yield from ((s, p) for p, s in org.officers.items())
        for team, members in org.teams.items():
            if "team_leader" in roles:
                yield members[0], team
            if "staff" in roles:
                yield from ((m, team) for m in members[1:])

    def cards(self) -> None:
        for card_id, title, day_of_month, roles in CARDS:
            event = self.first.replace(day=min(day_of_month, self.last.day))
            if not self.first <= event <= self.last:
                continue
            items = ["组织开展专项隐患排查", "落实领导带班和24小时值班", "做好应急物资和人员准备"]
            self.rows.add(
                Card,
                id=card_id,
                title=title,
                date_rule=f"{event:%m-%d}",
                send_before="P1D",
                send_at="09:00",
                audience_roles=list(roles),
                items=items,
                ack=["read", "deployed"],
                created_at=self.created,
                updated_at=self.created,
            )
            send = local(event - timedelta(days=1), time(9, 0))
            occurrence = self.rows.add(
                CardOccurrence,
                card_id=card_id,
                event_date=event,
                send_at=send,
                title=title,
                items=items,
                sent_at=send + timedelta(seconds=20),
                created_at=send,
            )
            for pid, unit in self.audience(roles):
                draw = self.rng.random()
                read = send + timedelta(minutes=self.rng.uniform(2, 200)) if draw < 0.85 else None
                read = read or (send + timedelta(hours=self.rng.uniform(5, 30)) if draw < 0.95 else None)
                deployed = read + timedelta(minutes=self.rng.uniform(5, 120)) if read else None
                self.rows.add(
                    CardRecipient,
                    occurrence_id=occurrence,
                    person_id=pid,
                    unit_id=unit,
                    read_at=read,
                    deployed_at=deployed,
                    version=2 if read else 0,
                    created_at=send,
                )
                for action, at in (("read", read), ("deployed", deployed)):
                    if at is not None:
                        self.rows.add(
                            CardEvent,
                            occurrence_id=occurrence,
                            person_id=pid,
                            revision=1,
                            action=action,
                            at=at,
                        )

    def shifts(self) -> None:
        for day in self.days:
            if day.weekday() < 5:
                continue
            for project in self.org.projects:
                person = self.org.managers[project] if day.weekday() == 5 else self.org.officers[project]
                start = local(day, time(8, 0))
                confirmed = start + timedelta(minutes=5) if self.rng.random() < 0.9 else None
                self.rows.add(
                    DutyShift,
                    day=day,
                    starts_at=start,
                    ends_at=start + timedelta(hours=12),
                    person_id=person,
                    unit_id=project,
                    role="leader",
                    opened_at=start,
                    confirmed_at=confirmed,
                    created_at=start,
                )
