"""Who is acting, and what they may do: commands per role, unit scope, checked at every press."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.roles import LEADER_ROLES, Role
from storage import identity_queries as q
from storage.models import Person, Unit

ANYONE_BOUND: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Command:
    name: str
    roles: frozenset[str]  # empty: any bound person
    available: bool  # False: announced in /help as coming soon, answered with "not available"


# Order is the order of /help and of the command menu.
COMMANDS: tuple[Command, ...] = (
    Command("help", ANYONE_BOUND, True),
    Command("checkin", frozenset({Role.STAFF}), True),
    Command("leave", frozenset({Role.STAFF}), True),
    Command("quiz", ANYONE_BOUND, True),
    Command("prohibitions", ANYONE_BOUND, True),
    Command("report", ANYONE_BOUND, True),
    Command("tasks", ANYONE_BOUND, True),
    Command("cards", ANYONE_BOUND, True),
    Command("card", frozenset({Role.SAFETY_OFFICER, Role.MANAGER}), True),  # /card new
    Command("pending", ANYONE_BOUND, True),
    Command("onduty", ANYONE_BOUND, True),  # 值班表: who is on duty now
    Command("status", LEADER_ROLES, True),
    Command("record", LEADER_ROLES, True),  # 履职记录: my own duty record this month
    Command("incidents", frozenset({Role.SAFETY_OFFICER, Role.MANAGER}), True),
    Command("inspect", frozenset({Role.SAFETY_OFFICER, Role.TEAM_LEADER}), True),
    Command("violation", frozenset({Role.TEAM_LEADER, Role.SAFETY_OFFICER}), True),
    Command("channel", ANYONE_BOUND, True),  # the preferred channel when bound on several
    Command("lang", ANYONE_BOUND, True),
    Command("cancel", ANYONE_BOUND, True),
)
COMMANDS_BY_NAME = {c.name: c for c in COMMANDS}


@dataclass(frozen=True)
class Actor:
    """A bound, active person as seen at the moment of an update."""

    person_id: int
    employee_no: str
    name: str
    unit_id: str
    language: str | None
    roles: frozenset[tuple[str, str]]  # (role, unit_id)
    unreachable: bool = False  # a send to them answered 403 (blocked the bot)
    cleared: bool = True  # fit for duty (the quiz clears; a violation suspends)
    waiting_for: str | None = None  # the kind of chat state kept for them (a note, a location), if any

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(role for role, _ in self.roles)

    def has_any(self, roles: Iterable[str]) -> bool:
        wanted = set(roles)
        return bool(self.role_names & wanted)

    def units_with(self, roles: Iterable[str]) -> set[str]:
        wanted = set(roles)
        return {unit for role, unit in self.roles if role in wanted}


def may_run(actor: Actor, command: str) -> bool:
    spec = COMMANDS_BY_NAME.get(command)
    if spec is None:
        return False
    return not spec.roles or actor.has_any(spec.roles)


def commands_for(actor: Actor | None) -> list[Command]:
    """The commands this person may use, in menu order; unbound accounts only get /start."""
    if actor is None:
        return []
    return [c for c in COMMANDS if may_run(actor, c.name)]


async def load_actor(session: AsyncSession, *, channel: str, external_id: str) -> Actor | None:
    """The bound, active person behind a chat account, with their roles as stored now; else None.

    One statement: it runs before every update, hundreds of times a minute in the morning rush."""
    found = await q.person_with_roles(session, channel=channel, external_id=external_id)
    if found is None or not found[0].active:
        return None
    person, roles, waiting_for = found
    return Actor(
        person_id=person.id,
        employee_no=person.employee_no,
        name=person.name,
        unit_id=person.unit_id,
        language=person.language,
        roles=frozenset(roles),
        unreachable=person.unreachable,
        cleared=person.cleared,
        waiting_for=waiting_for,
    )


async def person_of(session: AsyncSession, actor: Actor) -> Person:
    """The actor's own row, in the caller's session (for domain calls that change it)."""
    person = await session.get(Person, actor.person_id)
    assert person is not None
    return person


async def set_language(session: AsyncSession, actor: Actor, language: str) -> None:
    person = await person_of(session, actor)
    person.language = language
    session.add(person)


async def mark_reachable(session: AsyncSession, actor: Actor, *, channel: str | None = None) -> None:
    """The person wrote to the bot (on `channel`), so it is not blocked any more (a 403 had marked them, or
    their account on that channel, unreachable)."""
    await q.mark_reachable(session, person_id=actor.person_id, channel=channel)


async def unit_name(session: AsyncSession, unit_id: str) -> str:
    unit = await session.get(Unit, unit_id)
    return unit.name if unit else unit_id
