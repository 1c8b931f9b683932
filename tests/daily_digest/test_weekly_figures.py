"""The weekly summary's figures of a scripted week, on both databases: last week (2026-11-23 to 11-29,
Shanghai dates) beside the week before, counted inside the leader's scope only; who is due on Monday (and
nobody on Tuesday); the message a leader reads, and one line for a week without data."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlmodel import col, select, update

from safety.config import Defaults
from safety.daily_digest import weekly_send
from safety.daily_digest.weekly import WeekFigures, cleared_at, gather, week_of
from safety.imports.service import import_org_file
from safety.views import Text, render
from storage import org_queries as oq
from storage.db import Database
from storage.models import (
    Card,
    CardOccurrence,
    CardRecipient,
    CheckIn,
    Clearance,
    OutboxMessage,
    Person,
    Report,
    Round,
)
from tests.flow.harness import EXAMPLES

MONDAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)  # 17:30 in Shanghai
SHANGHAI = 8  # hours ahead of UTC


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall time of November 2026, as the aware UTC time the database holds."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=SHANGHAI)


async def seed(db: Database) -> dict[str, Person]:
    async with db.session() as session:
        await import_org_file(session, EXAMPLES / "org.yaml")
        people = {p.employee_no: p for p in await oq.all_people(session)}

        def pid(employee_no: str) -> int:
            return people[employee_no].id or 0

        # rounds: (team, day, who answered)
        blast = ["E1000", "E1001", "E1002", "E1003"]
        for unit, day, answered in (
            ("team-blast", 23, blast),  # last week: 4 + 2 of 2 × 4 = 75 %
            ("team-blast", 24, blast[:2]),
            ("team-blast", 17, blast[:2]),  # the week before: 50 %
            ("team-blast", 30, []),  # today's round is this week's
            ("team-drill", 25, ["E1100", "E1101", "E1102"]),  # 100 %, no round the week before
            ("team-mill", 23, ["E2000"]),  # 新桥: 50 %, the week before 100 %
            ("team-mill", 16, ["E2000", "E2001"]),
        ):
            opens = local(day, 7)
            found = Round(unit_id=unit, day=date(2026, 11, day), opens_at=opens, due_at=opens)
            session.add(found)
            await session.flush()
            for n in answered:
                session.add(CheckIn(round_id=found.id or 0, person_id=pid(n), status="on_time"))
        # reports: (number, kind, unit, reported, state, deadline, closed)
        for number, kind, unit, created, state, deadline, closed in (
            ("H1", "hazard", "team-blast", local(23, 0, 30), "reported", None, None),  # in: 00:30 Monday
            ("H2", "hazard", "team-blast", local(22, 23, 30), "closed", 26, local(25, 10)),  # on time
            ("H3", "hazard", "team-drill", local(24, 9), "closed", 27, local(28, 10)),  # late
            ("H4", "hazard", "team-blast", local(20, 9), "assigned", 28, None),  # overdue now
            ("H5", "hazard", "team-mill", local(25, 9), "reported", None, None),  # 新桥's
            ("V1", "violation", "team-blast", local(20, 9), "closed", 26, local(27, 1)),  # late locally
        ):
            session.add(
                Report(
                    number=number,
                    kind=kind,
                    state=state,
                    unit_id=unit,
                    reporter_id=pid("E1001"),
                    description="护栏缺失",
                    deadline=date(2026, 11, deadline) if deadline else None,
                    closed_at=closed,
                    created_at=created,
                )
            )
        # clearance: E1000, E1001 cleared throughout (no history); E1002 and E1101 passed during the
        # week; E1003 was suspended during it; E1100 passed long before
        cleared = ["E1000", "E1001", "E1002", "E1100", "E1101"]
        await session.exec(update(Person).where(col(Person.employee_no).in_(cleared)).values(cleared=True))  # type: ignore[attr-defined]
        for n, event, at in (
            ("E1002", "granted", local(27, 10)),
            ("E1101", "granted", local(28, 10)),
            ("E1003", "granted", local(1, 10)),
            ("E1003", "suspended", local(26, 10)),
            ("E1100", "granted", local(10, 10)),
        ):
            session.add(Clearance(person_id=pid(n), event=event, at=at))
        # cards: one sent last week (E1001 read it, E1002 not; 新桥's E2001 read it), one the week before
        session.add(
            Card(
                id="c1", title="防寒", date_rule="11-24", audience_roles=["staff"], items=["x"], ack=["read"]
            )
        )
        for day, recipients in (
            (24, (("E1001", True), ("E1002", False), ("E2001", True))),
            (22, (("E1003", True),)),
        ):
            occurrence = CardOccurrence(
                card_id="c1", event_date=date(2026, 11, day), send_at=local(day, 9), title="防寒", items=["x"]
            )
            session.add(occurrence)
            await session.flush()
            for n, read in recipients:
                session.add(
                    CardRecipient(
                        occurrence_id=occurrence.id or 0,
                        person_id=pid(n),
                        unit_id=people[n].unit_id,
                        read_at=local(day, 12) if read else None,
                    )
                )
    return people


async def figures_of(db: Database, tops: list[str], day: date = MONDAY, now: datetime = NOW) -> WeekFigures:
    async with db.session() as session:
        units = await oq.all_units(session)
        return await gather(session, units=units, tops=tops, day=day, now=now, defaults=Defaults())


async def test_pulang_week_counts_what_was_done_there(db: Database) -> None:
    await seed(db)
    f = await figures_of(db, ["proj-pulang"])
    assert (f.scope, f.week, f.first, f.last) == (
        "普朗铜矿项目部",
        "2026-W48",
        date(2026, 11, 23),
        date(2026, 11, 29),
    )
    teams = {t.name: (t.answered, t.expected, t.before, t.change) for t in f.teams}
    assert teams == {"爆破班": (6, 8, 0.5, 25), "凿岩班": (3, 3, None, None)}  # 运输班 had no rounds
    assert (f.answered, f.expected, f.before, f.change_total) == (9, 11, 0.5, 32)  # 82 % from 50 %
    assert [t.name for t in f.lowest] == ["爆破班", "凿岩班"]
    assert (f.found, f.closed, f.open_now) == (2, 2, 2)  # H1, H3; H2, H3 closed; H1, H4 open
    assert (f.on_time, f.late, f.overdue) == (1, 2, 1)  # H2 on time; H3 and V1 late; H4 overdue
    assert (f.cleared, f.cleared_before, f.people) == (5, 4, 13)
    assert (f.cards_sent, f.cards_read) == (2, 1)  # 新桥's E2001 and the week before's card are not counted
    assert not f.empty


async def test_the_branch_covers_both_projects(db: Database) -> None:
    await seed(db)
    f = await figures_of(db, ["branch-sw"])
    assert {t.name: t.change for t in f.teams} == {"爆破班": 25, "凿岩班": None, "选矿班": -50}
    assert [t.name for t in f.lowest] == ["选矿班", "爆破班", "凿岩班"]
    assert (f.found, f.open_now, f.cards_sent, f.cards_read) == (3, 3, 3, 2)


async def test_the_message_reads_the_figures(db: Database) -> None:
    await seed(db)
    f = await figures_of(db, ["proj-pulang"])
    view = weekly_send.view_of(weekly_send.Due(1, "k", f, "digests/weekly/x.png"))
    text = render(view, "zh-CN").text
    assert "普朗铜矿项目部 安全周报 2026-W48（11-23–11-29）" in text
    assert "签到率：82%，较前一周 ↑32 个百分点" in text
    assert "爆破班：签到 6/8（75%），较前一周 ↑25 个百分点" in text
    assert "凿岩班：签到 3/3（100%）\n" in text  # nothing to compare with
    assert "签到率最低：爆破班 75%、凿岩班 100%" in text
    assert "上周新报 2 项，销号 2 项，目前仍未整改 2 项" in text
    assert "按期完成 1 项，逾期完成 2 项；目前逾期 1 项" in text
    assert "考试合格上岗率：5/13（38%），较前一周 ↑7 个百分点" in text
    assert "上周发出 2 人次，已阅 1 人次（50%）" in text
    assert [a.path for a in view.files] == ["digests/weekly/x.png"]
    english = render(view, "en").text
    assert "Check-in rate: 82%, ↑32 points on the week before" in english
    assert "新桥" not in text


async def test_a_week_without_data_is_one_line(db: Database) -> None:
    async with db.session() as session:
        await import_org_file(session, EXAMPLES / "org.yaml")
    f = await figures_of(db, ["proj-xinqiao"])
    assert f.empty and f.people == 4
    view = weekly_send.view_of(weekly_send.Due(1, "k", f, None))
    assert [line.key for line in view.lines if isinstance(line, Text)] == ["weekly.title", "weekly.no_data"]
    assert view.files == ()


async def test_due_on_monday_at_the_digest_time_only(db: Database) -> None:
    people = await seed(db)
    by_id = {p.id: n for n, p in people.items()}
    async with db.session() as session:
        before = await weekly_send.due(session, now=NOW - timedelta(minutes=1), defaults=Defaults())
        due = await weekly_send.due(session, now=NOW, defaults=Defaults())
        tuesday = await weekly_send.due(session, now=NOW + timedelta(days=1), defaults=Defaults())
        friday = await weekly_send.due(session, now=NOW - timedelta(days=3), defaults=Defaults())
        later = await weekly_send.due(session, now=NOW, defaults=Defaults(), digest_at="18:00")
    assert before == [] and tuesday == [] and friday == [] and later == []
    assert sorted(by_id[d.person_id] for d in due) == [
        "A0002",
        "M0001",
        "M0101",
        "M0201",
        "S0001",
        "S0002",
        "S0201",
    ]
    assert {d.key for d in due} == {f"weekly:2026-W48:{d.person_id}" for d in due}
    assert len({d.chart_path for d in due}) == 3  # the branch, 普朗, 新桥: leaders of a scope share one
    assert len({id(d.figures) for d in due}) == 3


def test_the_summarised_week_is_the_iso_week_before_monday() -> None:
    assert week_of(date(2026, 11, 30)) == ("2026-W48", date(2026, 11, 23), date(2026, 11, 29))
    assert week_of(date(2027, 1, 4)) == ("2026-W53", date(2026, 12, 28), date(2027, 1, 3))


def test_clearance_a_week_ago_comes_from_the_history() -> None:
    then = datetime(2026, 11, 23, tzinfo=UTC)
    before, after = then - timedelta(days=1), then + timedelta(days=1)
    assert cleared_at(True, [], then) is True  # no history: as now
    assert cleared_at(True, [("granted", after)], then) is False  # passed since
    assert cleared_at(False, [("suspended", after)], then) is True  # suspended since
    assert cleared_at(False, [("granted", before), ("expired", after)], then) is True
    assert cleared_at(True, [("suspended", before), ("granted", after)], then) is False


@dataclass
class Process:
    """What weekly_send.run needs of a bot process: its own engine, the clock, the data folder."""

    database: Database
    data_dir: Path
    defaults: Defaults = field(default_factory=Defaults)
    digest_at: str = "17:30"

    def now(self) -> datetime:
        return NOW

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[object]:
        async with self.database.reading() as session:
            yield session

    @asynccontextmanager
    async def session(self, *, background: bool = False) -> AsyncIterator[object]:
        async with self.database.session(background=background) as session:
            yield session


async def test_two_processes_at_once_write_one_summary_per_leader(db: Database, tmp_path: Path) -> None:
    await seed(db)
    one, two = Database(db.url), Database(db.url)  # two bot processes: engines of their own
    try:
        sent = await asyncio.gather(
            weekly_send.run(Process(one, tmp_path)), weekly_send.run(Process(two, tmp_path))
        )
        again = await weekly_send.run(Process(one, tmp_path))
    finally:
        await one.dispose()
        await two.dispose()
    async with db.session() as session:
        keys = (
            await session.exec(select(OutboxMessage.key).where(OutboxMessage.kind == weekly_send.KIND))
        ).all()
    assert sum(sent) == 7 and again == 0
    assert len(keys) == len(set(keys)) == 7
    charts = sorted(p.name for p in (tmp_path / "digests" / "weekly" / "2026-W48").iterdir())
    assert charts == ["branch-sw.png", "proj-pulang.png", "proj-xinqiao.png"]  # whole files, no partial ones
