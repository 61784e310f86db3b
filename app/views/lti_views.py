"""LTI endpoints: login initiation, launch, the tool's JWKS, dynamic registration."""

from __future__ import annotations

import secrets
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
from ..content_catalog import catalog
from ..extensions import csrf
from ..forms import ConfirmRegistrationForm
from ..i18n import FALLBACK, normalize_locale
from ..lti_tool import storage, tool_conf, tool_description, tool_url
from ..services import actors, tool_keys
from ..services.lti_store import DatabaseKeyValueStore
from ..services.platforms import PlatformSpec, save_platform
from .home import LESSON_PARAM

bp = Blueprint("lti", __name__)
# The custom launch parameters Qadam reads; no other custom value is kept.
LAUNCH_CUSTOM_PARAMS = frozenset({LESSON_PARAM})

START_PAGES = {
    actors.ActorRole.TEACHER: "home.teacher",
    actors.ActorRole.STUDENT: "home.student",
    actors.ActorRole.COORDINATOR: "home.coordinator",
}
PENDING_REGISTRATION_TTL = 3600


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
    store = DatabaseKeyValueStore(deferred=True)
    response = lti.oidc_login(
        tool_conf(),
        storage(store),
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
    store.commit()
    return response


@bp.route("/lti/launch", methods=["POST"])
@csrf.exempt
def launch() -> ResponseReturnValue:
    # The nonce taken, the launch saved and the login state dropped are committed with the
    # launch's record below; a refused launch commits them at once (the nonce stays used).
    store = DatabaseKeyValueStore(deferred=True)
    try:
        validated = lti.validate_launch(
            tool_conf(),
            storage(store),
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
        actor = actors.record_launch(validated, role, lesson.id if lesson else None)
    except actors.UnknownRegistration as exc:
        # The platform or deployment was removed while the launch was under way.
        raise LaunchError(LaunchProblem.UNKNOWN_DEPLOYMENT, str(exc), locale=locale) from exc
    remember_actor(actor, locale)
    current_app.logger.info(
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
    else:
        response = redirect(url_for(START_PAGES[actor.role]), code=303)
    lti.forget_login_state(response, request.form.get("state"), secure=request.is_secure)
    return response


@bp.get("/lti/jwks")
def jwks() -> ResponseReturnValue:
    tool_keys.ensure_key(lti.generate_signing_key)
    response = jsonify(lti.key_set(tool_keys.published_jwks()))
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@bp.get("/lti/register")
def register_start() -> ResponseReturnValue:
    config_url = request.args.get("openid_configuration", "").strip()
    if not config_url:
        raise RegistrationError(RegistrationProblem.NOT_FROM_PLATFORM, "no openid_configuration")
    platform = lti.fetch_platform_configuration(config_url)
    allowed = current_app.config["QADAM_REGISTRATION_ALLOWED_HOSTS"]
    host = (urlsplit(platform.issuer).hostname or "").lower()
    if allowed and host not in allowed:
        raise RegistrationError(RegistrationProblem.HOST_NOT_ALLOWED, host, host=host)
    pending_id = secrets.token_urlsafe(24)
    DatabaseKeyValueStore().set(
        "registration-" + pending_id,
        {
            "config": platform.raw,
            "url": config_url,
            "token": request.args.get("registration_token"),
        },
        PENDING_REGISTRATION_TTL,
    )
    form = ConfirmRegistrationForm(pending=pending_id)
    return render_template(
        "lti/register_confirm.html", platform=platform, tool=tool_description(), form=form
    )


@bp.post("/lti/register")
def register_confirm() -> ResponseReturnValue:
    form = ConfirmRegistrationForm()
    if not form.validate_on_submit():
        raise RegistrationError(RegistrationProblem.INCOMPLETE_FORM, "form did not validate")
    pending = DatabaseKeyValueStore().take("registration-" + form.pending.data)
    if not pending:
        raise RegistrationError(RegistrationProblem.EXPIRED, "pending registration not found")
    platform = lti.fetch_platform_configuration(pending["url"])
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
    saved = save_platform(
        spec, [result.deployment_id] if result.deployment_id else [], registered_by="dynamic"
    )
    current_app.extensions["qadam_origins"].clear()
    current_app.logger.info(
        "registered platform %s client %s deployment %s",
        saved.issuer,
        saved.client_id,
        result.deployment_id,
    )
    return render_template("lti/register_done.html", platform=saved, result=result)
