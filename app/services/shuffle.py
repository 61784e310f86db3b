"""Options in a different order for each attempt, and the same order every time that attempt
is shown: a permutation drawn from the attempt's seed and the question's id."""

from __future__ import annotations

import random

from ..content.quiz_schema import Option, Question, QuestionType


def shuffled_options(question: Question, seed: int | None) -> tuple[Option, ...]:
    """The options in the attempt's order; the authored order without a seed or for true/false."""
    if seed is None or question.type is QuestionType.TRUE_FALSE:
        return question.options
    options = list(question.options)
    # A string seed is hashed with SHA-512, so the order is the same in every process.
    random.Random(f"{seed}:{question.id}").shuffle(options)  # noqa: S311 - an order, not a secret
    return tuple(options)
