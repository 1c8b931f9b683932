"""/cards, read fresh at every command and press: my cards (latest first) and where my answer stands, and
for leaders the acknowledgement rate per unit of each card in their scope (their units and below) — for
staff lessons also who has not read it or, when it carries a quiz, not passed it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.access import Actor
from safety.cards import lessons, views
from safety.roles import Role
from storage import card_queries as cq
from storage import org_queries as oq
from storage.models import Card, CardOccurrence, CardRecipient

LIMIT = 10
SCOPE_ROLES = (Role.TEAM_LEADER, Role.SAFETY_OFFICER, Role.MANAGER)


@dataclass(frozen=True)
class MyCard:
    recipient: CardRecipient
    occurrence: CardOccurrence
    ack: list[str]

    @property
    def stage(self) -> str:
        return views.stage(self.recipient, self.ack)


@dataclass(frozen=True)
class UnitRate:
    unit: str
    done: int
    total: int


@dataclass(frozen=True)
class ScopeCard:
    occurrence: CardOccurrence
    rates: tuple[UnitRate, ...]
    unread: tuple[str, ...] = ()  # a staff lesson: who has not read it
    not_passed: tuple[str, ...] = ()  # a lesson with a quiz: who has not passed it


def complete(recipient: CardRecipient, card: Card | None) -> bool:
    """The recipient did all the card asks (已阅, 已部署落实 when asked, a lesson's quiz passed)."""
    if card is None:
        return recipient.read_at is not None
    return lessons.complete(recipient, card)


async def my_cards(session: AsyncSession, *, person_id: int, limit: int = LIMIT) -> list[MyCard]:
    recipients = await cq.recipients_of_person(session, person_id=person_id, limit=limit)
    occurrences = {
        o.id: o for o in await cq.occurrences_by_ids(session, ids=[r.occurrence_id for r in recipients])
    }
    cards = await cq.cards_by_ids(session, ids=[o.card_id for o in occurrences.values()])
    found = []
    for recipient in recipients:
        occurrence = occurrences.get(recipient.occurrence_id)
        if occurrence is not None:
            card = cards.get(occurrence.card_id)
            found.append(MyCard(recipient, occurrence, card.ack if card else ["read"]))
    return found


async def scope_cards(session: AsyncSession, actor: Actor, *, limit: int = LIMIT) -> list[ScopeCard]:
    """Each recent card occurrence with recipients in the actor's units (as a leader) and below."""
    scope: set[str] = set()
    for unit_id in actor.units_with(SCOPE_ROLES):
        scope.update(await oq.unit_descendants(session, unit_id=unit_id))
    ids = await cq.occurrences_in_units(session, unit_ids=scope, limit=limit)
    if not ids:
        return []
    occurrences = sorted(
        await cq.occurrences_by_ids(session, ids=ids), key=lambda o: (o.send_at, o.id or 0), reverse=True
    )
    cards = await cq.cards_by_ids(session, ids=[o.card_id for o in occurrences])
    recipients = [
        r for r in await cq.recipients_of_occurrences(session, occurrence_ids=ids) if r.unit_id in scope
    ]
    units = {u.id: u for u in await oq.all_units(session)}
    order = {u: i for i, u in enumerate(units)}
    people = await cq.people_by_ids(session, ids=[r.person_id for r in recipients])
    found = []
    for occurrence in occurrences:
        card = cards.get(occurrence.card_id)
        mine = [r for r in recipients if r.occurrence_id == occurrence.id]
        by_unit: dict[str, list[CardRecipient]] = {}
        for recipient in mine:
            by_unit.setdefault(recipient.unit_id, []).append(recipient)
        rates = tuple(
            UnitRate(units[u].name if u in units else u, sum(complete(r, card) for r in rs), len(rs))
            for u, rs in sorted(by_unit.items(), key=lambda item: order.get(item[0], len(order)))
        )
        lesson = card is not None and Role.STAFF in card.audience_roles

        def names(rows: list[CardRecipient]) -> tuple[str, ...]:
            return tuple(people[r.person_id].name for r in rows if r.person_id in people)

        unread = names([r for r in mine if r.read_at is None]) if lesson else ()
        quiz = lesson and card is not None and card.quiz is not None
        not_passed = names([r for r in mine if r.passed_at is None]) if quiz else ()
        found.append(ScopeCard(occurrence, rates, unread, not_passed))
    return found
