"""Taking a quiz: attempts, answers saved as they are given, submission with the score's
delivery to the gradebook written in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, Integer, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from ..content.quiz_schema import Quiz, pick
from ..extensions import db
from ..models import OutboxMessage, Person, QuizAnswer, QuizAttempt, ResourceLink
from ..models.base import UtcDateTime, utcnow
from .scoring import (
    counted_score,
    effective_policy,
    is_practice,
    score_question,
    score_quiz,
    valid_choice,
)

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


class AttemptConflict(QuizProblem):
    """Starting an attempt kept colliding with another one (not a retry loop without end)."""

    def __init__(self) -> None:
        super().__init__("conflict")


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


_OF_STUDENT = (
    QuizAttempt.quiz_id == bindparam("b_quiz_id"),
    QuizAttempt.person_id == bindparam("b_person_id"),
    QuizAttempt.school_class_id == bindparam("b_class_id"),
)
_UNFINISHED = select(QuizAttempt).where(*_OF_STUDENT, QuizAttempt.submitted_at.is_(None))
_COUNT_AND_LAST = select(func.count(QuizAttempt.id), func.max(QuizAttempt.number)).where(
    *_OF_STUDENT
)


def _student(quiz_id: str, person_id: int, school_class_id: int) -> dict[str, object]:
    return {"b_quiz_id": quiz_id, "b_person_id": person_id, "b_class_id": school_class_id}


def unfinished_attempt(quiz_id: str, person_id: int, school_class_id: int) -> QuizAttempt | None:
    return db.session.scalars(_UNFINISHED, _student(quiz_id, person_id, school_class_id)).first()


_FINISHED_SCORES = (
    select(QuizAttempt.score)
    .where(
        *_OF_STUDENT,
        QuizAttempt.submitted_at.is_not(None),
        QuizAttempt.id != bindparam("b_besides"),
    )
    .order_by(QuizAttempt.number)
)


def finished_scores(
    quiz_id: str, person_id: int, school_class_id: int, *, besides: int | None = None
) -> list[float]:
    """Scores of the student's finished attempts, oldest first (without attempt ``besides``)."""
    found = db.session.scalars(
        _FINISHED_SCORES,
        {**_student(quiz_id, person_id, school_class_id), "b_besides": besides or 0},
    )
    return [s or 0.0 for s in found]


def open_attempt(
    quiz: Quiz,
    person_id: int,
    school_class_id: int,
    resource_link_pk: int | None,
    *,
    lesson_id: str | None = None,
) -> QuizAttempt:
    """The student's unfinished attempt, or a new one if attempts are left.

    Resuming is what keeps answers safe: whatever session or device the student comes back
    from, the same attempt with every saved answer is found again; it keeps the activity it
    was started from. A new attempt is bound to the launched activity only when that activity
    opens this quiz's lesson (``lesson_id``): its gradebook column is that lesson's.
    """
    for _ in range(2):
        unfinished = unfinished_attempt(quiz.id, person_id, school_class_id)
        if unfinished is not None:
            return unfinished
        finished, last_number = db.session.execute(
            _COUNT_AND_LAST, _student(quiz.id, person_id, school_class_id)
        ).one()
        if quiz.attempts and finished >= quiz.attempts:
            raise NoAttemptsLeft()
        attempt = QuizAttempt(
            person_id=person_id,
            school_class_id=school_class_id,
            quiz_id=quiz.id,
            number=(last_number or 0) + 1,
            resource_link_id=_own_link(resource_link_pk, lesson_id),
        )
        db.session.add(attempt)
        try:
            db.session.commit()
        except IntegrityError:
            # The same student started it a moment ago in another tab: take that one.
            db.session.rollback()
            continue
        return attempt
    raise AttemptConflict()


def _own_link(resource_link_pk: int | None, lesson_id: str | None) -> int | None:
    if resource_link_pk is None or lesson_id is None:
        return None
    link_lesson = db.session.scalar(
        select(ResourceLink.lesson_id).where(ResourceLink.id == resource_link_pk)
    )
    return resource_link_pk if link_lesson == lesson_id else None


