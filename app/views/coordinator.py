"""Coordinator rights in Qadam: staff enter a one-time code; coordinators make codes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _

from ..auth import become_coordinator, require_role
from ..forms import CoordinatorCodeForm, NewCoordinatorCodeForm, SchoolNameForm
from ..problems import PlainProblem
from ..services import areas, coordinators, schools, talk
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
                grant = coordinators.redeem_code(
                    form.code.data, g.actor.person_id, g.actor.platform_id
                )
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
                if grant.area_code is not None:
                    become_coordinator(None, safeguarding=False, area_code=grant.area_code)
                    return redirect(url_for("areas.area"), code=303)
                become_coordinator(grant.school_id or 0, safeguarding=grant.safeguarding)
                return redirect(url_for("home.coordinator"), code=303)
    return render_template("home/coordinator_code.html", form=form, error=error), (
        400 if error else 200
    )


def coordinator_school() -> int | None:
    """The school the coordinator acts for: their grant's, or (a site administrator) the
    school of the class they launched from. An area coordinator has none: refused plainly."""
    actor = g.actor
    if actor.coordinator_area is not None:
        raise PlainProblem(
            403,
            _("As an area coordinator you see the schools of your area, not a school's pages."),
        )
    return actor.school_id if actor.site_wide else actor.coordinator_school_id


@bp.post("/codes")
@require_role(ActorRole.COORDINATOR)
def new_code() -> ResponseReturnValue:
    form = NewCoordinatorCodeForm()
    school_id = coordinator_school()
    if not form.validate_on_submit() or school_id is None:
        raise PlainProblem(
            400,
            _("Open Qadam from a course of your school to make a code for a colleague there."),
        )
    if form.safeguarding.data and not _may_designate():
        raise PlainProblem(
            403,
            _(
                "Only designated safeguarding staff or a site administrator can make a code "
                "for designated safeguarding staff: they see children's requests to talk."
            ),
        )
    code = coordinators.make_code(
        g.actor.platform_id,
        school_id,
        safeguarding=bool(form.safeguarding.data),
        granted_by=f"coordinator:{g.actor.person_id}",
    )
    return render_template(
        "home/coordinator.html",
        **coordinator_page(),
        new_code=code,
        code_hours=coordinators.DEFAULT_CODE_HOURS,
    )


def _may_designate() -> bool:
    """Whether this coordinator may make codes for designated safeguarding staff: a plain
    school coordinator could otherwise redeem such a code and read children's requests."""
    return g.actor.site_wide or talk.designated_school(g.actor.person_id) is not None


@bp.post("/school-name")
@require_role(ActorRole.COORDINATOR)
def rename_school() -> ResponseReturnValue:
    form = SchoolNameForm()
    school_id = coordinator_school()
    if not form.validate_on_submit() or school_id is None:
        raise PlainProblem(400, _("Give the school a name of at most 255 characters."))
    schools.rename(school_id, form.name.data)
    return redirect(url_for("home.coordinator"), code=303)


def coordinator_page() -> dict[str, Any]:
    """What the coordinator page shows: the school's classes (a site administrator: every
    class of the site, by school)."""
    actor = g.actor
    school_id = coordinator_school()
    school = schools.school(school_id)
    designated = talk.designated_school(actor.person_id)
    return {
        "school": school,
        "site_wide": actor.site_wide,
        "overview": (
            schools.classes_overview(platform_id=actor.platform_id)
            if actor.site_wide
            else schools.classes_overview(school_id=school_id)
            if school_id is not None
            else []
        ),
        # Where the school is (KATO), read-only: the operator maps it.
        "school_area": areas.school_area(school, str(get_locale() or "en")),
        "all_schools": schools.list_schools(actor.platform_id) if actor.site_wide else [],
        "code_form": NewCoordinatorCodeForm(formdata=None),
        "name_form": SchoolNameForm(formdata=None, name=school.name if school else ""),
        # New requests to talk: for designated safeguarding staff only (None for others).
        "talk_waiting": talk.new_count(designated) if designated is not None else None,
        "may_designate": actor.site_wide or designated is not None,
    }
