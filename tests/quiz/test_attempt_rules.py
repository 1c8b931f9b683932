"""Attempts and clearance on the database: expiry, snapshots that survive bank edits, renewal, new hires."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from safety import clearance, quiz
from safety.clearance import QuizRules
from safety.imports.questions_service import import_questions_file
from safety.imports.service import import_org_file
from safety.quiz import Step
from safety.views import View, render
from storage.db import Database
from storage.models import ChatIdentity, Obligation, OutboxMessage, Person, QuizAttempt, QuizItem

ROOT = Path(__file__).resolve().parents[2]
ORG = ROOT / "tests" / "flow" / "data" / "duty-org.yaml"
BANK = ROOT / "examples" / "questions.yaml"
NOW = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)


async def _setup(db: Database) -> Person:
    async with db.session() as session:
        await import_org_file(session, ORG)
        await import_questions_file(session, BANK)
        person = (await session.exec(select(Person).where(Person.employee_no == "A1"))).one()
    return person


async def _answer_all(
    db: Database, person: Person, rules: QuizRules, *, now: datetime, seed: int
) -> quiz.QuizView:
    async with db.session() as session:
        view = await quiz.start_or_resume(
            session, person=person, now=now, rules=rules, rng=random.Random(seed)
        )
    assert view.attempt is not None and view.attempt.id is not None
    while view.step is Step.ASK:
        assert view.item is not None
        async with db.session() as session:
            fresh = await session.get(Person, person.id)
            assert fresh is not None
            view = await quiz.answer(
                session,
                person=fresh,
                attempt_id=view.attempt.id or 0,
                position=view.item.position,
                chosen=list(view.item.answer),
                now=now,
                rules=rules,
            )
    return view


async def test_an_attempt_left_too_long_expires_as_not_passed(db: Database) -> None:
    person = await _setup(db)
    rules = QuizRules(expires=timedelta(minutes=30))
    async with db.session() as session:
        view = await quiz.start_or_resume(session, person=person, now=NOW, rules=rules, rng=random.Random(1))
    assert view.item is not None and view.attempt is not None
    async with db.session() as session:
        late = await quiz.answer(
            session,
            person=person,
            attempt_id=view.attempt.id or 0,
            position=0,
            chosen=list(view.item.answer),
            now=NOW + timedelta(minutes=31),
            rules=rules,
        )
    assert late.step is Step.EXPIRED
    async with db.session() as session:
        attempt = await session.get(QuizAttempt, view.attempt.id)
        assert attempt is not None and (attempt.status, attempt.score) == ("expired", 0)
        again = await quiz.start_or_resume(
            session, person=person, now=NOW + timedelta(minutes=32), rules=rules, rng=random.Random(2)
        )
    assert again.attempt is not None and again.attempt.id != view.attempt.id and not again.resumed


async def test_editing_the_bank_never_changes_a_past_attempt(db: Database, tmp_path: Path) -> None:
    person = await _setup(db)
    view = await _answer_all(db, person, QuizRules(), now=NOW, seed=3)
    assert view.passed
    before = {i.question_id: (i.stem, list(i.options)) for i in view.items}
    edited = tmp_path / "bank.yaml"
    edited.write_text(BANK.read_text(encoding="utf-8").replace("严重违章", "严重违章行为"), encoding="utf-8")
    async with db.session() as session:
        await import_questions_file(session, edited)
        items = (await session.exec(select(QuizItem).where(QuizItem.attempt_id == view.attempt.id))).all()  # type: ignore[union-attr]
    assert {i.question_id: (i.stem, list(i.options)) for i in items} == before


async def test_a_pass_clears_until_a_renewal_date_and_a_lapse_requires_the_quiz_again(db: Database) -> None:
    person = await _setup(db)
    rules = QuizRules(clearance_days=365)
    view = await _answer_all(db, person, rules, now=NOW, seed=4)
    assert view.passed and view.cleared_until == date(2027, 11, 27)
    async with db.session() as session:
        session.add(ChatIdentity(person_id=person.id or 0, channel="telegram", external_id="1", chat_id="1"))
    later = datetime(2027, 11, 28, 1, 0, tzinfo=UTC)
    async with db.session() as session:
        created = await clearance.ensure_requirements(session, now=later, rules=rules)
    async with db.session() as session:
        fresh = await session.get(Person, person.id)
        assert fresh is not None and not fresh.cleared
        requirement = (await session.exec(select(Obligation).where(Obligation.kind == "quiz"))).one()
        notices = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.person_id == person.id))
        ).all()
    assert created >= 1 and requirement.subject_id == person.id and requirement.note == "renewal"
    assert any("上岗资格到期复考" in render(View.from_payload(n.payload), "zh-CN").text for n in notices)


async def test_new_bound_staff_get_one_quiz_requirement(db: Database) -> None:
    person = await _setup(db)
    rules = QuizRules()
    async with db.session() as session:
        session.add(ChatIdentity(person_id=person.id or 0, channel="telegram", external_id="9", chat_id="9"))
    for minutes in (0, 5):
        async with db.session() as session:
            await clearance.ensure_requirements(session, now=NOW + timedelta(minutes=minutes), rules=rules)
    async with db.session() as session:
        requirements = (await session.exec(select(Obligation).where(Obligation.kind == "quiz"))).all()
    assert [(r.subject_id, r.note) for r in requirements] == [(person.id, "new_hire")]
    assert requirements[0].due_at == NOW + rules.deadline
