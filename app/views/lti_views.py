"""LTI endpoints: login initiation, launch, the tool's JWKS, dynamic registration."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

import lti
from lti import LaunchError, LaunchProblem, MessageType, RegistrationError

from ..auth import remember_actor
from ..extensions import csrf
from ..forms import ConfirmRegistrationForm
from ..i18n import FALLBACK, normalize_locale
from ..services import actors, tool_keys
from ..services.lti_store import DatabaseKeyValueStore
from ..services.platforms import PlatformSpec, save_platform
from .lti_support import storage, tool_conf, tool_description, tool_url

bp = Blueprint("lti", __name__)

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
    return lti.oidc_login(
        tool_conf(),
        storage(),
        launch_url=tool_url("lti.launch"),
        check_cookies=in_frame,
        cookie_texts={
            "main_msg": _("Your browser does not let Qadam keep you signed in inside this page."),
            "click_msg": _("Open Qadam in a new window"),
            "loading_msg": _("Loading…"),
        },
    )


@bp.route("/lti/launch", methods=["POST"])
@csrf.exempt
def launch() -> ResponseReturnValue:
    validated = lti.validate_launch(
        tool_conf(),
        storage(),
        login_url=tool_url("lti.login"),
        leeway=current_app.config["QADAM_LTI_LEEWAY"],
        launch_lifetime=current_app.config["QADAM_LAUNCH_LIFETIME"],
    )
    locale = normalize_locale(validated.locale) or FALLBACK
    role = actors.classify_roles(
        validated.roles, validated.custom, current_app.config["QADAM_COORDINATOR_CUSTOM_PARAM"]
    )
    if role is None:
        raise NoRoleForLaunch(locale)
    actor = actors.record_launch(validated, role)
    remember_actor(actor, locale)
    current_app.logger.info(
        "launch %s: %s as %s in class %s", validated.message_type, actor.person_id, role,
        actor.school_class_id,
    )
    if validated.message_type == MessageType.DEEP_LINKING:
        if role is actors.ActorRole.STUDENT:
            abort(403)
        return redirect(url_for("home.add_to_course"), code=303)
    return redirect(url_for(START_PAGES[role]), code=303)


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
        raise RegistrationError(
            _(
                "This address is for registering Qadam from a platform. In Moodle, paste it in "
                "Site administration → Plugins → External tool → Manage tools → Tool URL, then "
                "choose “Add LTI Advantage”."
            )
        )
    platform = lti.fetch_platform_configuration(config_url)
    allowed = current_app.config["QADAM_REGISTRATION_ALLOWED_HOSTS"]
    host = (urlsplit(platform.issuer).hostname or "").lower()
    if allowed and host not in allowed:
        raise RegistrationError(
            _("This Qadam server does not accept registrations from %(host)s.", host=host),
            status=403,
        )
    pending_id = secrets.token_urlsafe(24)
    DatabaseKeyValueStore().set(
        "registration-" + pending_id,
        {"config": platform.raw, "url": config_url, "token": request.args.get("registration_token")},
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
        raise RegistrationError(_("The registration form was incomplete. Start again from Moodle."))
    pending = DatabaseKeyValueStore().take("registration-" + form.pending.data)
    if not pending:
        raise RegistrationError(
            _("This registration has expired or was already completed. Start again from Moodle.")
        )
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
        "registered platform %s client %s deployment %s", saved.issuer, saved.client_id,
        result.deployment_id,
    )
    return render_template("lti/register_done.html", platform=saved, result=result)


def launch_problem_message(error: LaunchError) -> str:
    """Plain words for a refused login or launch, in the page's language."""
    messages = {
        LaunchProblem.MALFORMED_REQUEST: _(
            "This page only opens from a Moodle course. Go back to your course and open Qadam "
            "from there."
        ),
        LaunchProblem.MALFORMED_TOKEN: _(
            "Moodle's sign-in message could not be read. Go back to the course and try again."
        ),
        LaunchProblem.MISSING_STATE: _(
            "The sign-in from Moodle was incomplete. Go back to the course and open Qadam again."
        ),
        LaunchProblem.STATE_MISMATCH: _(
            "This sign-in was started in another browser or tab. Go back to the course and open "
            "Qadam again."
        ),
        LaunchProblem.COOKIES_BLOCKED: _(
            "Your browser blocked Qadam from keeping you signed in inside the Moodle page. "
            "Open Qadam in a new window to continue."
        ),
        LaunchProblem.UNKNOWN_PLATFORM: _(
            "This Moodle site is not registered with Qadam. Ask your school's Moodle "
            "administrator to register Qadam first."
        ),
        LaunchProblem.WRONG_AUDIENCE: _(
            "This sign-in was meant for another tool: the client ID does not match the one "
            "registered with Qadam. Ask your Moodle administrator to check the tool settings."
        ),
        LaunchProblem.WRONG_ISSUER: _(
            "This sign-in came from a different site than the one that started it. Go back to "
            "your course and open Qadam again."
        ),
        LaunchProblem.UNSUPPORTED_ALGORITHM: _(
            "Moodle's sign-in message was not signed in a way Qadam accepts (it needs RS256)."
        ),
        LaunchProblem.UNKNOWN_KEY: _(
            "Moodle's sign-in message was signed with a key Qadam does not know. If this "
            "continues, ask your Moodle administrator to check the tool's public keyset URL."
        ),
        LaunchProblem.PLATFORM_KEYS_UNAVAILABLE: _(
            "Qadam could not fetch the Moodle site's public keys to check the sign-in. Try again "
            "in a minute."
        ),
        LaunchProblem.BAD_SIGNATURE: _(
            "Moodle's sign-in message has an invalid signature, so Qadam cannot trust it."
        ),
        LaunchProblem.EXPIRED: _(
            "The sign-in from Moodle took too long and has expired. Go back to the course and "
            "open Qadam again. If it keeps happening, the server clocks may be wrong."
        ),
        LaunchProblem.NOT_YET_VALID: _(
            "The sign-in from Moodle is dated in the future. The clocks of Moodle and Qadam "
            "disagree; ask your administrator to check them."
        ),
        LaunchProblem.MISSING_CLAIM: _(
            "Moodle's sign-in message is missing required information (%(claim)s).",
            claim=error.claim or "?",
        ),
        LaunchProblem.REPLAYED: _(
            "This sign-in was already used. For your safety each sign-in works once: go back to "
            "the course and open Qadam again."
        ),
        LaunchProblem.UNKNOWN_DEPLOYMENT: _(
            "This Moodle tool deployment is not registered with Qadam. Ask your Moodle "
            "administrator to register the deployment ID."
        ),
        LaunchProblem.UNSUPPORTED_MESSAGE: _("Qadam cannot handle this kind of request from Moodle."),
        LaunchProblem.WRONG_VERSION: _("Qadam works with LTI 1.3; Moodle sent another version."),
        LaunchProblem.LAUNCH_EXPIRED: _(
            "Your Qadam session has ended. Go back to the course and open Qadam again."
        ),
    }
    return messages[error.problem]
