"""The record of one leader for a month, in the domain: the scripted actions of tests/record/script.py on
both databases, counted group by group with their times, late and unanswered items; what others did is
not counted as the leader's; the month is the leader's own time zone's."""

from __future__ import annotations

from pathlib import Path

from safety.export.period import parse_month
from safety.imports.results import ImportReport
from safety.imports.service import import_org_file
from safety.leader_record.figures import record_of
from safety.leader_record.model import LeaderRecord
from storage.db import Database
from tests.flow.harness import EXAMPLES
from tests.record.script import DEFAULTS, LEADER, OTHER_OFFICER, READ_AT, TEAM_LEADER, Played, play


async def _played(db: Database, tmp_path: Path) -> Played:
    async with db.session() as session:
        assert isinstance(await import_org_file(session, EXAMPLES / "org.yaml"), ImportReport)
    return await play(db, tmp_path)


async def _record(db: Database, played: Played, employee_no: str, month: str) -> LeaderRecord:
    async with db.session() as session:
        return await record_of(
            session,
            person_id=played.pid(employee_no),
            month=parse_month(month),
            now=READ_AT,
            defaults=DEFAULTS,
        )


def _summary(record: LeaderRecord) -> dict[str, tuple[dict[str, int], int | None, int | None, int, int]]:
    return {
        name: (dict(g.parts), g.median, g.slowest, g.late, g.unanswered)
        for name, g in record.groups.items()
        if not g.empty
    }


async def test_the_leaders_month_counts_exactly_what_they_did(db: Database, tmp_path: Path) -> None:
    played = await _played(db, tmp_path)
    record = await _record(db, played, LEADER, "2026-11")
    assert _summary(record) == {
        "cards": ({"read": 1, "deployed": 1, "on_time": 1}, 10, 10, 0, 0),
        "accidents": ({"acknowledged": 1, "reported": 0}, 6, 6, 0, 0),
        "shifts": ({"confirmed": 1}, 20, 20, 1, 0),
        "digests": ({"remind": 0, "excuse": 0, "handled": 1}, 10, 10, 0, 1),
        "leave": ({"approved": 1, "rejected": 0}, 10, 10, 0, 0),
        "assign": ({"assigned": 1}, 30, 30, 0, 2),
        "verify": ({"accepted": 1, "rejected": 1}, 70, 120, 0, 0),
    }
    assert record.unanswered == 3
    latest = [(i.group, i.part, i.about, i.minutes) for i in record.recent]
    assert latest == [
        ("shifts", "confirmed", "2026-11-28", 20),
        ("verify", "accepted", played.hazard_a, 20),
        ("verify", "rejected", played.hazard_a, 120),
        ("assign", "assigned", played.hazard_a, 30),
        ("cards", "read", "冬季安全提示卡", 10),
    ]


async def test_the_month_is_the_leaders_time_zones(db: Database, tmp_path: Path) -> None:
    played = await _played(db, tmp_path)
    october = await _record(db, played, LEADER, "2026-10")
    assert _summary(october) == {"leave": ({"approved": 1, "rejected": 0}, 20, 20, 0, 0)}
    assert (await _record(db, played, LEADER, "2026-12")).empty


async def test_what_others_did_is_theirs(db: Database, tmp_path: Path) -> None:
    played = await _played(db, tmp_path)
    other = _summary(await _record(db, played, OTHER_OFFICER, "2026-11"))
    assert other["digests"] == ({"remind": 1, "excuse": 0, "handled": 0}, 5, 5, 0, 0)
    assert other["cards"] == ({"read": 0, "deployed": 0, "on_time": 0}, None, None, 0, 1)
    assert other["assign"] == ({"assigned": 0}, None, None, 0, 2)
    assert "verify" not in other and "leave" not in other and "accidents" not in other
    team_leader = _summary(await _record(db, played, TEAM_LEADER, "2026-11"))
    assert team_leader == {"leave": ({"approved": 1, "rejected": 0}, 10, 10, 0, 0)}
