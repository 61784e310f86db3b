"""Scoring: pure functions from a question and the options chosen to points between 0 and 1."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from ..content.quiz_schema import AttemptPolicy, Question, QuestionType, Quiz


def score_question(question: Question, choice: Collection[str]) -> float:
    """Points for ``choice``: 1 or 0, or partial credit for a multiple-response question.

    Multiple response: +1 for each right option chosen, -1 for each wrong one, never below 0,
    divided by the number of right options.
    """
    chosen = set(choice)
    if question.type is QuestionType.MULTIPLE:
        right = len(chosen & question.correct)
        wrong = len(chosen - question.correct)
        return max(0, right - wrong) / len(question.correct)
    if len(chosen) != 1:
        return 0.0
    return 1.0 if chosen <= question.correct else 0.0


def score_quiz(quiz: Quiz, answers: Mapping[str, Collection[str]]) -> float:
    """The quiz score between 0 and 1: the mean of the questions' points (unanswered: 0)."""
    if not quiz.questions:
        return 0.0
    total = sum(score_question(q, answers.get(q.id, ())) for q in quiz.questions)
    return total / len(quiz.questions)


def counted_score(policy: AttemptPolicy, scores: Sequence[float | None]) -> float | None:
    """The score that counts among finished attempts' ``scores`` (in attempt order)."""
    finished = [s for s in scores if s is not None]
    if not finished:
        return None
    if policy is AttemptPolicy.FIRST:
        return finished[0]
    return max(finished) if policy is AttemptPolicy.BEST else finished[-1]


def effective_policy(quiz: Quiz, chosen: str | None) -> AttemptPolicy:
    """The activity's choice (Moodle's custom parameter, kept on the link) over the quiz's."""
    if chosen in {p.value for p in AttemptPolicy}:
        return AttemptPolicy(str(chosen))
    return quiz.counts


def is_practice(policy: AttemptPolicy, finished_before: int) -> bool:
    """Whether a finished attempt is practice: with ``first``, every attempt after the first."""
    return policy is AttemptPolicy.FIRST and finished_before > 0


def valid_choice(question: Question, choice: Iterable[str]) -> list[str] | None:
    """``choice`` as a sorted list of option ids, or None if it names an unknown option or
    more than one option where one is expected."""
    chosen = sorted(set(choice))
    ids = {o.id for o in question.options}
    if any(c not in ids for c in chosen):
        return None
    if question.type is not QuestionType.MULTIPLE and len(chosen) > 1:
        return None
    return chosen
