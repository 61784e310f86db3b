"""Quizzes: taking one (answers saved on every change), the result, the teacher's view."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _

from ..auth import require_role
from ..content.quiz_schema import AttemptPolicy, Quiz, QuizLayout
from ..content_catalog import catalog
from ..forms import QuizActionForm
from ..i18n import you
from ..problems import PlainProblem
from ..services import actors, quiz_results, quizzes, resource_links, table_files
from ..services import roster as roster_service
from ..services.actors import ActorRole
from ..services.scoring import counted_score, effective_policy

bp = Blueprint("quizzes", __name__, url_prefix="/quizzes")
STAFF = (ActorRole.TEACHER, ActorRole.COORDINATOR)


def _quiz(quiz_id: str) -> Quiz:
    quiz = catalog().quiz(quiz_id)
    if quiz is None:
        abort(404)
    return quiz


def _lang() -> str:
    return str(get_locale())


def problem_message(reason: str) -> str:
    """Plain words for a :class:`QuizProblem`."""
    return {
        "unknown-question": _("This question is not part of the quiz."),
        "bad-choice": you("That answer is not one of the options. Choose from the list."),
        "locked": you("You have already checked this answer, so it can no longer change."),
        "submitted": you("This attempt is finished. Your answers were saved."),
        "no-attempts-left": you("You have used every attempt at this quiz."),
        "conflict": you("The quiz was being opened in another tab. Reload the page."),
        "no-class": you("Open the quiz from your course in Moodle, so your answers are saved."),
    }.get(reason, _("Qadam could not save this answer."))


def _class_id() -> int:
    if g.actor.school_class_id is None:
        raise PlainProblem(400, problem_message("no-class"))
    return int(g.actor.school_class_id)


def _lesson_id(quiz: Quiz) -> str:
    """The resource a quiz's scores belong to: its lesson, as deep linking names the column."""
    lesson = catalog().lesson_of_quiz(quiz.id)
    return lesson.id if lesson else quiz.id


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.get("/<quiz_id>/")
@require_role(ActorRole.STUDENT, *STAFF)
def take(quiz_id: str) -> ResponseReturnValue:
    quiz = _quiz(quiz_id)
    if not quiz.graded:
        if g.actor.role is ActorRole.STUDENT:
            abort(404)
        return redirect(url_for("quizzes.class_check", quiz_id=quiz.id))
    if g.actor.role is not ActorRole.STUDENT:
        return redirect(url_for("quizzes.results", quiz_id=quiz.id))
    class_id = _class_id()
    attempts = quizzes.attempts_of(quiz.id, g.actor.person_id, class_id)
    if attempts and all(a.submitted_at is not None for a in attempts):
        return redirect(url_for("quizzes.result", quiz_id=quiz.id, attempt_id=attempts[-1].id))
    try:
        attempt = quizzes.open_attempt(
            quiz, g.actor.person_id, class_id, g.actor.resource_link_pk, lesson_id=_lesson_id(quiz)
        )
    except quizzes.QuizProblem as problem:
        raise PlainProblem(409, problem_message(problem.reason)) from problem
    state = quizzes.state_of(attempt)
    position = request.args.get("q", type=int)
    if position is None:
        position = attempt.position
    position = min(max(position, 0), len(quiz.questions) - 1)
    return render_template(
        "quizzes/take.html",
        quiz=quiz,
        lang=_lang(),
        state=state,
        position=position,
        one_per_screen=quiz.layout is QuizLayout.ONE_PER_SCREEN,
        lesson=catalog().lesson_of_quiz(quiz.id),
        form=QuizActionForm(),
        notice=problem_message(request.args["notice"]) if request.args.get("notice") else "",
    )


