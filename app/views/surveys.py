"""Class surveys: students answer anonymously, teachers run the class window, coordinators
set up waves. Every page that shows answers in progress is ``no-store``; nothing here logs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from ..auth import require_role
from ..content.survey_schema import AgeGroup, Survey
from ..content_catalog import catalog
from ..forms import SurveyActionForm, WaveForm
from ..i18n import you
from ..models import SchoolClass
from ..models.base import utc_today
from ..models.survey import SurveyWave, SurveyWindow
from ..problems import PlainProblem
from ..result_labels import (
    REPORTED_AS,
    change_text,
    chart_words,
    status_message,
    trend_chart_words,
)
from ..services import (
    actors,
    class_overview,
    delivery,
    result_charts,
    roster,
    schools,
    survey_results,
    surveys,
)
from ..services.actors import ActorRole
from .coordinator import coordinator_school

bp = Blueprint("surveys", __name__, url_prefix="/surveys")
STAFF = (ActorRole.TEACHER, ActorRole.COORDINATOR)
Read = TypeVar("Read")


def problem_message(reason: str) -> str:
    return {
        "bad-code": _("A wave's name is a year and a word, such as 2026-autumn."),
        "bad-dates": _("The wave must end on or after the day it starts."),
        "bad-consent": _("Choose how parents are asked: informed with opt-out, or active consent."),
        "bad-instrument": _("There is no survey for this age group."),
        "wave-exists": _("This school already has a wave with that name."),
        "wave-not-open": _("This wave is not open today."),
        "not-this-school": _("This class belongs to another school."),
        "bad-age-group": _("Choose the age group of this class."),
        "window-exists": _("The survey has already been started in this class."),
        "window-closed": _("This survey is closed."),
        "bad-answer": _("One of the answers is not an option of its question."),
        "already-taken-part": you(
            "You have already taken part in this survey. Thank you! Nothing more is needed."
        ),
    }.get(reason, _("This cannot be done now."))


def _secret() -> bytes:
    return str(current_app.config["QADAM_SURVEY_SECRET"]).encode()


def _survey(window: SurveyWindow) -> Survey:
    survey = catalog().survey(window.survey_id)
    if survey is None:
        abort(404)
    return survey


def _my_window(window_id: int) -> SurveyWindow:
    """A window of the launched class; any other is a 404, never a hint that it exists."""
    window = surveys.window_of_class(window_id, g.actor.school_class_id)
    if window is None:
        abort(404)
    return window


def _no_store(response: ResponseReturnValue) -> ResponseReturnValue:
    rendered = current_app.make_response(response)
    rendered.headers["Cache-Control"] = "no-store"
    return rendered


def survey_page(actor: actors.Actor) -> str:
    """Where a survey activity leads: a student to the class's open survey (or their page),
    a teacher to the class survey page, a coordinator to the waves."""
    if actor.role is ActorRole.COORDINATOR:
        return url_for("surveys.waves")
    if actor.role is ActorRole.TEACHER:
        return url_for("surveys.class_page")
    if actor.school_class_id is not None:
        for window, _wave in surveys.windows_of_class(actor.school_class_id):
            if window.status == surveys.OPEN and surveys.for_students(catalog(), window):
                return url_for("surveys.take", window_id=window.id)
    return url_for("home.student")


# -- taking part ----------------------------------------------------------------------------


@bp.get("/<int:window_id>/")
@require_role(ActorRole.STUDENT, *STAFF)
def take(window_id: int) -> ResponseReturnValue:
    window = _my_window(window_id)
    survey = _survey(window)
    if not surveys.respondent_is(survey, g.actor.role.value):
        abort(403)
    done = surveys.has_taken_part(_secret(), actors.sub_of(g.actor.person_id), window.id)
    if done or window.status != surveys.OPEN:
        return redirect(url_for("surveys.help_screen", window_id=window.id), code=303)
    return _no_store(
        render_template(
            "surveys/take.html",
            survey=survey,
            window=window,
            lang=str(get_locale()),
            form=SurveyActionForm(),
        )
    )


def _my_target(window_id: int) -> surveys.Target:
    """The launched class's window and the person, in one statement; another is a 404."""
    target = surveys.submission_target(window_id, g.actor.school_class_id, g.actor.person_id)
    if target is None:
        abort(404)
    return target


