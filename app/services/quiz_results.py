"""What a teacher sees of a quiz in a class: who finished, the scores, and item analysis."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, func, select

from ..content.quiz_schema import AttemptPolicy, Quiz
from ..extensions import db
from ..models import Membership, OutboxMessage, Person, QuizAnswer, QuizAttempt, ResourceLink
from .actors import ActorRole
from .scoring import counted_score

NOT_STARTED, IN_PROGRESS, FINISHED = "not-started", "in-progress", "finished"


@dataclass(frozen=True)
class RosterEntry:
    """A student of the course as the platform's roster names them (never stored)."""

    user_id: str
    name: str


@dataclass
class StudentResult:
    label: str  # the roster's name, or a neutral label when there is no roster
    status: str
    attempts: int = 0
    score: float | None = None  # 0..1, the attempt that counts
    finished_at: datetime | None = None
    grade_status: str = ""  # delivered | pending | dead | "" (not sent)
    counted_attempt_id: int | None = None
    practice: int = 0  # finished attempts after the graded one (policy "first")
    practice_best: float | None = None  # 0..1, the best of them


@dataclass(frozen=True)
class OptionShare:
    option_id: str
    count: int
    share: float  # of the students who answered the question
    correct: bool


@dataclass(frozen=True)
class ItemAnalysis:
    question_id: str
    answered: int
    mean_points: float
    options: tuple[OptionShare, ...]

    @property
    def misconception(self) -> OptionShare | None:
        """The wrong option chosen most often, when a fifth or more chose it."""
        wrong = [o for o in self.options if not o.correct and o.share >= 0.2]
        return max(wrong, key=lambda o: o.count) if wrong else None


@dataclass
class ClassResults:
    students: list[StudentResult] = field(default_factory=list)
    items: list[ItemAnalysis] = field(default_factory=list)
    roster_used: bool = False

    @property
    def finished(self) -> int:
        return sum(1 for s in self.students if s.status == FINISHED)


def class_results(
    quiz: Quiz,
    school_class_id: int,
    roster: Sequence[RosterEntry] | None,
    policy: AttemptPolicy | None = None,
) -> ClassResults:
    """Results of ``quiz`` in a class; with a roster, students who have not started too.

    ``policy`` says which attempt counts (the quiz's own when None); with ``first`` the later
    attempts are practice, counted apart.
    """
    attempts = list(
        db.session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.school_class_id == school_class_id)
            .order_by(QuizAttempt.person_id, QuizAttempt.number)
        )
    )
    by_person: dict[int, list[QuizAttempt]] = defaultdict(list)
    for attempt in attempts:
        by_person[attempt.person_id].append(attempt)
    students_in_class = dict(
        db.session.execute(
            select(Person.id, Person.sub)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.school_class_id == school_class_id,
                Membership.role == ActorRole.STUDENT.value,
            )
        ).all()
    )
    subs = dict(
        db.session.execute(
            select(Person.id, Person.sub).where(Person.id.in_(list(by_person)))
        ).all()
    )
    subs.update(students_in_class)
    deliveries = _grade_statuses([a.id for a in attempts])
    names = {entry.user_id: entry.name for entry in roster or ()}
    results: list[StudentResult] = []
    counted_ids: list[int] = []
    seen_subs: set[str] = set()
    for number, (person_id, sub) in enumerate(sorted(subs.items()), start=1):
        seen_subs.add(sub)
        label = names.get(sub) or f"#{number}"
        result = _student(policy or quiz.counts, label, by_person.get(person_id, []), deliveries)
        if result.counted_attempt_id is not None:
            counted_ids.append(result.counted_attempt_id)
        results.append(result)
    for entry in roster or ():
        if entry.user_id not in seen_subs:
            results.append(StudentResult(label=entry.name or entry.user_id, status=NOT_STARTED))
    results.sort(key=lambda r: ([NOT_STARTED, IN_PROGRESS, FINISHED].index(r.status), r.label))
    return ClassResults(
        students=results, items=item_analysis(quiz, counted_ids), roster_used=roster is not None
    )


def _student(
    policy: AttemptPolicy, label: str, attempts: list[QuizAttempt], deliveries: dict[int, str]
) -> StudentResult:
    finished = [a for a in attempts if a.submitted_at is not None]
    if not attempts:
        return StudentResult(label=label, status=NOT_STARTED)
    if not finished:
        return StudentResult(label=label, status=IN_PROGRESS, attempts=len(attempts))
    score = counted_score(policy, [a.score for a in finished])
    counted = next((a for a in reversed(finished) if a.score == score), finished[-1])
    practice: list[QuizAttempt] = []
    if policy is AttemptPolicy.FIRST:
        counted, practice = finished[0], finished[1:]
    sent = [a for a in finished if a not in practice and a.id in deliveries]
    return StudentResult(
        label=label,
        status=FINISHED,
        attempts=len(finished),
        score=score,
        finished_at=counted.submitted_at,
        grade_status=deliveries[sent[-1].id] if sent else "",
        counted_attempt_id=counted.id,
        practice=len(practice),
        practice_best=max((a.score or 0.0 for a in practice), default=None),
    )


