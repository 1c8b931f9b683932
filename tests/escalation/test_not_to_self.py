"""A step digest never goes to the one person it names as missing: a manager late with their own card is
reported to the next holders up the chain. A digest naming others too still goes to the nearest holders,
and kinds whose digests name no one (accident_ack) keep their audience. On both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import col, select

from safety import escalation
from safety.cards import delivery
from safety.config import Defaults
from safety.escalation import UnitTree
from safety.imports.results import ImportReport
from safety.imports.service import import_org_file
from safety.kinds import CARD_ACK
from storage import card_queries as cq
from storage import org_queries as oq
from storage.db import Database
from storage.models import Card, Digest, DigestRecipient, Person
from tests.flow.harness import EXAMPLES

NOW = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
DEFAULTS = Defaults()


async def setup(db: Database, roles: list[str], units: list[str]) -> tuple[dict[str, Person], int]:
    async with db.session() as session:
        report = await import_org_file(session, EXAMPLES / "org.yaml")
        assert isinstance(report, ImportReport), report
        card = Card(
            id="c",
            title="提示卡",
            date_rule="12-03",
            audience_roles=roles,
            audience_units=units,
            items=["一"],
            ack=["read"],
        )
        session.add(card)
        occurrence = await delivery.publish(
            session, card=card, event_date=date(2026, 12, 3), send_at=NOW, now=NOW, defaults=DEFAULTS
        )
        people = {p.employee_no: p for p in await oq.all_people(session)}
    return people, occurrence.id or 0


async def acknowledge(db: Database, occurrence_id: int, person: Person) -> None:
    async with db.session() as session:
        assert await cq.close_obligation(
            session,
            kind=CARD_ACK,
            ref=delivery.ref_of(occurrence_id),
            subject_id=person.id or 0,
            by=person.id or 0,
            now=NOW,
        )


async def digest_readers(db: Database) -> dict[str, set[int]]:
    """Each step digest's unit and the people it went to."""
    async with db.session() as session:
        tick = await escalation.tick(session, now=NOW + timedelta(days=1), defaults=DEFAULTS)
        assert tick.digests >= 1
        rows = (
            await session.exec(
                select(Digest.unit_id, DigestRecipient.person_id).join(
                    DigestRecipient, col(DigestRecipient.digest_id) == col(Digest.id)
                )
            )
        ).all()
    found: dict[str, set[int]] = {}
    for unit_id, person_id in rows:
        found.setdefault(unit_id, set()).add(person_id or 0)
    return found


async def test_a_digest_naming_only_a_manager_goes_to_the_manager_above(db: Database) -> None:
    people, occurrence = await setup(db, ["manager"], ["branch-sw"])
    for employee_no in ("M0001", "M0101"):
        await acknowledge(db, occurrence, people[employee_no])
    assert await digest_readers(db) == {"proj-xinqiao": {people["M0001"].id}}  # 赵六, not 郑强


async def test_a_digest_naming_others_too_still_goes_to_the_nearest_holder(db: Database) -> None:
    people, _ = await setup(db, ["manager", "safety_officer"], ["proj-xinqiao"])
    # 郑强 and 冯丽 both missing in 新桥: the digest names both and goes to 郑强, the project's manager
    assert await digest_readers(db) == {"proj-xinqiao": {people["M0201"].id}}


async def test_the_top_manager_alone_missing_is_reported_to_no_one_rather_than_to_himself(
    db: Database,
) -> None:
    people, occurrence = await setup(db, ["manager"], ["branch-sw"])
    for employee_no in ("M0101", "M0201"):
        await acknowledge(db, occurrence, people[employee_no])
    async with db.session() as session:
        tree = await UnitTree.load(session)
        alone = await tree.audience_of("branch-sw", "manager", {people["M0001"].id or 0})
        as_before = await tree.audience_of("branch-sw", "manager", set())
    assert alone.people == () and [p.employee_no for p in as_before.people] == ["M0001"]
