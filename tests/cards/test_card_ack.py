"""Card delivery without the chat, on both databases: who a card reaches (roles in units and below), that
publishing again (a restart, a second process at the same moment) writes nothing twice, the card_ack
obligation it opens (its first `self` step is the card itself), and a revision asking everyone again."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import col, select

from safety.access import Actor
from safety.cards import acknowledge, delivery, listing, views
from safety.config import Defaults
from safety.imports.results import ImportReport
from safety.imports.service import import_org_file
from safety.kinds import CARD_ACK
from storage import card_queries as cq
from storage import org_queries as oq
from storage.db import Database
from storage.models import Card, CardEvent, CardOccurrence, CardRecipient, Obligation, OutboxMessage, Person
from tests.flow.harness import EXAMPLES

NOW = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
DEFAULTS = Defaults()
MANAGERS = {"M0001", "M0101", "M0201"}


async def load_org(db: Database) -> dict[str, Person]:
    async with db.session() as session:
        report = await import_org_file(session, EXAMPLES / "org.yaml")
        assert isinstance(report, ImportReport), report
        return {p.employee_no: p for p in await oq.all_people(session)}


def card(**fields: object) -> Card:
    values: dict[str, object] = {
        "id": "test-card",
        "title": "冬季四防安全提示卡",
        "date_rule": "12-03",
        "audience_roles": ["manager"],
        "audience_units": ["branch-sw"],
        "items": ["防火", "防冻"],
        "ack": ["read", "deployed"],
    }
    values.update(fields)
    return Card(**values)  # type: ignore[arg-type]


async def add_card(db: Database, made: Card) -> Card:
    async with db.session() as session:
        session.add(made)
    return made


async def publish(db: Database, made: Card, *, now: datetime = NOW) -> CardOccurrence:
    async with db.session() as session:
        return await delivery.publish(
            session, card=made, event_date=date(2026, 12, 3), send_at=now, now=now, defaults=DEFAULTS
        )


async def rows(db: Database, model: type) -> list:  # type: ignore[type-arg]
    async with db.session() as session:
        return list((await session.exec(select(model).order_by(col(model.id)))).all())  # type: ignore[attr-defined]


async def test_a_card_reaches_exactly_the_managers_in_scope_once_each(db: Database) -> None:
    people = await load_org(db)
    by_id = {p.id: p.employee_no for p in people.values()}
    made = await add_card(db, card())
    occurrence = await publish(db, made)
    await publish(db, made)  # a restart publishing again: nothing twice

    recipients: list[CardRecipient] = await rows(db, CardRecipient)
    assert {by_id[r.person_id] for r in recipients} == MANAGERS
    assert len(recipients) == 3
    outbox: list[OutboxMessage] = [m for m in await rows(db, OutboxMessage) if m.kind == "card"]
    assert sorted(by_id[m.person_id] for m in outbox) == sorted(MANAGERS)
    assert all(m.key == f"card:{occurrence.id}:r1:p{m.person_id}" for m in outbox)
    obligations: list[Obligation] = await rows(db, Obligation)
    assert {(o.kind, o.ref, by_id[o.subject_id]) for o in obligations} == {
        (CARD_ACK, f"card:{occurrence.id}", no) for no in MANAGERS
    }
    # the card message was the first `self` step: the next is the reminder at PT4H
    assert {(o.level, o.next_step_at.replace(tzinfo=UTC)) for o in obligations} == {
        (0, NOW + timedelta(hours=4))
    }


async def test_units_narrow_the_audience_and_none_means_everywhere(db: Database) -> None:
    people = await load_org(db)
    by_id = {p.id: p.employee_no for p in people.values()}
    narrow = await add_card(db, card(id="narrow", audience_units=["proj-xinqiao"]))
    await publish(db, narrow)
    everywhere = await add_card(db, card(id="all", audience_units=None, audience_roles=["manager"]))
    await publish(db, everywhere)
    recipients: list[CardRecipient] = await rows(db, CardRecipient)
    occurrences = {o.card_id: o.id for o in await rows(db, CardOccurrence)}
    assert {by_id[r.person_id] for r in recipients if r.occurrence_id == occurrences["narrow"]} == {"M0201"}
    assert {by_id[r.person_id] for r in recipients if r.occurrence_id == occurrences["all"]} == MANAGERS


async def test_two_processes_publishing_at_once_send_one_message_each(db: Database) -> None:
    await load_org(db)
    made = await add_card(db, card())
    other = Database(db.url)
    try:

        async def publish_in(database: Database) -> None:
            async with database.session() as session:
                await delivery.publish(
                    session, card=made, event_date=date(2026, 12, 3), send_at=NOW, now=NOW, defaults=DEFAULTS
                )
                await asyncio.sleep(0.05)  # hold the transaction open while the other one runs

        await asyncio.gather(publish_in(db), publish_in(other))
    finally:
        await other.dispose()
    assert len(await rows(db, CardOccurrence)) == 1
    assert len(await rows(db, CardRecipient)) == 3
    assert len([m for m in await rows(db, OutboxMessage) if m.kind == "card"]) == 3
    assert len(await rows(db, Obligation)) == 3


async def test_a_revision_asks_everyone_again_with_the_new_version(db: Database) -> None:
    await load_org(db)
    made = await add_card(db, card())
    occurrence = await publish(db, made)
    async with db.session() as session:
        first = (await cq.recipients_of(session, occurrence_id=occurrence.id or 0))[0]
        assert await cq.answer(
            session, recipient_id=first.id or 0, version=0, revision=1, values={"read_at": NOW}
        )
        await cq.close_obligation(
            session,
            kind=CARD_ACK,
            ref=delivery.ref_of(occurrence.id or 0),
            subject_id=first.person_id,
            by=first.person_id,
            now=NOW,
        )
    later = NOW + timedelta(hours=2)
    async with db.session() as session:
        stored = await session.get(Card, "test-card")
        assert stored is not None
        stored.revision, stored.items = 2, ["防火", "防冻", "防滑"]
        session.add(stored)
    async with db.session() as session:
        stored = await session.get(Card, "test-card")
        fresh = await cq.get_occurrence(session, occurrence_id=occurrence.id or 0)
        assert stored is not None and fresh is not None
        assert await delivery.resend_revision(session, fresh, stored, now=later, defaults=DEFAULTS) == 1
        assert await delivery.resend_revision(session, fresh, stored, now=later, defaults=DEFAULTS) == 0
    recipients: list[CardRecipient] = await rows(db, CardRecipient)
    assert all(r.revision == 2 and r.read_at is None for r in recipients)
    revised = [m for m in await rows(db, OutboxMessage) if m.key.startswith(f"card:{occurrence.id}:r2:")]
    assert len(revised) == 3
    events: list[CardEvent] = await rows(db, CardEvent)
    assert sorted(e.action for e in events) == ["resent"] * 3
    obligations: list[Obligation] = await rows(db, Obligation)
    assert all(o.state == "open" for o in obligations)
    occurrences: list[CardOccurrence] = await rows(db, CardOccurrence)
    assert occurrences[0].items == ["防火", "防冻", "防滑"] and occurrences[0].revision == 2


async def test_send_due_sends_what_is_due_once_and_not_what_passed_long_ago(db: Database) -> None:
    from safety.calendar import WorkCalendar

    await load_org(db)
    today = card(id="today", date_rule="12-03", send_at="09:00", source="file")
    past = card(id="past", date_rule="11-20", send_at="09:00", source="file")
    later = card(id="later", date_rule="12-04", send_at="09:00", source="file")
    for made in (today, past, later):
        await add_card(db, made)
    for minutes in (0, 1):  # the next housekeeping pass sends nothing again
        async with db.session() as session:
            await delivery.send_due(
                session, now=NOW + timedelta(minutes=minutes), defaults=DEFAULTS, calendar=WorkCalendar()
            )
    occurrences: list[CardOccurrence] = await rows(db, CardOccurrence)
    assert [(o.card_id, o.event_date) for o in occurrences] == [("today", date(2026, 12, 3))]
    assert len([m for m in await rows(db, OutboxMessage) if m.kind == "card"]) == 3


async def _press(db: Database, action: str, arg: str, actor: int) -> acknowledge.Outcome:
    async with db.session() as session:
        return await acknowledge.press(
            session, action=action, arg=arg, actor_id=actor, now=NOW, defaults=DEFAULTS
        )


async def test_a_read_only_card_is_complete_at_read_and_a_lesson_waits_for_its_quiz(db: Database) -> None:
    people = await load_org(db)
    by_no = {no: p.id or 0 for no, p in people.items()}
    plain = await add_card(db, card(id="plain", ack=["read"]))
    lesson = await add_card(db, card(id="lesson", ack=["read"], quiz={"questions": 3, "prohibitions": [1]}))
    for made in (plain, lesson):
        await publish(db, made)
    recipients = {(r.occurrence_id, r.person_id): r for r in await rows(db, CardRecipient)}
    occurrences = {o.card_id: o.id for o in await rows(db, CardOccurrence)}
    mine = recipients[(occurrences["plain"], by_no["M0101"])]
    arg = views.arg_of(mine)
    assert (await _press(db, views.READ, arg, by_no["M0201"])).status is acknowledge.Status.NOT_YOURS
    assert (await _press(db, views.DEPLOYED, arg, by_no["M0101"])).status is acknowledge.Status.STALE
    done = await _press(db, views.READ, arg, by_no["M0101"])
    assert done.status is acknowledge.Status.RECORDED and done.key == "cards.done_complete"
    assert (await _press(db, views.READ, arg, by_no["M0101"])).status is acknowledge.Status.STALE
    studied = recipients[(occurrences["lesson"], by_no["M0101"])]
    assert (
        await _press(db, views.READ, views.arg_of(studied), by_no["M0101"])
    ).status is acknowledge.Status.RECORDED
    states = {(o.ref, o.subject_id): o.state for o in await rows(db, Obligation)}
    assert states[(f"card:{occurrences['plain']}", by_no["M0101"])] == "acknowledged"
    assert states[(f"card:{occurrences['lesson']}", by_no["M0101"])] == "open"  # until the quiz is passed
    assert states[(f"card:{occurrences['plain']}", by_no["M0201"])] == "open"
    assert [e.action for e in await rows(db, CardEvent)] == ["read", "read"]


async def test_an_unresolved_rule_is_logged_once_per_card_and_year_and_skipped(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    from safety.calendar import WorkCalendar

    await load_org(db)
    await add_card(db, card(id=f"holiday-{db.url[:6]}", date_rule="holiday:春节:start", source="file"))
    delivery._warned.clear()
    with caplog.at_level("WARNING", logger="safety.cards.delivery"):
        for _ in range(2):
            async with db.session() as session:
                await delivery.send_due(session, now=NOW, defaults=DEFAULTS, calendar=WorkCalendar())
    warned = [r for r in caplog.records if "unresolved" in r.getMessage()]
    assert len(warned) == 1 and "2027" in warned[0].getMessage()
    assert await rows(db, CardOccurrence) == []


async def test_leaders_see_rates_per_unit_and_who_has_not_read_or_passed_a_lesson(db: Database) -> None:
    people = await load_org(db)
    lesson = await add_card(
        db,
        card(
            id="lesson",
            audience_roles=["staff"],
            audience_units=["team-blast"],
            ack=["read"],
            quiz={"questions": 2},
        ),
    )
    occurrence = await publish(db, lesson)
    async with db.session() as session:
        for recipient in await cq.recipients_of(session, occurrence_id=occurrence.id or 0):
            if recipient.person_id == people["E1001"].id:  # 张三 read it, not passed yet
                await cq.answer(
                    session, recipient_id=recipient.id or 0, version=0, revision=1, values={"read_at": NOW}
                )
    leader = Actor(
        person_id=people["E1000"].id or 0,
        employee_no="E1000",
        name="李四",
        unit_id="team-blast",
        language=None,
        roles=frozenset({("staff", "team-blast"), ("team_leader", "team-blast")}),
    )
    async with db.session() as session:
        [seen] = await listing.scope_cards(session, leader)
        mine = await listing.my_cards(session, person_id=people["E1001"].id or 0)
    assert [(r.unit, r.done, r.total) for r in seen.rates] == [("爆破班", 0, 4)]
    assert set(seen.unread) == {"李四", "王二", "陈刚"}
    assert set(seen.not_passed) == {"李四", "张三", "王二", "陈刚"}
    assert [(m.occurrence.title, m.stage) for m in mine] == [("冬季四防安全提示卡", views.DONE)]
