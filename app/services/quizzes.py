"""Taking a quiz: attempts, answers saved as they are given, submission with the score's
delivery to the gradebook written in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from ..content.quiz_schema import Quiz, pick
from ..extensions import db
from ..models import OutboxMessage, Person, QuizAnswer, QuizAttempt, ResourceLink
from ..models.base import utcnow
from .scoring import counted_score, score_question, score_quiz, valid_choice

SCORE_KIND = "ags-score"
SCORE_MAXIMUM = 100.0


class QuizProblem(Exception):
    """The request cannot be carried out; ``reason`` says why in words for the student."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownQuestion(QuizProblem):
    def __init__(self) -> None:
        super().__init__("unknown-question")


class BadChoice(QuizProblem):
    def __init__(self) -> None:
        super().__init__("bad-choice")


class AnswerLocked(QuizProblem):
    def __init__(self) -> None:
        super().__init__("locked")


class AttemptClosed(QuizProblem):
    def __init__(self) -> None:
        super().__init__("submitted")


class NoAttemptsLeft(QuizProblem):
    def __init__(self) -> None:
        super().__init__("no-attempts-left")


@dataclass(frozen=True)
class AttemptState:
    """An attempt with its answers, as the quiz page shows it."""

    attempt: QuizAttempt
    choices: dict[str, list[str]]
    checked: frozenset[str]

    @property
    def answered(self) -> int:
        return sum(1 for choice in self.choices.values() if choice)


def attempts_of(quiz_id: str, person_id: int, school_class_id: int) -> list[QuizAttempt]:
    return list(
        db.session.scalars(
            select(QuizAttempt)
            .where(
                QuizAttempt.quiz_id == quiz_id,
                QuizAttempt.person_id == person_id,
                QuizAttempt.school_class_id == school_class_id,
            )
            .order_by(QuizAttempt.number)
        )
    )


def attempts_left(quiz: Quiz, attempts: Sequence[QuizAttempt]) -> int | None:
    """How many more attempts the student may start; None when there is no limit."""
    if quiz.attempts == 0:
        return None
    return max(0, quiz.attempts - sum(1 for a in attempts if a.submitted_at is not None))


