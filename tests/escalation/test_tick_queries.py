"""The escalation tick's plain-row queries on both backends: more ids than one SQLite IN list holds, and
round pictures whose names come joined with the obligations (closers included)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from safety import duty_pictures
from safety.config import Defaults
from safety.digests import step_view
from safety.views import render
from storage import escalation_queries as eq
from storage.checkin_queries import record_checkin
from storage.db import Database
from storage.models import CheckIn, Obligation, Person, Round, Unit

NOW = datetime(2026, 11, 26, 23, 45, tzinfo=UTC)
PEOPLE = 2_500  # more than two SQLite chunks of 1,000


async def _org(db: Database) -> None:
    async with db.session() as session:
        session.add(
            Unit(id="t1", name="爆破班", checkin={"days": "everyday", "opens": "07:00", "due": "07:30"})
        )
        await session.flush()
        session.add_all(
            Person(id=i, employee_no=f"E{i}", name=f"人{i}", unit_id="t1") for i in range(1, PEOPLE + 1)
        )
        session.add(Round(id=1, unit_id="t1", day=date(2026, 11, 27), opens_at=NOW, due_at=NOW))
        await session.flush()
        session.add_all(
            Obligation(
                kind="checkin", ref="round:1", subject_id=i, unit_id="t1", due_at=NOW, next_step_at=NOW
            )
            for i in range(1, PEOPLE + 1)
        )


async def test_set_steps_moves_every_id_and_nothing_else(db: Database) -> None:
    await _org(db)
    async with db.session() as session:
        due = await eq.due_obligations(session, now=NOW, limit=10_000)
        assert len(due) == PEOPLE and due[0].level == -1
        moved = [o.id for o in due[: PEOPLE - 1]]
        await eq.set_steps(session, ids=moved, level=1, next_step_at=NOW + timedelta(minutes=15))
    async with db.session() as session:
        rows = (await session.exec(select(Obligation).order_by(Obligation.id))).all()
    assert [(o.level, o.next_step_at is not None) for o in rows[:-1]] == [(1, True)] * (PEOPLE - 1)
    assert (rows[-1].level, rows[-1].id) == (-1, due[-1].id), "the one left out is untouched"
    async with db.session() as session:
        assert len(await eq.due_obligations(session, now=NOW, limit=10_000)) == 1


async def test_round_picture_names_subjects_and_closers(db: Database) -> None:
    await _org(db)
    async with db.session() as session:
        first, second = (await session.exec(select(Obligation).order_by(Obligation.id).limit(2))).all()
        first.state, first.closed_by, first.closed_at = "acknowledged", PEOPLE, NOW
        session.add(first)
    async with db.session() as session:
        pictures = await duty_pictures.load(session, kind="checkin", refs=["round:1"], defaults=Defaults())
    picture = pictures["round:1"]
    assert len(picture.duties) == PEOPLE
    assert picture.name(second.subject_id) == "人2" and picture.name(PEOPLE) == f"人{PEOPLE}"
    assert picture.duties[0].state == "acknowledged" and picture.duties[0].closed_by == PEOPLE
    message = render(step_view(picture, "t1", {second.id or 0}), "zh-CN")
    assert f"人1（人{PEOPLE}" in message.text, message.text[:300]
    assert [b.arg for row in message.buttons for b in row] == [
        f"{second.id}.r",
        f"{second.id}.x",
        f"{second.id}.h",
    ]


async def test_record_checkin_once_closes_the_duty_and_a_racing_second_changes_nothing(db: Database) -> None:
    await _org(db)
    async with db.session() as session:
        duty = (await session.exec(select(Obligation).order_by(Obligation.id).limit(1))).one()
        assert duty.id is not None

    def answer(status: str) -> CheckIn:
        return CheckIn(round_id=1, person_id=duty.subject_id, status=status, at=NOW)

    async with db.session() as session:
        first = await record_checkin(session, checkin=answer("on_time"), obligation_id=duty.id)
    async with db.session() as session:
        second = await record_checkin(session, checkin=answer("late"), obligation_id=duty.id)
    assert first is not None and first.id is not None and second is None
    async with db.session() as session:
        stored = (await session.exec(select(CheckIn))).all()
        closed = await session.get(Obligation, duty.id)
        others = (await session.exec(select(Obligation).where(Obligation.state != "open"))).all()
    assert [(c.id, c.status) for c in stored] == [(first.id, "on_time")]
    assert closed is not None and (closed.state, closed.closed_by, closed.next_step_at) == ("done", 1, None)
    assert len(others) == 1, "only that person's duty closed"