@bp.post("/<quiz_id>/again")
@require_role(ActorRole.STUDENT)
def again(quiz_id: str) -> ResponseReturnValue:
    quiz = _quiz(quiz_id)
    if not QuizActionForm().validate_on_submit():
        abort(400)
    try:
        quizzes.open_attempt(
            quiz,
            g.actor.person_id,
            _class_id(),
            g.actor.resource_link_pk,
            lesson_id=_lesson_id(quiz),
        )
    except quizzes.QuizProblem as problem:
        raise PlainProblem(409, problem_message(problem.reason)) from problem
    return redirect(url_for("quizzes.take", quiz_id=quiz.id, q=0), code=303)


@bp.post("/<quiz_id>/attempts/<int:attempt_id>/answer")
@require_role(ActorRole.STUDENT)
def answer(quiz_id: str, attempt_id: int) -> ResponseReturnValue:
    """Save answers: from the page's script on every change (JSON), or from the form.

    The form lists the questions it shows (``question``); each one's options are ``q-<id>``.
    ``action`` is save, next, previous, finish or ``check:<question id>``.
    """
    quiz = _quiz(quiz_id)
    action = request.form.get("action", "save")
    position = request.form.get("position", type=int)
    check_id = action.partition(":")[2] if action.startswith("check:") else None
    # Where the student goes next is stored with the answer, so a resumed attempt opens there.
    target = position or 0
    if action in ("next", "previous"):
        target = min(max(target + (1 if action == "next" else -1), 0), len(quiz.questions) - 1)
    points: dict[str, float | None] = {}
    try:
        for question_id in request.form.getlist("question")[: len(quiz.questions)]:
            choice = request.form.getlist(f"q-{question_id}")
            checking = question_id == check_id
            if checking and not choice:
                continue
            try:
                points[question_id] = quizzes.save_answer(
                    quiz,
                    attempt_id,
                    g.actor.person_id,
                    question_id,
                    choice,
                    check=checking,
                    position=target if position is not None else None,
                )
            except quizzes.AnswerLocked:
                if checking or _wants_json():
                    raise
    except quizzes.QuizProblem as problem:
        if _wants_json():
            return jsonify(error=problem.reason, message=problem_message(problem.reason)), 409
        return redirect(
            url_for("quizzes.take", quiz_id=quiz.id, q=position, notice=problem.reason), code=303
        )
    if _wants_json():
        return jsonify(saved=sorted(points), points=points)
    if action == "finish":
        return finish(quiz_id, attempt_id)
    if action in ("next", "previous") and not points:
        quizzes.move_to(attempt_id, g.actor.person_id, target)
    anchor = f"question-{check_id}" if check_id else None
    return redirect(url_for("quizzes.take", quiz_id=quiz.id, q=target, _anchor=anchor), code=303)


@bp.post("/<quiz_id>/attempts/<int:attempt_id>/finish")
@require_role(ActorRole.STUDENT)
def finish(quiz_id: str, attempt_id: int) -> ResponseReturnValue:
    quiz = _quiz(quiz_id)
    if not QuizActionForm().validate_on_submit():
        abort(400)
    try:
        quizzes.submit(
            quiz,
            attempt_id,
            g.actor.person_id,
            label=quizzes.quiz_label(quiz, _lang()),
            resource_id=_lesson_id(quiz),
            service_link_pk=g.actor.resource_link_pk,
        )
    except quizzes.QuizProblem as problem:
        raise PlainProblem(409, problem_message(problem.reason)) from problem
    worker = current_app.extensions.get("qadam_outbox_worker")
    if worker is not None:
        worker.wake()
    return redirect(url_for("quizzes.result", quiz_id=quiz.id, attempt_id=attempt_id), code=303)


