"""What an import returns: a report of what changed, or the problems that stopped it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from safety.imports.problems import Problem

# (stage, done, total): called during apply, e.g. ("people", 4000, 20000)
Progress = Callable[[str, int, int], None]


@dataclass
class EntityCounts:
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    reactivated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class ImportReport:
    """Counts per kind of row; the totals are the sums over units and people."""

    units: EntityCounts = field(default_factory=EntityCounts)
    people: EntityCounts = field(default_factory=EntityCounts)
    scope: tuple[str, ...] = ("units", "people")  # what the file covered

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
        return bool(self.created or self.updated or self.deactivated or self.reactivated)

    def as_dict(self) -> dict[str, dict[str, int]]:
        """The counts of the kinds the file covered, e.g. {"people": {"created": 3, ...}}."""
        return {kind: asdict(getattr(self, kind)) for kind in self.scope}


@dataclass(frozen=True)
class ImportRejected:
    """The file was refused and nothing was stored; problems are sorted by line."""

    problems: tuple[Problem, ...]
