"""Scoring of every question type, partial credit, and which attempt counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.content.quiz_loader import load_quizzes
from app.content.quiz_schema import AttemptPolicy, Quiz
from app.services.scoring import counted_score, score_question, score_quiz, valid_choice

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "content" / "quizzes"


@pytest.fixture(scope="module")
def quiz() -> Quiz:
    return load_quizzes(FIXTURE)["emergency-quiz"]


@pytest.mark.parametrize(
    ("question", "choice", "points"),
    [
        ("who-helps", ["firefighters"], 1.0),
        ("who-helps", ["friend"], 0.0),
        ("who-helps", [], 0.0),
        ("tell-secret", ["true"], 1.0),
        ("tell-secret", ["false"], 0.0),
        ("lost", ["cashier"], 1.0),
        ("lost", ["leave"], 0.0),
        ("thumbs", ["yes"], 1.0),
        ("thumbs", ["no"], 0.0),
    ],
)
def test_one_answer_questions_score_one_or_zero(
    quiz: Quiz, question: str, choice: list[str], points: float
) -> None:
    found = quiz.question(question)
    assert found is not None
    assert score_question(found, choice) == points


@pytest.mark.parametrize(
    ("choice", "points"),
    [
        (["teacher", "parent", "nurse"], 1.0),
        (["teacher", "parent"], 2 / 3),
        (["teacher"], 1 / 3),
        (["teacher", "parent", "stranger-car"], 1 / 3),  # two right, one wrong
        (["teacher", "stranger-car"], 0.0),
        (["teacher", "parent", "nurse", "stranger-car"], 2 / 3),
        (["stranger-car"], 0.0),  # never below zero
        ([], 0.0),
    ],
)
def test_multiple_response_gives_partial_credit(
    quiz: Quiz, choice: list[str], points: float
) -> None:
    question = quiz.question("helpers")
    assert question is not None
    assert score_question(question, choice) == pytest.approx(points)


def test_two_options_on_a_single_choice_question_score_nothing(quiz: Quiz) -> None:
    question = quiz.question("who-helps")
    assert question is not None
    assert score_question(question, ["firefighters", "friend"]) == 0.0
    assert valid_choice(question, ["firefighters", "friend"]) is None
    assert valid_choice(question, ["nobody"]) is None
    assert valid_choice(question, ["firefighters"]) == ["firefighters"]


def test_quiz_score_is_the_mean_and_unanswered_questions_count_zero(quiz: Quiz) -> None:
    answers = {"who-helps": ["firefighters"], "helpers": ["teacher", "parent"], "lost": ["leave"]}
    assert score_quiz(quiz, answers) == pytest.approx((1 + 2 / 3 + 0) / 5)
    perfect = {q.id: sorted(q.correct) for q in quiz.questions}
    assert score_quiz(quiz, perfect) == 1.0


def test_best_or_last_attempt_counts() -> None:
    assert counted_score(AttemptPolicy.BEST, [0.4, 0.9, 0.6]) == 0.9
    assert counted_score(AttemptPolicy.LAST, [0.4, 0.9, 0.6]) == 0.6
    assert counted_score(AttemptPolicy.LAST, [0.4, None]) == 0.4  # unfinished does not count
    assert counted_score(AttemptPolicy.BEST, [None]) is None