def open_attempt(
    quiz: Quiz, person_id: int, school_class_id: int, resource_link_pk: int | None
) -> QuizAttempt:
    """The student's unfinished attempt, or a new one if attempts are left.

    Resuming is what keeps answers safe: whatever session or device the student comes back
    from, the same attempt with every saved answer is found again.
    """
    attempts = attempts_of(quiz.id, person_id, school_class_id)
    unfinished = next((a for a in attempts if a.submitted_at is None), None)
    if unfinished is not None:
        if resource_link_pk is not None and unfinished.resource_link_id != resource_link_pk:
            unfinished.resource_link_id = resource_link_pk
            db.session.commit()
        return unfinished
    left = attempts_left(quiz, attempts)
    if left == 0:
        raise NoAttemptsLeft()
    attempt = QuizAttempt(
        person_id=person_id,
        school_class_id=school_class_id,
        quiz_id=quiz.id,
        number=(attempts[-1].number + 1) if attempts else 1,
        resource_link_id=resource_link_pk,
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # The same student started it a moment ago in another tab.
        db.session.rollback()
        return open_attempt(quiz, person_id, school_class_id, resource_link_pk)
    db.session.commit()
    return attempt


def attempt_of(attempt_id: int, person_id: int) -> QuizAttempt | None:
    """The attempt, if it is this person's."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    return attempt if attempt is not None and attempt.person_id == person_id else None


def state_of(attempt: QuizAttempt) -> AttemptState:
    rows = db.session.execute(
        select(QuizAnswer.question_id, QuizAnswer.choice, QuizAnswer.checked).where(
            QuizAnswer.attempt_id == attempt.id
        )
    ).all()
    return AttemptState(
        attempt=attempt,
        choices={row[0]: list(row[1]) for row in rows},
        checked=frozenset(row[0] for row in rows if row[2]),
    )


def _upsert_answer(values: dict[str, object], *, only_unchecked: bool) -> int:
    """Insert or update one answer row in one statement; return the rows written."""
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    statement = insert(QuizAnswer).values(**values)
    changes = {k: statement.excluded[k] for k in values if k not in ("attempt_id", "question_id")}
    statement = statement.on_conflict_do_update(
        index_elements=["attempt_id", "question_id"],
        set_=changes,
        where=(QuizAnswer.checked.is_(False)) if only_unchecked else None,
    )
    # RETURNING, not rowcount: an ORM-enabled insert does not report rowcount on every driver.
    return len(db.session.execute(statement.returning(QuizAnswer.id)).all())


def save_answer(
    quiz: Quiz,
    attempt_id: int,
    person_id: int,
    question_id: str,
    choice: Sequence[str],
    *,
    check: bool = False,
    position: int | None = None,
) -> float | None:
    """Save the options chosen for one question, at once, in one transaction.

    With ``check`` the answer is also marked and locked, and its points are returned: the
    student sees the feedback, so the answer can no longer change.
    """
    question = quiz.question(question_id)
    if question is None:
        raise UnknownQuestion()
    chosen = valid_choice(question, choice)
    if chosen is None:
        raise BadChoice()
    now = utcnow()
    opened = db.session.execute(
        update(QuizAttempt)
        .where(
            QuizAttempt.id == attempt_id,
            QuizAttempt.person_id == person_id,
            QuizAttempt.quiz_id == quiz.id,
            QuizAttempt.submitted_at.is_(None),
        )
        .values(
            updated_at=now,
            **({"position": position} if position is not None else {}),
        )
    ).rowcount  # type: ignore[attr-defined]
    if opened != 1:
        db.session.rollback()
        raise AttemptClosed()
    points = score_question(question, chosen) if check else None
    values: dict[str, object] = {
        "attempt_id": attempt_id,
        "question_id": question_id,
        "choice": chosen,
        "updated_at": now,
    }
    if check:
        values.update(checked=True, points=points)
    if _upsert_answer(values, only_unchecked=True) != 1:
        db.session.rollback()
        raise AnswerLocked()
    db.session.commit()
    return points


def move_to(attempt_id: int, person_id: int, position: int) -> None:
    """Remember the question on screen, so a resumed attempt opens there."""
    db.session.execute(
        update(QuizAttempt)
        .where(
            QuizAttempt.id == attempt_id,
            QuizAttempt.person_id == person_id,
            QuizAttempt.submitted_at.is_(None),
        )
        .values(position=position)
    )
    db.session.commit()


def submit(quiz: Quiz, attempt_id: int, person_id: int, *, label: str) -> QuizAttempt:
    """Finish an attempt: score it and, when its activity has a gradebook, queue the score.

    The attempt's score and the outbox message are written in one transaction, so a score
    is never lost between the two, and a second submit changes nothing.
    """
    attempt = db.session.scalars(
        select(QuizAttempt)
        .where(QuizAttempt.id == attempt_id, QuizAttempt.person_id == person_id)
        .with_for_update()
    ).first()
    if attempt is None or attempt.quiz_id != quiz.id:
        raise AttemptClosed()
    if attempt.submitted_at is not None:
        db.session.rollback()
        return attempt
    state = state_of(attempt)
    attempt.score = score_quiz(quiz, state.choices)
    attempt.submitted_at = utcnow()
    for question in quiz.questions:
        chosen = state.choices.get(question.id)
        if chosen is not None and question.id not in state.checked:
            db.session.execute(
                update(QuizAnswer)
                .where(
                    QuizAnswer.attempt_id == attempt.id,
                    QuizAnswer.question_id == question.id,
                )
                .values(points=score_question(question, chosen))
            )
    link = attempt.resource_link
    if link is not None and link.ags_scopes and quiz.graded:
        db.session.flush()
        scores = [a.score for a in attempts_of(quiz.id, person_id, attempt.school_class_id)]
        counted = counted_score(quiz.counts, scores)
        sub = db.session.scalar(select(Person.sub).where(Person.id == person_id))
        db.session.add(
            OutboxMessage(
                kind=SCORE_KIND,
                dedupe_key=f"score:{attempt.id}",
                platform_id=db.session.scalar(
                    select(Person.platform_id).where(Person.id == person_id)
                ),
                payload=score_payload(link, quiz, label, str(sub), counted or 0.0, attempt),
            )
        )
    db.session.commit()
    return attempt


def score_payload(
    link: ResourceLink, quiz: Quiz, label: str, sub: str, score: float, attempt: QuizAttempt
) -> dict[str, object]:
    """What the delivery worker needs to post one score; no names, only the platform's id."""
    submitted = attempt.submitted_at or utcnow()
    return {
        "resource_link": link.id,
        "link_id": link.link_id,
        "scopes": list(link.ags_scopes),
        "lineitem_url": link.lineitem_url,
        "lineitems_url": link.lineitems_url,
        "resource_id": quiz.id,
        "label": label,
        "user_id": sub,
        "score_given": round(score * SCORE_MAXIMUM, 2),
        "score_maximum": SCORE_MAXIMUM,
        "timestamp": submitted.isoformat(),
    }


def quiz_label(quiz: Quiz, lang: str) -> str:
    return pick(quiz.title, lang)[:255]


def submitted_count(quiz_id: str, school_class_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count(func.distinct(QuizAttempt.person_id))).where(
                QuizAttempt.quiz_id == quiz_id,
                QuizAttempt.school_class_id == school_class_id,
                QuizAttempt.submitted_at.is_not(None),
            )
        )
        or 0
    )
