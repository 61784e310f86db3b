"""LTI endpoints: login initiation, launch, the tool's JWKS, dynamic registration."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

import lti
from lti import LaunchError, LaunchProblem, MessageType, RegistrationError, RegistrationProblem

from ..auth import remember_actor
from ..content.schema import Lesson
from ..content_catalog import catalog
from ..extensions import csrf
from ..forms import ConfirmRegistrationForm
from ..i18n import FALLBACK, normalize_locale
from ..lti_tool import login_states, storage, tool_conf, tool_description, tool_url
from ..models import Platform
from ..security import allow_frame_ancestor
from ..services import actors, registration_invites, report_packages, tool_keys
from ..services.lti_store import DatabaseKeyValueStore
from ..services.platforms import (
    IfRegistered,
    PlatformExists,
    PlatformInputError,
    PlatformSpec,
    save_platform,
)
from .home import LESSON_PARAM, PAGE_PARAM, SURVEY_PAGE
from .surveys import survey_page

bp = Blueprint("lti", __name__)
# The custom launch parameters Qadam reads; no other custom value is kept.
LAUNCH_CUSTOM_PARAMS = frozenset({LESSON_PARAM})

START_PAGES = {
    actors.ActorRole.TEACHER: "home.teacher",
    actors.ActorRole.STUDENT: "home.student",
    actors.ActorRole.COORDINATOR: "home.coordinator",
}
PENDING_REGISTRATION_TTL = 3600
# Apart from registration_invites.KEY_PREFIX: a form field never names an invitation's key.
PENDING_PREFIX = "registration-pending-"


class NoRoleForLaunch(Exception):
    """The launch carried no role Qadam acts on."""

    def __init__(self, locale: str) -> None:
        super().__init__("no usable role")
        self.locale = locale


@bp.route("/lti/login", methods=["GET", "POST"])
@csrf.exempt
def login() -> ResponseReturnValue:
    # Only a secure page inside a frame can lose its cookies; check there, before the redirect.
    in_frame = request.headers.get("Sec-Fetch-Dest") == "iframe" and request.is_secure
    # Nothing is written: the login's nonce and parameters travel in its signed state.
    return lti.oidc_login(
        tool_conf(),
        login_states(),
        launch_url=tool_url("lti.launch"),
        check_cookies=in_frame,
        cookie_texts=(
            {
                "main_msg": _(
                    "Your browser does not let Qadam keep you signed in inside this page."
                ),
                "click_msg": _("Open Qadam in a new window"),
                "loading_msg": _("Loading…"),
            }
            if in_frame
            else None
        ),
    )


@bp.route("/lti/launch", methods=["POST"])
@csrf.exempt
def launch() -> ResponseReturnValue:
    with DatabaseKeyValueStore.transaction() as store:
        validated, role, locale, lesson, actor = _check_and_record(store)
    remember_actor(actor, locale)
    # One line per launch is noise at INFO on a school's busiest request (QADAM_LOG_LEVEL).
    current_app.logger.debug(
        "launch %s: %s as %s in class %s",
        validated.message_type,
        actor.person_id,
        actor.role,
        actor.school_class_id,
    )
    if validated.message_type == MessageType.DEEP_LINKING:
        if role is actors.ActorRole.STUDENT:
            abort(403)
        response = redirect(url_for("home.add_to_course"), code=303)
        lti.forget_login_state(response, request.form.get("state"), secure=request.is_secure)
        return response
    if lesson is not None:
        page = "lessons.student" if role is actors.ActorRole.STUDENT else "lessons.show"
        response = redirect(url_for(page, lesson_id=lesson.id), code=303)
    elif validated.custom.get(PAGE_PARAM) == SURVEY_PAGE:
        response = redirect(survey_page(actor), code=303)
    else:
        response = redirect(url_for(START_PAGES[actor.role]), code=303)
    lti.forget_login_state(response, request.form.get("state"), secure=request.is_secure)
    return response


def _check_and_record(
    store: DatabaseKeyValueStore,
) -> tuple[lti.Launch, actors.ActorRole, str, Lesson | None, actors.Actor]:
    """Validate the launch and record it, all on the store's connection.

    The nonce taken, the launch saved and the login state dropped are committed with the
    launch's record; a refused launch commits them at once (the nonce stays used).
    """
    try:
        validated = lti.validate_launch(
            tool_conf(),
            storage(store),
            login_states(),
            login_url=tool_url("lti.login"),
            leeway=current_app.config["QADAM_LTI_LEEWAY"],
            launch_lifetime=current_app.config["QADAM_LAUNCH_LIFETIME"],
            custom_params=LAUNCH_CUSTOM_PARAMS,
        )
    except LaunchError:
        store.commit()
        raise
    locale = normalize_locale(validated.locale) or FALLBACK
    role = actors.classify_roles(validated.roles)
    if role is None:
        store.commit()  # the refused launch still uses up its login state and nonce
        raise NoRoleForLaunch(locale)
    lesson_id = validated.custom.get(LESSON_PARAM, "")
    lesson = catalog().get(lesson_id) if lesson_id else None
    try:
        actor = actors.record_launch(
            validated,
            role,
            lesson.id if lesson else None,
            school_param=validated.custom.get(current_app.config["QADAM_SCHOOL_PARAM"]),
            connection=store.connection,
        )
    except actors.UnknownRegistration as exc:
        # The platform or deployment was removed while the launch was under way.
        raise LaunchError(LaunchProblem.UNKNOWN_DEPLOYMENT, str(exc), locale=locale) from exc
    return validated, role, locale, lesson, actor


@bp.get("/lti/jwks")
def jwks() -> ResponseReturnValue:
    tool_keys.ensure_key(lti.generate_signing_key)
    report_packages.ensure_key()
    # The LTI keys (RS256) and the package manifest keys (ES256), each under its own kid.
    response = jsonify(lti.key_set(tool_keys.published_jwks() + report_packages.published_jwks()))
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


def _let_platform_frame(config_url: str) -> None:
    """Let the Moodle named by a well-formed configuration URL frame this response.

    Moodle shows registration in a frame; without this even the page explaining a refusal
    would be blocked there. Only the registration routes call this, and nothing is fetched.
    """
    try:
        where = lti.check_configuration_url(config_url)
    except RegistrationError:
        return
    allow_frame_ancestor(where.origin)


@bp.route("/lti/register", methods=["GET", "POST"])
@csrf.exempt
def register_without_invite() -> ResponseReturnValue:
    # Registration needs an invitation from Qadam's operator; nothing is fetched without one.
    _let_platform_frame(request.args.get("openid_configuration", "").strip())
    raise RegistrationError(RegistrationProblem.INVITATION_REQUIRED, "no invitation in the URL")


def _open_invite(token: str) -> registration_invites.Invite:
    invite = registration_invites.find_invite(token)
    if invite is None:
        raise RegistrationError(RegistrationProblem.INVITATION_INVALID, "unknown or used invite")
    return invite


def _check_allowed_host(host: str) -> None:
    allowed = current_app.config["QADAM_REGISTRATION_ALLOWED_HOSTS"]
    if allowed and host not in allowed:
        raise RegistrationError(RegistrationProblem.HOST_NOT_ALLOWED, host, host=host)


def _fetch_configuration(config_url: str) -> lti.PlatformConfiguration:
    """Check the URL (before any request), then read and check the configuration it serves."""
    _check_allowed_host(lti.check_configuration_url(config_url).host)
    platform = lti.fetch_platform_configuration(config_url)
    _check_allowed_host(lti.check_configuration_url(platform.issuer).host)
    return platform


@bp.get("/lti/register/<token>")
def register_start(token: str) -> ResponseReturnValue:
    config_url = request.args.get("openid_configuration", "").strip()
    _let_platform_frame(config_url)
    invite = _open_invite(token)
    if not config_url:
        raise RegistrationError(RegistrationProblem.NOT_FROM_PLATFORM, "no openid_configuration")
    platform = _fetch_configuration(config_url)
    pending_id = secrets.token_urlsafe(24)
    DatabaseKeyValueStore().set(
        PENDING_PREFIX + pending_id,
        {
            "url": config_url,
            "token": request.args.get("registration_token"),
            "invite": invite.digest,
        },
        PENDING_REGISTRATION_TTL,
    )
    form = ConfirmRegistrationForm(pending=pending_id)
    return render_template(
        "lti/register_confirm.html",
        platform=platform,
        tool=tool_description(),
        form=form,
        invite=invite,
        token=token,
    )


@bp.post("/lti/register/<token>")
def register_confirm(token: str) -> ResponseReturnValue:
    form = ConfirmRegistrationForm()
    store = DatabaseKeyValueStore()
    pending_key = PENDING_PREFIX + str(form.pending.data or "")[:64]
    peek = store.get(pending_key)
    if isinstance(peek, dict):
        _let_platform_frame(str(peek.get("url", "")))
    if not form.validate_on_submit():
        raise RegistrationError(RegistrationProblem.INCOMPLETE_FORM, "form did not validate")
    invite = _open_invite(token)
    pending = store.take(pending_key)
    if not pending or pending.get("invite") != invite.digest:
        raise RegistrationError(RegistrationProblem.EXPIRED, "pending registration not found")
    # Only one confirmation may hold the invitation; a failed one gives it back for a retry.
    claimed = registration_invites.claim_invite(token)
    if claimed is None:
        raise RegistrationError(RegistrationProblem.INVITATION_INVALID, "invite taken meanwhile")
    try:
        saved, result = _register(pending)
    except Exception:
        registration_invites.release_invite(claimed)
        raise
    current_app.extensions["qadam_origins"].clear()
    current_app.logger.info(
        "registered platform %s client %s deployment %s (invitation %s)",
        saved.issuer,
        saved.client_id,
        result.deployment_id,
        claimed.id,
    )
    return render_template("lti/register_done.html", platform=saved, result=result)


def _register(pending: dict[str, Any]) -> tuple[Platform, lti.RegistrationResult]:
    platform = _fetch_configuration(pending["url"])
    result = lti.register_tool(platform, tool_description(), pending.get("token"))
    spec = PlatformSpec(
        issuer=platform.issuer,
        client_id=result.client_id,
        auth_login_url=platform.authorization_endpoint,
        auth_token_url=platform.token_endpoint,
        jwks_url=platform.jwks_uri,
        name=urlsplit(platform.issuer).netloc,
        product=" ".join(p for p in (platform.product_family_code, platform.version) if p),
    )
    deployments = [result.deployment_id] if result.deployment_id else []
    try:
        saved = save_platform(
            spec, deployments, registered_by="dynamic", if_registered=IfRegistered.REFUSE
        )
    except PlatformExists as exc:
        raise RegistrationError(
            RegistrationProblem.PLATFORM_EXISTS,
            str(exc),
            issuer=platform.issuer,
            client_id=result.client_id,
        ) from exc
    except PlatformInputError as exc:
        raise RegistrationError(RegistrationProblem.NOT_TOOL_REGISTRATION, str(exc)) from exc
    return saved, result
