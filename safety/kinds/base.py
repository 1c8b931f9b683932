"""What a duty kind tells the engine, and the picture of one reference's duties it renders from.

A reference (`Obligation.ref`: "round:12", "quiz:2026-12-09") groups the obligations one digest speaks of.
The engine loads the picture of many references at once (`safety.duty_pictures.load`): the obligations with
their subjects' names, the units, and whatever the kind adds of its own (`load_extra`: a round's check-ins).
The kind only turns a picture into lines and views; who gets them, when, and what a press does is the
engine's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from safety.config import Defaults
from safety.views import Line, View
from storage.escalation_queries import DutyRow
from storage.models import Unit


@dataclass(frozen=True)
class DigestAction:
    """What a digest recipient may do with one listed duty. `closes_as` None: remind the person."""

    op: str  # carried in the button ("r", "x", "h")
    label: str  # text key of the button; gets {name}
    closes_as: str | None
    done: str  # text key of the answer to the presser; gets {name}
    audit: str  # audit action


REMIND = DigestAction("r", "digest.remind", None, "digest.done_reminded", "obligation.remind")
EXCUSE = DigestAction("x", "digest.excuse", "excused", "digest.done_excused", "obligation.excused")
HANDLED = DigestAction(
    "h", "digest.handled", "acknowledged", "digest.done_handled", "obligation.acknowledged"
)
STANDARD_ACTIONS = (REMIND, EXCUSE, HANDLED)


@dataclass
class Picture:
    """One reference's duties as digests and reminders show them; plain rows, loaded in batches."""

    kind: str
    ref: str
    duties: list[DutyRow]
    units: Mapping[str, Unit]
    names: Mapping[int, str]
    defaults: Defaults
    extra: Any = None  # the kind's own (safety.kinds.<kind>.load_extra)
    by_id: dict[int, DutyRow] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {d.id: d for d in self.duties}

    def of_unit(self, unit_id: str) -> list[DutyRow]:
        return [d for d in self.duties if d.unit_id == unit_id]

    def name(self, person_id: int | None) -> str:
        return self.names.get(person_id or 0, "?")

    def unit_name(self, unit_id: str) -> str:
        unit = self.units.get(unit_id)
        return unit.name if unit else unit_id

    def zone(self, unit_id: str) -> ZoneInfo:
        unit = self.units.get(unit_id)
        return self.defaults.zone(unit.timezone if unit else None)

    def hhmm(self, moment: datetime | None, unit_id: str) -> str:
        return moment.astimezone(self.zone(unit_id)).strftime("%H:%M") if moment is not None else ""


class DutyKind(Protocol):
    """One obligation kind (a module under safety/kinds/ exposes it as `KIND`)."""

    name: str
    default_policy: Sequence[Mapping[str, str]]  # escalation steps when the org file names none
    actions: Sequence[DigestAction]  # the buttons of its digests, per listed open duty
    shared_reminder: bool  # the reminder is the same for every duty of a reference (asked once a tick)
    # The step digest names the open duties' subjects ("未确认：张三") and who handled whom; False: the kind's
    # own lines say everything (a report's duties, where the subject is no news and naming people could
    # give away an anonymous reporter). A kind without the attribute lists them.
    lists_subjects: bool

    async def load_extra(
        self, session: AsyncSession, refs: Sequence[str], defaults: Defaults
    ) -> dict[str, Any]:
        """The kind's own part of each reference's picture (missing refs: the reference is gone)."""
        ...

    def digest_lines(self, picture: Picture, unit_id: str) -> tuple[Line, list[Line]]:
        """The title of a step digest for one unit, and the kind's own lines under the missing names."""
        ...

    def reminder(self, picture: Picture, duty: DutyRow, *, nudged_by: str | None = None) -> View | None:
        """What the person themself gets at a `self` step, or when a recipient presses 提醒."""
        ...

    def alert(self, topic: str, picture: Picture, unit_id: str, listed: Sequence[int]) -> View | None:
        """An alert digest to leaders about many people (topic: issue, not_cleared, …)."""
        ...

    # Optional: `async def closed_by_action(session, obligation, *, actor_id, now, defaults) -> None`, what
    # closing one of its duties by a digest action means beyond the close (safety.obligation_actions calls
    # it in the same transaction, before the digests are refreshed).