@bp.post("/<int:window_id>/answers")
@require_role(ActorRole.STUDENT, *STAFF)
def answers(window_id: int) -> ResponseReturnValue:
    with surveys.one_connection():
        target = _my_target(window_id)
        survey = catalog().survey(target.survey_id)
        if survey is None:
            abort(404)
        if not surveys.respondent_is(survey, g.actor.role.value):
            abort(403)
        # The CSRF token was checked for every POST before this view (CSRFProtect).
        raw = {item.id: request.form.get(f"a-{item.id}", "") for item in survey.items}
        try:
            surveys.submit(target, survey, _secret(), raw)
        except surveys.SurveyProblem as problem:
            if problem.reason != "already-taken-part":
                status = 409 if problem.reason == "window-closed" else 400
                raise PlainProblem(status, problem_message(problem.reason)) from problem
    return redirect(url_for("surveys.help_screen", window_id=window_id, done=1), code=303)


@bp.post("/<int:window_id>/decline")
@require_role(ActorRole.STUDENT, *STAFF)
def decline(window_id: int) -> ResponseReturnValue:
    with surveys.one_connection():
        target = _my_target(window_id)
        try:
            surveys.decline(target, _secret())
        except surveys.SurveyProblem as problem:
            if problem.reason != "already-taken-part":
                raise PlainProblem(409, problem_message(problem.reason)) from problem
    return redirect(url_for("surveys.help_screen", window_id=window_id, done=1), code=303)


@bp.get("/<int:window_id>/help")
@require_role(ActorRole.STUDENT, *STAFF)
def help_screen(window_id: int) -> ResponseReturnValue:
    """The same screen for everyone, whether they answered, declined or came back later."""
    window = _my_window(window_id)
    return _no_store(render_template("surveys/help.html", window=window))


# -- the class teacher ----------------------------------------------------------------------


def _my_class() -> SchoolClass:
    school_class = actors.class_for(g.actor.school_class_id)
    if school_class is None:
        raise PlainProblem(400, _("Open Qadam from your class's Moodle course."))
    return school_class


def class_size(school_class_id: int) -> int | None:
    """How many students the class has: Moodle's roster when it shares one."""
    found, _failed = roster.class_roster(school_class_id)
    return len(found) if found is not None else None


@bp.get("/class")
@require_role(*STAFF)
def class_page() -> ResponseReturnValue:
    school_class = _my_class()
    today = utc_today()
    waves = surveys.waves_of(school_class.school_id) if school_class.school_id else []
    windows = {
        window.wave_id: window for window, _wave in surveys.windows_of_class(school_class.id)
    }
    counts = {window.id: surveys.participation(window.id) for window in windows.values()}
    return render_template(
        "surveys/class.html",
        school_class=school_class,
        waves=waves,
        windows=windows,
        counts=counts,
        size=class_size(school_class.id) if windows else None,
        age_groups=surveys.age_groups_for(school_class),
        today=today,
        form=SurveyActionForm(),
        is_live=surveys.is_live,
        catalog=catalog(),
        lang=str(get_locale()),
        pairs=survey_results.class_trend_pairs(school_class.id),
    )


@bp.post("/waves/<int:wave_id>/start")
@require_role(*STAFF)
def start_window(wave_id: int) -> ResponseReturnValue:
    school_class = _my_class()
    wave = surveys.wave_of_school(wave_id, school_class.school_id)
    if wave is None:
        abort(404)
    if not SurveyActionForm().validate_on_submit():
        abort(400)
    groups = surveys.age_groups_for(school_class)
    age_group = request.form.get("age_group") or (groups[0].value if len(groups) == 1 else "")
    try:
        surveys.open_window(
            wave, school_class, age_group, catalog(), utc_today(), class_size(school_class.id)
        )
    except surveys.SurveyProblem as problem:
        raise PlainProblem(409, problem_message(problem.reason)) from problem
    return redirect(url_for("surveys.class_page"), code=303)


@bp.post("/windows/<int:window_id>/close")
@require_role(*STAFF)
def close_window(window_id: int) -> ResponseReturnValue:
    window = _my_window(window_id)
    if not SurveyActionForm().validate_on_submit():
        abort(400)
    surveys.close_window(window, utc_today(), class_size(window.school_class_id))
    return redirect(url_for("surveys.class_page"), code=303)