@bp.get("/<quiz_id>/attempts/<int:attempt_id>/result")
@require_role(ActorRole.STUDENT)
def result(quiz_id: str, attempt_id: int) -> ResponseReturnValue:
    quiz = _quiz(quiz_id)
    attempt = quizzes.attempt_of(attempt_id, g.actor.person_id)
    if attempt is None or attempt.quiz_id != quiz.id:
        abort(404)
    if attempt.submitted_at is None:
        return redirect(url_for("quizzes.take", quiz_id=quiz.id))
    attempts = quizzes.attempts_of(quiz.id, g.actor.person_id, attempt.school_class_id)
    link = resource_links.link(attempt.resource_link_id)
    policy = effective_policy(quiz, link.counts if link else None)
    finished = [a for a in attempts if a.submitted_at is not None]
    return render_template(
        "quizzes/result.html",
        quiz=quiz,
        lang=_lang(),
        state=quizzes.state_of(attempt),
        counted=counted_score(policy, [a.score for a in attempts]),
        policy=policy.value,
        practice=bool(finished) and policy.value == "first" and finished[0].id != attempt.id,
        attempts_left=quizzes.attempts_left(quiz, attempts),
        grades_sent=bool(link and link.ags_scopes),
        lesson=catalog().lesson_of_quiz(quiz.id),
        form=QuizActionForm(),
    )


@bp.get("/<quiz_id>/results")
@require_role(*STAFF)
def results(quiz_id: str) -> ResponseReturnValue:
    quiz = _quiz(quiz_id)
    class_id = _class_id()
    roster, roster_problem = roster_service.class_roster(class_id)
    policy = _policy(quiz)
    found = quiz_results.class_results(quiz, class_id, roster, policy)
    lesson = catalog().lesson_of_quiz(quiz.id)
    return render_template(
        "quizzes/results.html",
        quiz=quiz,
        lang=_lang(),
        results=found,
        roster_problem=roster_problem,
        school_class=actors.class_for(class_id),
        lesson=lesson,
        grades_sent=quiz_results.class_has_gradebook(class_id, lesson.id if lesson else quiz.id),
        policy=policy.value,
    )


def _policy(quiz: Quiz) -> AttemptPolicy:
    """Which attempt counts for the activity the teacher opened (its custom parameter)."""
    link = resource_links.link(g.actor.resource_link_pk)
    return effective_policy(quiz, link.counts if link else None)


@bp.get("/<quiz_id>/results.csv")
@require_role(*STAFF)
def results_csv(quiz_id: str) -> ResponseReturnValue:
    quiz = _quiz(quiz_id)
    class_id = _class_id()
    roster, _problem = roster_service.class_roster(class_id)
    headers, rows = quiz_results.export_rows(
        quiz, quiz_results.class_results(quiz, class_id, roster, _policy(quiz))
    )
    return Response(
        table_files.csv_bytes(headers, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{quiz.id}-results.csv"'},
    )


@bp.get("/<quiz_id>/check")
@require_role(*STAFF)
def class_check(quiz_id: str) -> ResponseReturnValue:
    """A picture check the teacher runs with the whole class; nothing is recorded."""
    quiz = _quiz(quiz_id)
    return render_template(
        "quizzes/class_check.html",
        quiz=quiz,
        lang=_lang(),
        lesson=catalog().lesson_of_quiz(quiz.id),
    )


@bp.get("/media/<path:filename>")
@require_role(ActorRole.STUDENT, *STAFF)
def media(filename: str) -> ResponseReturnValue:
    folder = Path(current_app.config["QADAM_CONTENT_ROOT"]) / "quizzes" / "quiz" / "media"
    return send_from_directory(folder, filename, max_age=86400)


@bp.get("/<quiz_id>/status")
@require_role(ActorRole.STUDENT)
def status(quiz_id: str) -> ResponseReturnValue:
    """The saved answers of the open attempt, for the page's script after a reconnect."""
    quiz = _quiz(quiz_id)
    current = quizzes.unfinished_attempt(quiz.id, g.actor.person_id, _class_id())
    if current is None:
        return jsonify(attempt=None)
    state = quizzes.state_of(current)
    return jsonify(attempt=current.id, answers=state.choices, checked=sorted(state.checked))
