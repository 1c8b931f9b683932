"""What an import returns: a report of what changed, or the problems that stopped it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from safety.imports.problems import MAX_KEPT, Problem, ProblemLog

# (stage, done, total): called during apply, e.g. ("people", 4000, 20000)
Progress = Callable[[str, int, int], None]


@dataclass
class EntityCounts:
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    reactivated: int = 0
    unchanged: int = 0


@dataclass
class PriorCounts:
    """What became of the file's cleared_on dates (see safety.prior_clearance.Outcome)."""

    recorded: int = 0
    unchanged: int = 0
    lapsed: int = 0
    superseded: int = 0


@dataclass(frozen=True)
class ImportReport:
    """Counts per kind of row; the totals are the sums over units and people."""

    units: EntityCounts = field(default_factory=EntityCounts)
    people: EntityCounts = field(default_factory=EntityCounts)
    scope: tuple[str, ...] = ("units", "people")  # what the file covered
    clearances: PriorCounts | None = None  # the file's cleared_on dates, when it has any

    @property
    def created(self) -> int:
        return self.units.created + self.people.created

    @property
    def updated(self) -> int:
        return self.units.updated + self.people.updated

    @property
    def deactivated(self) -> int:
        return self.units.deactivated + self.people.deactivated

    @property
    def reactivated(self) -> int:
        return self.units.reactivated + self.people.reactivated

    @property
    def unchanged(self) -> int:
        return self.units.unchanged + self.people.unchanged

    @property
    def changed(self) -> bool:
        recorded = self.clearances.recorded if self.clearances else 0
        return bool(self.created or self.updated or self.deactivated or self.reactivated or recorded)

    def as_dict(self) -> dict[str, dict[str, int]]:
        """The counts of the kinds the file covered, e.g. {"people": {"created": 3, ...}}."""
        return {kind: asdict(getattr(self, kind)) for kind in self.scope}


@dataclass(frozen=True)
class ImportRejected:
    """The file was refused and nothing was stored; problems are sorted by line. At most MAX_KEPT are kept:
    `omitted` counts the others."""

    problems: tuple[Problem, ...]
    omitted: int = 0

    @property
    def total(self) -> int:
        return len(self.problems) + self.omitted


def rejected(
    problems: Iterable[Problem] | ProblemLog, *, key: Callable[[Problem], Any] = lambda p: p.line
) -> ImportRejected:
    """The refusal of a file: its problems sorted by `key`, the first MAX_KEPT kept, the others counted."""
    kept = problems.kept() if isinstance(problems, ProblemLog) else list(problems)
    omitted = problems.total - len(kept) if isinstance(problems, ProblemLog) else 0
    ordered = sorted(kept, key=key)
    return ImportRejected(tuple(ordered[:MAX_KEPT]), omitted + max(len(ordered) - MAX_KEPT, 0))
