"""Each attempt has its own option order, the same every time it is drawn."""

from __future__ import annotations

from pathlib import Path

from app.content.quiz_loader import load_quizzes
from app.services.shuffle import shuffled_options

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "content" / "quizzes"


def ids(options: tuple) -> list[str]:
    return [o.id for o in options]


def test_an_attempts_order_is_a_permutation_drawn_the_same_every_time() -> None:
    question = load_quizzes(FIXTURE)["emergency-quiz"].question("helpers")
    assert question is not None
    first = ids(shuffled_options(question, 1))
    assert sorted(first) == sorted(ids(question.options))
    assert ids(shuffled_options(question, 1)) == first
    assert ids(shuffled_options(question, 2)) != first, "another attempt, another order"
    orders = {tuple(ids(shuffled_options(question, seed))) for seed in range(40)}
    assert len(orders) > 20, "six options: many different orders"


def test_without_a_seed_and_for_true_false_the_authored_order_stays() -> None:
    quiz = load_quizzes(FIXTURE)["emergency-quiz"]
    helpers, true_false = quiz.question("helpers"), quiz.question("tell-secret")
    assert helpers is not None
    assert true_false is not None
    assert shuffled_options(helpers, None) == helpers.options
    for seed in range(10):
        assert ids(shuffled_options(true_false, seed)) == ["true", "false"]
