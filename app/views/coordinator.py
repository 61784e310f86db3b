"""Coordinator rights in Qadam: staff enter a one-time code; coordinators make codes."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ..auth import change_role, require_role
from ..forms import CoordinatorCodeForm, NewCoordinatorCodeForm
from ..services import actors, coordinators
from ..services.actors import ActorRole

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")


@bp.route("/code", methods=["GET", "POST"])
@require_role(ActorRole.TEACHER, ActorRole.COORDINATOR)
def enter_code() -> ResponseReturnValue:
    form = CoordinatorCodeForm()
    error = None
    if form.is_submitted():
        if not form.validate():
            error = _("Enter the code exactly as you were given it (12 letters and digits).")
        else:
            try:
                coordinators.redeem_code(form.code.data, g.actor.person_id, g.actor.platform_id)
            except coordinators.CodeRefused as refused:
                error = (
                    _("Too many wrong codes. Wait an hour, then try again.")
                    if refused.reason == "too-many-tries"
                    else _(
                        "This code is not valid here: it may be mistyped, already used, "
                        "expired, or made for another Moodle site."
                    )
                )
            else:
                change_role(ActorRole.COORDINATOR)
                return redirect(url_for("home.coordinator"), code=303)
    return render_template("home/coordinator_code.html", form=form, error=error), (
        400 if error else 200
    )


@bp.post("/codes")
@require_role(ActorRole.COORDINATOR)
def new_code() -> ResponseReturnValue:
    form = NewCoordinatorCodeForm()
    if not form.validate_on_submit():
        return redirect(url_for("home.coordinator"), code=303)
    code = coordinators.make_code(
        g.actor.platform_id,
        safeguarding=bool(form.safeguarding.data),
        granted_by=f"coordinator:{g.actor.person_id}",
    )
    return render_template(
        "home/coordinator.html",
        school_class=actors.class_for(g.actor.school_class_id),
        overview=actors.platform_classes(g.actor.platform_id),
        code_form=NewCoordinatorCodeForm(formdata=None),
        new_code=code,
        code_hours=coordinators.DEFAULT_CODE_HOURS,
    )