def _grade_statuses(attempt_ids: Iterable[int]) -> dict[int, str]:
    keys = {f"score:{attempt_id}": attempt_id for attempt_id in attempt_ids}
    if not keys:
        return {}
    rows = db.session.execute(
        select(OutboxMessage.dedupe_key, OutboxMessage.status).where(
            OutboxMessage.dedupe_key.in_(list(keys))
        )
    ).all()
    return {keys[key]: status for key, status in rows}


def item_analysis(quiz: Quiz, attempt_ids: Sequence[int]) -> list[ItemAnalysis]:
    """For each question, the share of students choosing each option (counted attempts)."""
    rows = (
        db.session.execute(
            select(QuizAnswer.question_id, QuizAnswer.choice, QuizAnswer.points).where(
                QuizAnswer.attempt_id.in_(list(attempt_ids))
            )
        ).all()
        if attempt_ids
        else []
    )
    chosen: dict[str, Counter[str]] = defaultdict(Counter)
    answered: Counter[str] = Counter()
    points: dict[str, float] = defaultdict(float)
    for question_id, choice, earned in rows:
        if not choice:
            continue
        answered[question_id] += 1
        points[question_id] += earned or 0.0
        chosen[question_id].update(choice)
    analysis = []
    for question in quiz.questions:
        n = answered[question.id]
        analysis.append(
            ItemAnalysis(
                question_id=question.id,
                answered=n,
                mean_points=points[question.id] / n if n else 0.0,
                options=tuple(
                    OptionShare(
                        option_id=option.id,
                        count=chosen[question.id][option.id],
                        share=chosen[question.id][option.id] / n if n else 0.0,
                        correct=option.id in question.correct,
                    )
                    for option in question.options
                ),
            )
        )
    return analysis


def export_rows(quiz: Quiz, results: ClassResults) -> tuple[list[str], list[list[str]]]:
    """The class results as a table: (headers, rows), for CSV."""
    points = _points_by_attempt([s.counted_attempt_id for s in results.students])
    headers = ["student", "status", "attempts", "score_percent", "finished_at_utc"]
    headers += [f"q{i}:{q.id}" for i, q in enumerate(quiz.questions, start=1)]
    headers += ["practice_attempts", "practice_best_percent"]
    rows = []
    for student in results.students:
        row = [
            student.label,
            student.status,
            str(student.attempts),
            "" if student.score is None else f"{student.score * 100:.0f}",
            student.finished_at.strftime("%Y-%m-%d %H:%M") if student.finished_at else "",
        ]
        earned = points.get(student.counted_attempt_id or 0, {})
        row += ["" if earned.get(q.id) is None else f"{earned[q.id]:.2f}" for q in quiz.questions]
        row += [
            str(student.practice),
            "" if student.practice_best is None else f"{student.practice_best * 100:.0f}",
        ]
        rows.append(row)
    return headers, rows


def _points_by_attempt(attempt_ids: Sequence[int | None]) -> dict[int, dict[str, float | None]]:
    ids = [i for i in attempt_ids if i is not None]
    found: dict[int, dict[str, float | None]] = defaultdict(dict)
    if ids:
        for attempt_id, question_id, earned in db.session.execute(
            select(QuizAnswer.attempt_id, QuizAnswer.question_id, QuizAnswer.points).where(
                QuizAnswer.attempt_id.in_(ids)
            )
        ):
            found[attempt_id][question_id] = earned
    return found


def class_has_gradebook(school_class_id: int, lesson_id: str) -> bool | None:
    """Whether the class's activity for this lesson can receive scores; None if unknown."""
    links = list(
        db.session.scalars(
            select(ResourceLink.ags_scopes).where(
                ResourceLink.school_class_id == school_class_id,
                ResourceLink.lesson_id == lesson_id,
            )
        )
    )
    if not links:
        return None
    return any(scopes for scopes in links)


def quiz_activity(school_class_id: int) -> list[tuple[str, int, int]]:
    """Quizzes students of a class have opened: (quiz id, students finished, students started),
    most recently active first."""
    rows = db.session.connection().execute(_QUIZ_ACTIVITY, {"school_class_id": school_class_id})
    return [(row[0], int(row[1]), int(row[2])) for row in rows]


# Built once: the teacher's start page runs it on every launch.
_QUIZ_ACTIVITY = (
    select(
        QuizAttempt.quiz_id,
        func.count(func.distinct(QuizAttempt.person_id)).filter(
            QuizAttempt.submitted_at.is_not(None)
        ),
        func.count(func.distinct(QuizAttempt.person_id)),
        func.max(QuizAttempt.updated_at),
    )
    .where(QuizAttempt.school_class_id == bindparam("school_class_id"))
    .group_by(QuizAttempt.quiz_id)
    .order_by(func.max(QuizAttempt.updated_at).desc())
)
