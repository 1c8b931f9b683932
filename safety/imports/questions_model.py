"""The question bank import's data: rows as read from a file, the validated plan, and the report.

A reader (YAML, CSV, XLSX) turns a file into a `RawBank` of `RawRow`s (texts with their lines) and reports
what it alone can see (syntax, columns, missing values); `questions_rules` checks the content and builds a
`BankPlan`; `questions_service` applies it. Problems in a workbook name their sheet (`SheetProblem`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from safety.imports.problems import Problem
from safety.imports.results import EntityCounts
from safety.texts import t

TYPES = ("single", "multi", "judge")
JUDGE_OPTIONS = ("对", "错")
OPTION_LETTERS = "ABCDEF"
MIN_OPTIONS, MAX_OPTIONS = 2, len(OPTION_LETTERS)
ID_MAX = 64
SOURCE_MAX = 200
TITLE_MAX = 200
TEXT_MAX = 2000
STEM_MAX = 500
OPTION_MAX = 100  # options become button labels
EXPLANATION_MAX = 1000


@dataclass(frozen=True)
class SheetProblem(Problem):
    """A problem on a row of one sheet of a workbook: the text names the sheet, the line is its row."""

    sheet: str = ""

    def text(self, language: str) -> str:
        return t(language, "bank.in_sheet", sheet=self.sheet, problem=super().text(language))


def in_sheet(problems: Iterable[Problem], sheet: str | None) -> list[Problem]:
    """The problems placed on `sheet` (unchanged when the file has no sheets)."""
    if sheet is None:
        return list(problems)
    return [SheetProblem(line=p.line, code=p.code, params=p.params, sheet=sheet) for p in problems]


def sort_key(item: Problem) -> tuple[str, int]:
    """File-level problems first, then by sheet (prohibitions before questions), then by line."""
    return (getattr(item, "sheet", ""), item.line)


@dataclass
class RawRow:
    """One prohibition or question as written: non-empty stripped texts, each with its line."""

    line: int
    sheet: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    options: list[tuple[str, int]] = field(default_factory=list)

    def at(self, name: str) -> int:
        return self.lines.get(name, self.line)


@dataclass
class RawBank:
    """A file as read. `prohibitions` is None for a questions-only file (CSV): those refer to the loaded
    prohibitions and keep the loaded source label."""

    prohibitions: list[RawRow] | None
    questions: list[RawRow]
    source: str | None = None
    lines: dict[str, int] = field(default_factory=dict)  # where source/prohibitions/questions start
    sheets: dict[str, str] = field(default_factory=dict)  # prohibitions/questions -> sheet name

    def at(self, name: str) -> int:
        return self.lines.get(name, 1)


@dataclass(frozen=True)
class ProhibitionSpec:
    number: int
    title: str
    text: str
    line: int


@dataclass(frozen=True)
class QuestionSpec:
    id: str
    prohibition: int
    type: str
    stem: str
    options: tuple[str, ...]
    answer: tuple[int, ...]  # 0-based indexes into options
    explanation: str
    line: int


@dataclass(frozen=True)
class BankPlan:
    """A validated file: a full bank (source and prohibitions) or, from a CSV, questions only."""

    source: str | None
    prohibitions: tuple[ProhibitionSpec, ...] | None
    questions: tuple[QuestionSpec, ...]

    @property
    def full(self) -> bool:
        return self.prohibitions is not None


@dataclass(frozen=True)
class BankReport:
    """What an applied import changed. `prohibitions` is None for a questions-only file."""

    source: str
    is_sample: bool
    questions: EntityCounts
    prohibitions: EntityCounts | None = None

    @property
    def scope(self) -> tuple[str, ...]:
        return ("prohibitions", "questions") if self.prohibitions is not None else ("questions",)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {kind: asdict(getattr(self, kind)) for kind in self.scope}

    def total(self, name: str) -> int:
        return sum(counts[name] for counts in self.as_dict().values())

    @property
    def created(self) -> int:
        return self.total("created")

    @property
    def updated(self) -> int:
        return self.total("updated")

    @property
    def changed(self) -> bool:
        return any(self.total(n) for n in ("created", "updated", "deactivated", "reactivated"))
