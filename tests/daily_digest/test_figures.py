"""The digest's figures for a scope, on both databases: rates by team and over 14 days, hazards by age,
overdue rectifications, clearance, unread cards — each counted only inside the leader's units."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import col, update

from safety.config import Defaults
from safety.daily_digest import send
from safety.daily_digest.figures import gather, scope_of, top_units
from safety.imports.service import import_org_file
from storage import org_queries as oq
from storage.db import Database
from storage.models import Card, CardOccurrence, CardRecipient, CheckIn, Person, Report, Round
from tests.flow.harness import EXAMPLES

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)  # 17:30 in Shanghai
DAY = date(2026, 11, 27)


async def seed(db: Database) -> dict[str, Person]:
    async with db.session() as session:
        await import_org_file(session, EXAMPLES / "org.yaml")
        people = {p.employee_no: p for p in await oq.all_people(session)}
        blast = [people[n].id for n in ("E1000", "E1001", "E1002", "E1003")]
        await session.exec(
            update(Person).where(col(Person.employee_no).in_(["E1000", "E1001"])).values(cleared=True)
        )  # type: ignore[attr-defined]
        for back, answered in ((0, 3), (1, 4), (3, 2)):
            day = DAY - timedelta(days=back)
            opens = datetime.combine(day, datetime.min.time(), UTC)
            found = Round(unit_id="team-blast", day=day, opens_at=opens, due_at=opens)
            session.add(found)
            await session.flush()
            for person_id in blast[:answered]:
                session.add(CheckIn(round_id=found.id or 0, person_id=person_id or 0, status="on_time"))
        mill = Round(unit_id="team-mill", day=DAY, opens_at=NOW, due_at=NOW)
        session.add(mill)
        reporter = people["E1001"].id or 0
        for number, unit, age, deadline, state in (
            ("H1", "team-blast", 1, None, "reported"),
            ("H2", "team-blast", 5, DAY - timedelta(days=1), "assigned"),
            ("H3", "team-drill", 10, DAY, "assigned"),
            ("H4", "team-blast", 20, None, "closed"),
            ("H5", "team-mill", 30, DAY - timedelta(days=9), "assigned"),
        ):
            session.add(
                Report(
                    number=number,
                    kind="hazard",
                    state=state,
                    unit_id=unit,
                    reporter_id=reporter,
                    description="护栏缺失",
                    deadline=deadline,
                    created_at=NOW - timedelta(days=age),
                )
            )
        session.add(
            Card(
                id="c1", title="防寒", date_rule="11-27", audience_roles=["staff"], items=["x"], ack=["read"]
            )
        )
        occurrence = CardOccurrence(card_id="c1", event_date=DAY, send_at=NOW, title="防寒", items=["x"])
        session.add(occurrence)
        await session.flush()
        for n, read in (("E1001", None), ("E1002", NOW), ("E2001", None)):
            unit = people[n].unit_id
            session.add(
                CardRecipient(
                    occurrence_id=occurrence.id or 0, person_id=people[n].id or 0, unit_id=unit, read_at=read
                )
            )
    return people


async def test_pulang_figures_count_its_teams_only(db: Database) -> None:
    await seed(db)
    async with db.session() as session:
        units = await oq.all_units(session)
        f = await gather(session, units=units, tops=["proj-pulang"], day=DAY, now=NOW)
    assert f.scope == "普朗铜矿项目部"
    assert [(t.name, t.answered, t.expected) for t in f.teams] == [("爆破班", 3, 4)]
    history = dict(f.history)
    assert len(f.history) == 14 and f.history[-1][0] == DAY
    assert (
        history[DAY] == 0.75
        and history[DAY - timedelta(days=1)] == 1.0
        and history[DAY - timedelta(days=3)] == 0.5
    )
    assert history[DAY - timedelta(days=2)] is None  # no round that day: no rate, not 0 %
    assert f.hazards_by_age == (1, 1, 1)  # H1 1 day, H2 5 days, H3 10 days; H4 closed, H5 新桥's
    assert f.overdue == 1  # H2 (yesterday); H3 is due at the end of today
    assert (f.cleared, f.people) == (2, 13)  # 普朗's 4 teams' people and its own 3
    assert f.unacknowledged == 1  # E1001; E1002 read it, E2001 is 新桥's


async def test_the_branch_scope_covers_both_projects(db: Database) -> None:
    await seed(db)
    async with db.session() as session:
        units = await oq.all_units(session)
        f = await gather(session, units=units, tops=["branch-sw"], day=DAY, now=NOW)
    assert {t.name for t in f.teams} == {"爆破班", "选矿班"}
    assert f.overdue == 2 and f.unacknowledged == 2 and f.hazards_by_age == (1, 1, 2)


async def test_due_before_1730_nobody_at_1730_every_officer_and_manager(db: Database) -> None:
    people = await seed(db)
    async with db.session() as session:
        assert await send.due(session, now=NOW - timedelta(minutes=1), defaults=Defaults()) == []
        due = await send.due(session, now=NOW, defaults=Defaults())
    by_no = {p.id: n for n, p in people.items()}
    assert sorted(by_no[d.person_id] for d in due) == [
        "A0002",
        "M0001",
        "M0101",
        "M0201",
        "S0001",
        "S0002",
        "S0201",
    ]
    assert {d.key for d in due} == {f"daily:2026-11-27:{d.person_id}" for d in due}
    assert len({d.chart_path for d in due}) == 3


def test_scope_and_top_units_follow_the_tree() -> None:
    from storage.models import Unit

    units = [
        Unit(id="a", name="A"),
        Unit(id="b", name="B", parent_id="a"),
        Unit(id="c", name="C", parent_id="b"),
        Unit(id="d", name="D", active=False, parent_id="a"),
    ]
    assert scope_of(units, ["b"]) == ["b", "c"]
    assert scope_of(units, ["a"]) == ["a", "b", "c"]  # an inactive unit is left out
    assert top_units(units, ["c", "a"]) == ["a"]


async def test_mondays_daily_digest_leaves_last_week_to_the_weekly_summary(db: Database) -> None:
    """Last week's figures moved into a message of their own (weekly_send.py): the daily one has none."""
    await seed(db)
    monday, at = DAY + timedelta(days=3), NOW + timedelta(days=3)
    async with db.session() as session:
        units = await oq.all_units(session)
        f = await gather(session, units=units, tops=["proj-pulang"], day=monday, now=at)
    lines = send.view_of(send.Due(1, "k", f, "digests/x.png")).lines
    keys = [getattr(line, "key", "") for line in lines]
    assert keys[0] == "daily_digest.title" and not any(key.startswith("weekly.") for key in keys)
    assert "daily_digest.week" not in keys
