"""Read access to the loaded question bank, for the bot: the prohibitions and the questions to draw from.

The bank's source label (`source` of the imported file) is shown wherever the bank is shown. A bank is a
**sample** when its label says so: it contains one of `SAMPLE_MARKERS` (示例, 样例, sample, example; case
is ignored). examples/questions.yaml is labelled 示例题库（非集团正式文本）; a company's own bank must not
carry these words. A sample bank is always shown with a notice that it is not the company's official text.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import bank_queries as q
from storage.models import Question

SAMPLE_MARKERS = ("示例", "样例", "sample", "example")


def is_sample_source(source: str | None) -> bool:
    """Whether a bank's source label marks it as a sample bank."""
    if not source:
        return False
    lowered = source.casefold()
    return any(marker in lowered for marker in SAMPLE_MARKERS)


@dataclass(frozen=True)
class ProhibitionView:
    number: int
    title: str
    text: str
    questions: int  # active questions testing it


@dataclass(frozen=True)
class BankView:
    """The loaded bank; `source` is None (and `prohibitions` empty) when no bank was imported."""

    source: str | None
    is_sample: bool
    prohibitions: tuple[ProhibitionView, ...]

    @property
    def loaded(self) -> bool:
        return bool(self.prohibitions)

    @property
    def question_count(self) -> int:
        return sum(p.questions for p in self.prohibitions)


async def loaded_bank(session: AsyncSession) -> BankView:
    """The active prohibitions ordered by number, with the bank's source label and question counts."""
    rows = await q.all_prohibitions(session, active_only=True)
    counts = await q.active_question_counts(session)
    source = rows[0].source if rows else None
    return BankView(
        source=source,
        is_sample=is_sample_source(source),
        prohibitions=tuple(
            ProhibitionView(number=p.number, title=p.title, text=p.text, questions=counts.get(p.number, 0))
            for p in rows
        ),
    )


async def questions_for_draw(session: AsyncSession) -> dict[int, list[Question]]:
    """Active questions of active prohibitions, grouped by prohibition number (ascending), ids ascending."""
    grouped: dict[int, list[Question]] = {}
    for question in await q.active_questions(session):
        grouped.setdefault(question.prohibition, []).append(question)
    return grouped


async def has_questions(session: AsyncSession) -> bool:
    """Whether any question is loaded (the sandbox loads the sample bank otherwise)."""
    return await q.has_active_questions(session)