# -- the school coordinator -----------------------------------------------------------------


def coordinator_school_id() -> int:
    school_id = coordinator_school()
    if school_id is None:
        raise PlainProblem(400, _("Open Qadam from a course of your school."))
    return int(school_id)


@bp.route("/waves", methods=["GET", "POST"])
@require_role(ActorRole.COORDINATOR)
def waves() -> ResponseReturnValue:
    school_id = coordinator_school_id()
    form = WaveForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            error = _("Check the wave's name, dates and consent mode.")
        else:
            try:
                surveys.open_wave(
                    school_id,
                    form.code.data,
                    form.opens_on.data,
                    form.closes_on.data,
                    form.consent.data,
                    surveys.default_instruments(catalog()),
                    catalog(),
                )
            except surveys.SurveyProblem as problem:
                error = problem_message(problem.reason)
            else:
                return redirect(url_for("surveys.waves"), code=303)
    listed = surveys.waves_of(school_id)
    overview = {wave.id: surveys.wave_overview(wave.id) for wave in listed}
    return render_template(
        "surveys/waves.html",
        school=schools.school(school_id),
        waves=listed,
        overview=overview,
        form=form,
        action_form=SurveyActionForm(),
        instruments=surveys.default_instruments(catalog()),
        catalog=catalog(),
        age_groups=list(AgeGroup),
        pairs=survey_results.school_trend_pairs(school_id),
        error=error,
        lang=str(get_locale()),
    ), (400 if error else 200)


@bp.post("/waves/<int:wave_id>/close")
@require_role(ActorRole.COORDINATOR)
def close_wave(wave_id: int) -> ResponseReturnValue:
    wave: SurveyWave | None = surveys.wave_of_school(wave_id, coordinator_school_id())
    if wave is None:
        abort(404)
    if not SurveyActionForm().validate_on_submit():
        abort(400)
    reporting = delivery.reporting_endpoint(current_app.config)
    surveys.close_wave(wave, utc_today(), catalog(), deliver=reporting is not None)
    return redirect(url_for("surveys.waves"), code=303)


# -- results of closed waves ----------------------------------------------------------------


def read_results(read: Callable[[], Read]) -> Read:
    """What ``read()`` returns, or a plain refusal: 404, or 409 for an open wave or results
    that the recoverability check blocks (pages and exports alike)."""
    try:
        return read()
    except survey_results.ResultsProblem as problem:
        if problem.reason == "not-found":
            abort(404)
        if problem.reason == "wave-open":
            raise PlainProblem(409, _("Results are shown only after the wave closes.")) from None
        raise PlainProblem(409, _("These results cannot be shown now.")) from None
    except survey_results.NotPublishable:
        raise PlainProblem(
            409, _("These results cannot be shown: a hidden number could be worked out from them.")
        ) from None


def _pairs_with(
    wave_id: int, pairs: list[tuple[SurveyWave, SurveyWave]]
) -> list[tuple[SurveyWave, SurveyWave]]:
    return [pair for pair in pairs if wave_id in (pair[0].id, pair[1].id)]


def unit_chart(unit: survey_results.UnitResults) -> Markup:
    """The unit's bar chart (its numbers are in the table beside it)."""
    chart = result_charts.unit_chart(unit, str(get_locale()), chart_words(unit.name))
    svg = result_charts.svg(chart, f"chart-{unit.level}-{unit.unit_id}")
    return Markup(svg)  # noqa: S704 (result_charts escapes every text it writes)


def trend_chart(unit: survey_results.Trend) -> Markup:
    """The unit's autumn and spring bars (their numbers are in the table beside them)."""
    chart = result_charts.trend_chart(unit, str(get_locale()), trend_chart_words(unit.name))
    svg = result_charts.svg(chart, f"trend-{unit.level}-{unit.unit_id}")
    return Markup(svg)  # noqa: S704 (result_charts escapes every text it writes)


