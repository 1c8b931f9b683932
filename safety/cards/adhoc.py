"""Ad-hoc cards (`/card new`): a safety officer or manager composes a card now — a weather warning, an
accident bulletin, a lesson for the workers — and it is delivered and tracked like a scheduled card.

The composer chooses the audience among the roles of `AUDIENCE_ROLES` and the units of their scope (the
units where they are safety officer or manager, and everything below); a title and items (limits below).
`send` checks the composer's rights and scope again, creates the Card (source "adhoc", id
"adhoc-<YYYYMMDD>-<n>", its date rule today's date) and publishes it at once, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import bank
from safety.access import Actor
from safety.cards.delivery import publish
from safety.config import Defaults
from safety.reports.history import descendants
from safety.roles import Role
from storage import card_adhoc_queries as aq
from storage import card_queries as cq
from storage.models import Card, CardOccurrence, Unit

COMPOSERS = frozenset({Role.SAFETY_OFFICER, Role.MANAGER})
AUDIENCE_ROLES: tuple[str, ...] = (Role.MANAGER, Role.SAFETY_OFFICER, Role.TEAM_LEADER, Role.STAFF)
TITLE_LIMIT = 100
ITEMS_LIMIT = 20
ITEM_LIMIT = 200
LESSON_QUESTIONS = 3  # a lesson composed in chat: 3 questions drawn from all prohibitions


class AdhocRefused(Exception):
    """The card cannot be sent as composed; `key` is the text that says why."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Problem:
    """Typed input refused: the text key and its parameters."""

    key: str
    params: dict[str, object]


@dataclass(frozen=True)
class Scope:
    """The composer's units in tree order, and their roots (the units they hold the role at)."""

    units: list[Unit]
    roots: list[str]

    @property
    def ids(self) -> list[str]:
        return [u.id for u in self.units]


@dataclass(frozen=True)
class Sent:
    card: Card
    occurrence: CardOccurrence
    recipients: int


def may_compose(actor: Actor) -> bool:
    return actor.has_any(COMPOSERS)


async def scope(session: AsyncSession, actor: Actor) -> Scope:
    """The units where the actor is safety officer or manager, and every unit below them (active ones)."""
    units = await cq.all_units(session)
    roots = sorted(actor.units_with(COMPOSERS))
    by_id = {u.id: u for u in units}
    ids = descendants(units, roots)
    return Scope([by_id[i] for i in ids if by_id[i].active], [r for r in roots if r in by_id])


def check_title(text: str) -> Problem | None:
    if not text:
        return Problem("card_new.title_blank", {})
    if len(text) > TITLE_LIMIT:
        return Problem("card_new.title_too_long", {"limit": TITLE_LIMIT, "length": len(text)})
    return None


def parse_items(text: str) -> list[str] | Problem:
    """One item per line (blank lines dropped): at most ITEMS_LIMIT items of ITEM_LIMIT characters."""
    items = [line.strip() for line in text.splitlines() if line.strip()]
    if not items:
        return Problem("card_new.items_blank", {})
    if len(items) > ITEMS_LIMIT:
        return Problem("card_new.items_too_many", {"limit": ITEMS_LIMIT, "count": len(items)})
    for number, item in enumerate(items, start=1):
        if len(item) > ITEM_LIMIT:
            return Problem("card_new.item_too_long", {"number": number, "limit": ITEM_LIMIT})
    return items


def ack_for(roles: Sequence[str]) -> list[str]:
    """Staff only read a card (已阅); any leader in the audience also confirms 已部署落实."""
    return ["read"] if set(roles) == {Role.STAFF} else ["read", "deployed"]


def covered(units: Sequence[Unit], chosen: Sequence[str]) -> list[str]:
    """The chosen units and everything below them (what the card will reach)."""
    return descendants(units, list(chosen))


async def audience_count(session: AsyncSession, *, roles: Sequence[str], units: Sequence[str]) -> int:
    """How many people a card to these roles in these units (and below) reaches now."""
    if not roles or not units:
        return 0
    all_units = await cq.all_units(session)
    people = await cq.audience(session, roles=list(roles), unit_ids=covered(all_units, units))
    return len(people)


async def lesson_quiz(session: AsyncSession) -> dict[str, Any] | None:
    """The quiz a composed lesson carries (LESSON_QUESTIONS from all prohibitions), None without a bank."""
    by_prohibition = await bank.questions_for_draw(session)
    if not by_prohibition:
        return None
    return {"questions": LESSON_QUESTIONS, "prohibitions": sorted(by_prohibition)}


async def send(
    session: AsyncSession,
    *,
    actor: Actor,
    roles: Sequence[str],
    units: Sequence[str],
    title: str,
    items: Sequence[str],
    quiz: bool,
    now: datetime,
    defaults: Defaults,
) -> Sent:
    """Create the card and publish it now; AdhocRefused when the composer may not (any more) send it."""
    if not may_compose(actor):
        raise AdhocRefused("card_new.not_allowed")
    chosen_roles = [r for r in AUDIENCE_ROLES if r in set(roles)]
    if not chosen_roles or not units:
        raise AdhocRefused("card_new.audience_empty")
    mine = await scope(session, actor)
    if not set(units) <= set(mine.ids):
        raise AdhocRefused("card_new.out_of_scope")
    if check_title(title) is not None or isinstance(parse_items("\n".join(items)), Problem):
        raise AdhocRefused("card_new.invalid")
    quiz_spec = await lesson_quiz(session) if quiz and Role.STAFF in chosen_roles else None
    if quiz and Role.STAFF in chosen_roles and quiz_spec is None:
        raise AdhocRefused("card_new.no_bank")
    unit = next((u for u in mine.units if u.id == actor.unit_id), None)
    today = defaults.today(now, unit.timezone if unit else None)
    card = await _insert_card(
        session,
        today=today,
        fields={
            "title": title,
            "date_rule": today.isoformat(),
            "send_at": now.astimezone(defaults.zone(unit.timezone if unit else None)).strftime("%H:%M"),
            "audience_roles": chosen_roles,
            "audience_units": sorted(set(units), key=mine.ids.index),
            "items": list(items),
            "ack": ack_for(chosen_roles),
            "quiz": quiz_spec,
            "source": "adhoc",
            "created_by": actor.person_id,
            "created_at": now,
            "updated_at": now,
        },
    )
    occurrence = await publish(session, card=card, event_date=today, send_at=now, now=now, defaults=defaults)
    assert occurrence.id is not None
    count = len(await cq.recipients_of(session, occurrence_id=occurrence.id))
    return Sent(card, occurrence, count)


async def _insert_card(session: AsyncSession, *, today: date, fields: dict[str, Any]) -> Card:
    """The card under the next free id of the day; a racing composer takes the next number."""
    prefix = f"adhoc-{today:%Y%m%d}-"
    number = await aq.adhoc_count(session, prefix=prefix) + 1
    for _ in range(20):
        card = await aq.insert_card(session, card=Card(id=f"{prefix}{number}", **fields))
        if card is not None:
            return card
        number += 1
    raise AdhocRefused("card_new.busy")
