"""Talk to someone: the child's request page, and the designated staff's queue."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..auth import require_role
from ..i18n import you
from ..models.base import utc_today
from ..problems import PlainProblem
from ..services import talk, talk_mail
from ..services.actors import ActorRole
from ..talk_forms import (
    CATEGORY_LABELS,
    STATUS_LABELS,
    URGENCY_LABELS,
    WHOM_LABELS,
    TalkRequestForm,
    TalkUpdateForm,
)

bp = Blueprint("talk", __name__, url_prefix="/talk")


@bp.after_request
def _not_kept(response: Response) -> Response:
    # A shared classroom computer must not keep a child's request or the staff's queue.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/danger")
def danger() -> ResponseReturnValue:
    """The emergency numbers at once; nothing is queued or recorded."""
    return render_template("talk/danger.html")


@bp.route("/", methods=["GET", "POST"])
@require_role(ActorRole.STUDENT)
def ask() -> ResponseReturnValue:
    actor = g.actor
    if actor.school_class_id is None or actor.school_id is None:
        raise PlainProblem(
            400,
            you("Open Qadam from your class's course in Moodle to ask to talk to someone."),
        )
    known_name = talk.shared_name(actor.school_class_id, actor.person_id)
    form = TalkRequestForm()
    error = None
    if request.method == "POST":
        typed = None if known_name else (form.name.data or "").strip()
        if not form.validate():
            error = you("Choose who you want to talk to, then send again.")
        elif typed == "":
            error = you("Write your name, so that the adult knows whom to come to.")
        else:
            try:
                talk.create_request(
                    school_class_id=actor.school_class_id,
                    person_id=actor.person_id,
                    typed_name=typed,
                    whom=form.whom.data,
                    category=form.category.data,
                    urgency=form.urgency.data,
                    today=utc_today(),
                )
            except talk.TooManyRequests:
                return render_template("talk/too_many.html"), 429
            except ValueError:
                error = you("Choose who you want to talk to, then send again.")
            else:
                _notify_staff()
                return redirect(url_for("talk.sent", when=form.urgency.data), code=303)
    return render_template(
        "talk/ask.html",
        form=form,
        known_name=known_name,
        error=error,
        retention_days=current_app.config["QADAM_TALK_RETENTION_DAYS"],
        whom_labels=WHOM_LABELS,
        category_labels=CATEGORY_LABELS,
        urgency_labels=URGENCY_LABELS,
    ), (400 if error else 200)


@bp.get("/sent")
@require_role(ActorRole.STUDENT)
def sent() -> ResponseReturnValue:
    return render_template("talk/sent.html", today=request.args.get("when") == "today")


def _notify_staff() -> None:
    """E-mail the configured address that a request is waiting (nothing more), if set."""
    settings = talk_mail.MailSettings.from_config(current_app.config)
    if settings is None:
        return
    subjects, lines = [], []
    for lang in current_app.config["LANGUAGES"]:
        with force_locale(lang):
            subjects.append(_("Qadam: a request to talk is waiting"))
            lines.append(
                _(
                    "A child has asked to talk to someone at school. Open Qadam from Moodle "
                    "to see the request."
                )
            )
    talk_mail.notify_in_background(settings, " / ".join(subjects), "\n\n".join(lines) + "\n")


def _designated_school() -> int:
    school_id = talk.designated_school(g.actor.person_id)
    if school_id is None:
        abort(403)
    return school_id


@bp.get("/requests")
@require_role(ActorRole.COORDINATOR)
def queue() -> ResponseReturnValue:
    school_id = _designated_school()
    retention_days = current_app.config["QADAM_TALK_RETENTION_DAYS"]
    talk.sweep(utc_today(), retention_days)
    rows, roster_failed = talk.queue(school_id)
    return render_template(
        "talk/queue.html",
        rows=rows,
        roster_failed=roster_failed,
        retention_days=retention_days,
        form=TalkUpdateForm(formdata=None),
        whom_labels=WHOM_LABELS,
        category_labels=CATEGORY_LABELS,
        urgency_labels=URGENCY_LABELS,
        status_labels=STATUS_LABELS,
        note_max=talk.NOTE_MAX,
    )


@bp.post("/requests/<int:request_id>")
@require_role(ActorRole.COORDINATOR)
def update(request_id: int) -> ResponseReturnValue:
    school_id = _designated_school()
    form = TalkUpdateForm()
    if not form.validate_on_submit():
        raise PlainProblem(
            400, _("Choose a status and keep the note to %(max)s characters.", max=talk.NOTE_MAX)
        )
    try:
        talk.update_request(
            request_id, school_id, form.status.data, form.note.data or "", utc_today()
        )
    except talk.NotInSchool:
        abort(404)
    return redirect(url_for("talk.queue", _anchor=f"request-{request_id}"), code=303)