def results_page(
    read: Callable[[], survey_results.WaveResults | survey_results.UnitResults],
    eyebrow: str,
    exports: int | None = None,
    pairs: list[tuple[SurveyWave, SurveyWave]] | None = None,
    trend_endpoint: str = "surveys.school_trend",
    back: str | None = None,
) -> ResponseReturnValue:
    """Render what ``read()`` returns, or say plainly why there is nothing to show; with
    links to the autumn-to-spring ``pairs`` the wave is in. A whole wave shows the school in
    full and its classes as one table of links (``school_classes``), light for any school."""
    found = read_results(read)
    classes = None
    if isinstance(found, survey_results.WaveResults):
        units = [found.school]
        classes = class_overview.class_rows(found)
    else:
        units = [found]
    return _no_store(
        render_template(
            "surveys/results.html",
            units=units,
            classes=classes,
            back=back,
            eyebrow=eyebrow,
            exports=exports,
            status_message=status_message,
            reported_as=REPORTED_AS,
            chart=unit_chart,
            pairs=pairs or [],
            trend_endpoint=trend_endpoint,
        )
    )


@bp.get("/waves/<int:wave_id>/results")
@require_role(ActorRole.COORDINATOR)
def wave_results(wave_id: int) -> ResponseReturnValue:
    """A school coordinator's results of a closed wave: the school and every class."""
    school_id = coordinator_school_id()
    school = schools.school(school_id)
    return results_page(
        lambda: survey_results.wave_results(wave_id, school_id=school_id, catalog=catalog()),
        school.name if school else "",
        exports=wave_id,
        pairs=_pairs_with(wave_id, survey_results.school_trend_pairs(school_id)),
    )


@bp.get("/class/results/<int:wave_id>")
@require_role(ActorRole.TEACHER)
def class_results(wave_id: int) -> ResponseReturnValue:
    """A teacher's results of their own class in a closed wave."""
    school_class = _my_class()
    return results_page(
        lambda: survey_results.class_results(wave_id, class_id=school_class.id, catalog=catalog()),
        school_class.title,
        pairs=_pairs_with(wave_id, survey_results.class_trend_pairs(school_class.id)),
        trend_endpoint="surveys.class_trend",
    )


# -- autumn to spring -----------------------------------------------------------------------


def trend_page(
    units: list[survey_results.Trend],
    eyebrow: str,
    autumn: survey_results.WaveResults | SurveyWave,
    spring: survey_results.WaveResults | SurveyWave,
    exports: tuple[int, int] | None = None,
    classes: list[class_overview.TrendClassRow] | None = None,
    back: str | None = None,
) -> ResponseReturnValue:
    return _no_store(
        render_template(
            "surveys/trend.html",
            units=units,
            classes=classes,
            back=back,
            eyebrow=eyebrow,
            autumn_code=_code(autumn),
            spring_code=_code(spring),
            exports=exports,
            status_message=status_message,
            change_text=change_text,
            chart=trend_chart,
        )
    )


def _code(wave: survey_results.WaveResults | SurveyWave) -> str:
    return wave.wave_code if isinstance(wave, survey_results.WaveResults) else wave.code


@bp.get("/trends/<int:autumn_id>/<int:spring_id>")
@require_role(ActorRole.COORDINATOR)
def school_trend(autumn_id: int, spring_id: int) -> ResponseReturnValue:
    """A school coordinator's autumn → spring: the school and every class in both waves."""
    school_id = coordinator_school_id()
    school = schools.school(school_id)
    found = read_results(
        lambda: survey_results.school_trends(
            autumn_id, spring_id, school_id=school_id, catalog=catalog()
        )
    )
    return trend_page(
        [found.school],
        school.name if school else "",
        found.autumn,
        found.spring,
        exports=(autumn_id, spring_id),
        classes=class_overview.trend_class_rows(found),
    )


@bp.get("/class/trends/<int:autumn_id>/<int:spring_id>")
@require_role(ActorRole.TEACHER)
def class_trend(autumn_id: int, spring_id: int) -> ResponseReturnValue:
    """A teacher's autumn → spring of their own class."""
    school_class = _my_class()
    found = read_results(
        lambda: survey_results.class_trend(
            autumn_id, spring_id, class_id=school_class.id, catalog=catalog()
        )
    )
    pair = next(
        (
            p
            for p in survey_results.class_trend_pairs(school_class.id)
            if (p[0].id, p[1].id) == (autumn_id, spring_id)
        ),
        None,
    )
    if pair is None:
        abort(404)
    return trend_page([found], school_class.title, pair[0], pair[1])
