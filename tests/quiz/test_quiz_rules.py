"""Pure quiz rules: shuffling keeps the right answer, and only the right set of options scores."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from safety.quiz import is_right, shuffled
from storage.models import QuizItem

OPTIONS = ["严重违章", "一般违章", "正常指挥", "视情况而定", "无所谓", "不清楚"]


@st.composite
def questions(draw: st.DrawFn) -> tuple[list[str], list[int], str]:
    qtype = draw(st.sampled_from(["single", "multi", "judge"]))
    if qtype == "judge":
        return ["对", "错"], [draw(st.integers(0, 1))], qtype
    n = draw(st.integers(2, 6))
    options = OPTIONS[:n]
    size = 1 if qtype == "single" else draw(st.integers(2, n))
    answer = sorted(draw(st.lists(st.integers(0, n - 1), min_size=size, max_size=size, unique=True)))
    return options, answer, qtype


@given(questions(), st.integers(min_value=0, max_value=2**32))
def test_for_any_shuffle_the_right_labels_score(
    question: tuple[list[str], list[int], str], seed: int
) -> None:
    options, answer, qtype = question
    shown, shown_answer = shuffled(options, answer, qtype, random.Random(seed))
    assert sorted(shown) == sorted(options)
    assert sorted(shown[i] for i in shown_answer) == sorted(options[i] for i in answer)
    item = QuizItem(
        attempt_id=1,
        position=0,
        question_id="q",
        prohibition=1,
        type=qtype,
        stem="?",
        options=shown,
        answer=shown_answer,
    )
    right_labels = {options[i] for i in answer}
    chosen = [shown.index(label) for label in right_labels]
    assert is_right(item, chosen)
    wrong = [i for i in range(len(shown)) if i not in shown_answer]
    if wrong:
        assert not is_right(item, [wrong[0]])
        assert not is_right(item, [*shown_answer, wrong[0]])
