"""Problems found in an import file: a stable code, its parameters and the line they refer to.

Every code the importers can produce is a key `import_problem.<code>` of the language catalogs
(safety/texts/), in zh-CN and en. `line` is 1-based; 0 means the file as
a whole (unreadable file, unsupported type).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from safety.texts import catalog, t

CATALOG_PREFIX = "import_problem."
MAX_KEPT = 100  # problems a refused file keeps (and the CLI prints); the others are only counted


def problem_codes() -> frozenset[str]:
    """Every code an importer may produce: the `import_problem.*` keys of the catalogs."""
    return frozenset(k.removeprefix(CATALOG_PREFIX) for k in catalog("en") if k.startswith(CATALOG_PREFIX))


@dataclass(frozen=True)
class Problem:
    """One problem in an import file. `message` is the default English text for the operator."""

    line: int
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.text("en")

    def text(self, language: str) -> str:
        return t(language, CATALOG_PREFIX + self.code, **self.params)


def problem(line: int, code: str, **params: Any) -> Problem:
    if code not in problem_codes():
        raise KeyError(f"unknown problem code {code!r}")
    return Problem(line=line, code=code, params=params)


def sorted_problems(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    return tuple(sorted(problems, key=lambda p: p.line))


class ProblemSink(Protocol):
    """Where validators put problems: a list, or a ProblemLog for a file read row by row."""

    def append(self, item: Problem, /) -> None: ...

    def __len__(self) -> int: ...


class ProblemLog:
    """The problems of a file read row by row, in bounded memory: the first `limit` by line are kept, all
    are counted (`len`). Rows arrive in line order, so the kept ones are the first the operator should see."""

    def __init__(self, limit: int = MAX_KEPT) -> None:
        self.limit = limit
        self.total = 0
        self._heap: list[tuple[int, int, Problem]] = []  # (-line, -arrival, problem): the last on top
        self._arrival = itertools.count()

    def append(self, item: Problem, /) -> None:
        self.total += 1
        entry = (-item.line, -next(self._arrival), item)
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, entry)
        elif entry > self._heap[0]:
            heapq.heapreplace(self._heap, entry)

    def __len__(self) -> int:
        return self.total

    def kept(self) -> list[Problem]:
        return [item for _, _, item in sorted(self._heap, reverse=True)]
