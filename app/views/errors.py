"""Every error answers with a page in plain words; never a stack trace."""

from __future__ import annotations

from contextlib import nullcontext, suppress

from flask import Flask, current_app, g, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from lti import LaunchError, LaunchProblem, RegistrationError

from ..auth import load_actor
from ..extensions import db
from ..i18n import normalize_locale, you
from ..problems import PlainProblem
from .lti_messages import launch_problem_message, registration_problem_message
from .lti_views import NoRoleForLaunch


def _page(title: str, message: str, status: int, **extra: object) -> ResponseReturnValue:
    _ensure_actor()
    return render_template(
        "errors/error.html", title=title, message=message, status=status, **extra
    ), status


def _ensure_actor() -> None:
    """Know who reads an error raised before the launch was read (a refused form token: the
    CSRF check runs first), so the page speaks to them in their register."""
    if "actor" not in g:
        load_actor()


def _http_message(code: int) -> tuple[str, str]:
    messages = {
        400: (
            _("Something in the request was wrong"),
            _("Qadam could not understand the request."),
        ),
        401: (
            you("Open Qadam from your course"),
            _(
                "Qadam does not know who you are yet. Open it from your Moodle course; if you "
                "were already working, your session has ended and opening it again continues."
            ),
        ),
        403: (you("Not available to you"), you("This page is not available for your role.")),
        404: (_("Page not found"), _("There is no page at this address.")),
        405: (
            you("Open Qadam from your course"),
            you("This address only works when Moodle opens Qadam. Go back to your course."),
        ),
        409: (_("Not possible now"), _("This cannot be done in the current state.")),
        413: (_("Too large"), you("What was sent is too large. Send something smaller.")),
    }
    return messages.get(
        code, (_("Something went wrong"), _("Qadam could not complete this request."))
    )


def handle_launch_error(error: LaunchError) -> ResponseReturnValue:
    current_app.logger.warning(
        "refused LTI request %s: %s (issuer %s)", request.path, error, error.issuer
    )
    locale = normalize_locale(error.locale)
    with force_locale(locale) if locale else nullcontext():
        title = (
            _("Open Qadam in a new window")
            if error.problem is LaunchProblem.COOKIES_BLOCKED
            else _("Qadam could not open")
        )
        return _page(
            title,
            launch_problem_message(error),
            error.status,
            retry_url=error.retry_url,
            problem=error.problem.value,
        )


def handle_registration_error(error: RegistrationError) -> ResponseReturnValue:
    current_app.logger.warning("registration refused: %s", error)
    return _page(
        _("Registration did not complete"),
        registration_problem_message(error),
        error.status,
        problem=error.problem.value,
    )


def handle_no_role(error: NoRoleForLaunch) -> ResponseReturnValue:
    current_app.logger.warning("launch with no usable role")
    with force_locale(error.locale):
        return _page(
            _("Not available to you"),
            _(
                "Qadam is for teachers, students and school coordinators, and Moodle did not say "
                "you are one of them in this course. Ask your teacher or Moodle administrator."
            ),
            403,
        )


def handle_csrf(error: CSRFError) -> ResponseReturnValue:
    _ensure_actor()
    return _page(
        _("The form has expired"),
        you("The page was open too long or your session ended. Reload the page and try again."),
        400,
    )


def handle_plain_problem(error: PlainProblem) -> ResponseReturnValue:
    return _page(_http_message(error.status)[0], error.message, error.status)


def handle_http(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    _ensure_actor()
    title, message = _http_message(code)
    return _page(title, message, code)


RETRY_AFTER_SECONDS = 30


def handle_database_error(error: SQLAlchemyError) -> ResponseReturnValue:
    """The database is unreachable or busy (a restart, a lost connection): try again soon."""
    if not isinstance(error, OperationalError | InterfaceError) and not getattr(
        error, "connection_invalidated", False
    ):
        return handle_unexpected(error)
    current_app.logger.warning("database unavailable on %s: %s", request.path, error)
    with suppress(SQLAlchemyError):  # the connection may be gone already
        db.session.remove()
    message = you(
        "Qadam cannot reach its database for a moment. Try again in a minute; "
        "answers you have already saved are kept."
    )
    if request.accept_mimetypes.best == "application/json":
        body: ResponseReturnValue = jsonify(error="unavailable", message=message), 503
    else:
        body = _page(_("Qadam is busy for a moment"), message, 503)
    response = make_response(body)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def handle_unexpected(error: Exception) -> ResponseReturnValue:
    current_app.logger.exception("unexpected error on %s", request.path)
    return _page(
        _("Something went wrong"),
        you(
            "Qadam hit an unexpected problem. Try again in a minute; if it keeps happening, "
            "tell your school's IT staff."
        ),
        500,
    )


def init_app(app: Flask) -> None:
    app.register_error_handler(LaunchError, handle_launch_error)
    app.register_error_handler(RegistrationError, handle_registration_error)
    app.register_error_handler(NoRoleForLaunch, handle_no_role)
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(PlainProblem, handle_plain_problem)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(SQLAlchemyError, handle_database_error)
    app.register_error_handler(Exception, handle_unexpected)