def attempt_of(attempt_id: int, person_id: int) -> QuizAttempt | None:
    """The attempt, if it is this person's."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    return attempt if attempt is not None and attempt.person_id == person_id else None


_ANSWERS_OF = select(QuizAnswer.question_id, QuizAnswer.choice, QuizAnswer.checked).where(
    QuizAnswer.attempt_id == bindparam("b_attempt_id")
)


def state_of(attempt: QuizAttempt) -> AttemptState:
    rows = db.session.execute(_ANSWERS_OF, {"b_attempt_id": attempt.id}).all()
    return AttemptState(
        attempt=attempt,
        choices={row[0]: list(row[1]) for row in rows},
        checked=frozenset(row[0] for row in rows if row[2]),
    )


# Statements built once (building SQLAlchemy expressions costs more than running them); Core
# tables, not ORM entities, so no ORM bookkeeping runs for these hot writes.
_ATTEMPT = QuizAttempt.__table__
_ANSWER = QuizAnswer.__table__
_TOUCH_ATTEMPT = (
    update(_ATTEMPT)
    .where(
        _ATTEMPT.c.id == bindparam("b_attempt_id"),
        _ATTEMPT.c.person_id == bindparam("b_person_id"),
        _ATTEMPT.c.quiz_id == bindparam("b_quiz_id"),
        _ATTEMPT.c.submitted_at.is_(None),
    )
    .values(
        updated_at=bindparam("b_now", type_=UtcDateTime),
        position=func.coalesce(bindparam("b_position", type_=Integer), _ATTEMPT.c.position),
    )
)
_UPSERTS: dict[str, Any] = {}


def _upsert_statement(dialect: str) -> Any:
    """Insert or update one unchecked answer; RETURNING tells whether a row was written."""
    found = _UPSERTS.get(dialect)
    if found is None:
        insert = (postgresql if dialect == "postgresql" else sqlite).insert
        statement = insert(_ANSWER).values(
            attempt_id=bindparam("b_attempt_id"),
            question_id=bindparam("b_question_id"),
            choice=bindparam("b_choice", type_=_ANSWER.c.choice.type),
            checked=bindparam("b_checked", type_=Boolean),
            points=bindparam("b_points", type_=Float),
            updated_at=bindparam("b_now", type_=UtcDateTime),
        )
        excluded = statement.excluded
        found = statement.on_conflict_do_update(
            index_elements=["attempt_id", "question_id"],
            set_={
                "choice": excluded.choice,
                "checked": excluded.checked,
                "points": excluded.points,
                "updated_at": excluded.updated_at,
            },
            where=_ANSWER.c.checked.is_(False),
        ).returning(_ANSWER.c.id)
        _UPSERTS[dialect] = found
    return found


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
        _TOUCH_ATTEMPT,
        {
            "b_attempt_id": attempt_id,
            "b_person_id": person_id,
            "b_quiz_id": quiz.id,
            "b_now": now,
            "b_position": position,
        },
    ).rowcount  # type: ignore[attr-defined]
    if opened != 1:
        db.session.rollback()
        raise AttemptClosed()
    points = score_question(question, chosen) if check else None
    written = db.session.execute(
        _upsert_statement(db.session.get_bind().dialect.name),
        {
            "b_attempt_id": attempt_id,
            "b_question_id": question_id,
            "b_choice": chosen,
            "b_checked": check,
            "b_points": points,
            "b_now": now,
        },
    ).all()
    if len(written) != 1:
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


_SET_POINTS = (
    update(_ANSWER)
    .where(
        _ANSWER.c.attempt_id == bindparam("b_attempt_id"),
        _ANSWER.c.question_id == bindparam("b_question_id"),
    )
    .values(points=bindparam("b_points", type_=Float))
)
_FINISH = (
    update(_ATTEMPT)
    .where(_ATTEMPT.c.id == bindparam("b_attempt_id"), _ATTEMPT.c.submitted_at.is_(None))
    .values(
        submitted_at=bindparam("b_now", type_=UtcDateTime),
        score=bindparam("b_score", type_=Float),
        updated_at=bindparam("b_now", type_=UtcDateTime),
    )
)


def submit(
    quiz: Quiz,
    attempt_id: int,
    person_id: int,
    *,
    label: str,
    resource_id: str | None = None,
    service_link_pk: int | None = None,
) -> QuizAttempt:
    """Finish an attempt: score it and, when a gradebook can take it, queue the score.

    The score goes only to the column of the quiz's own resource (``resource_id``, its
    lesson): through the attempt's own activity when it was started from the lesson's
    activity, otherwise through the launched activity ``service_link_pk`` to the course's
    column of that resource. The attempt's score and the outbox message are written in one
    transaction, so a score is never lost between the two; the attempt is finished by a
    compare-and-set, so a second submit, even at the same moment, changes nothing.
    """
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.person_id != person_id or attempt.quiz_id != quiz.id:
        raise AttemptClosed()
    if attempt.submitted_at is not None:
        return attempt
    state = state_of(attempt)
    score = score_quiz(quiz, state.choices)
    now = utcnow()
    finished = db.session.execute(
        _FINISH, {"b_attempt_id": attempt.id, "b_now": now, "b_score": score}
    ).rowcount  # type: ignore[attr-defined]
    if finished != 1:
        db.session.rollback()
        db.session.refresh(attempt)
        return attempt
    points = [
        {
            "b_attempt_id": attempt.id,
            "b_question_id": question.id,
            "b_points": score_question(question, state.choices[question.id]),
        }
        for question in quiz.questions
        if question.id in state.choices and question.id not in state.checked
    ]
    if points:
        db.session.execute(_SET_POINTS, points)
    own_link = attempt.resource_link
    link = own_link or (db.session.get(ResourceLink, service_link_pk) if service_link_pk else None)
    if link is not None and link.ags_scopes and quiz.graded:
        earlier = finished_scores(quiz.id, person_id, attempt.school_class_id, besides=attempt.id)
        policy = effective_policy(quiz, link.counts)
        if is_practice(policy, len(earlier)):
            db.session.commit()  # practice: the gradebook keeps the first attempt's score
            return attempt
        counted = counted_score(policy, [*earlier, score])
        sub, platform_id = db.session.execute(
            select(Person.sub, Person.platform_id).where(Person.id == person_id)
        ).one()
        db.session.execute(
            insert(OutboxMessage.__table__).values(
                kind=SCORE_KIND,
                dedupe_key=f"score:{attempt_id}",
                platform_id=platform_id,
                payload=score_payload(
                    link,
                    own=own_link is not None,
                    resource_id=resource_id or quiz.id,
                    label=label,
                    sub=str(sub),
                    score=counted or 0.0,
                    submitted=now,
                ),
            )
        )
    db.session.commit()
    return attempt


def score_payload(
    link: ResourceLink,
    *,
    own: bool,
    resource_id: str,
    label: str,
    sub: str,
    score: float,
    submitted: datetime,
) -> dict[str, object]:
    """What the delivery worker needs to post one score; no names, only the platform's id.

    ``own``: the link is the activity of this resource, so its own column takes the score.
    """
    return {
        "resource_link": link.id,
        "link_id": link.link_id,
        "scopes": list(link.ags_scopes),
        "lineitem_url": link.lineitem_url if own else None,
        "lineitems_url": link.lineitems_url,
        "resource_id": resource_id,  # the lesson, as deep linking names the column
        "label": label,
        "user_id": sub,
        "score_given": round(score * SCORE_MAXIMUM, 2),
        "score_maximum": SCORE_MAXIMUM,
        "timestamp": submitted.isoformat(),
    }


def quiz_label(quiz: Quiz, lang: str) -> str:
    return pick(quiz.title, lang)[:255]
