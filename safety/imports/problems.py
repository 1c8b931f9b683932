"""Problems found in an import file: a stable code, its parameters and the line they refer to.

Every code the importers can produce is a key `import_problem.<code>` of the language catalogs
(safety/texts/), in zh-CN and en. `line` is 1-based; 0 means the file as
a whole (unreadable file, unsupported type).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from safety.texts import catalog, t

CATALOG_PREFIX = "import_problem."


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
