"""OIDC third-party login initiation: the first request of every LTI 1.3 launch."""

from __future__ import annotations

from typing import Any

from flask import Response
from pylti1p3.contrib.flask import FlaskCookieService, FlaskOIDCLogin
from pylti1p3.exception import OIDCException

from .errors import LaunchError, LaunchProblem
from .flask_request import current_request
from .storage import StoreLaunchDataStorage, StoreSessionService
from .tool import LookupToolConf

# The login parameters kept with the state, so a launch whose cookie was blocked can offer
# to start again in a new window.
LOGIN_PARAMS = (
    "iss",
    "login_hint",
    "target_link_uri",
    "lti_message_hint",
    "lti_deployment_id",
    "client_id",
)


class _QadamOIDCLogin(FlaskOIDCLogin):
    cookie_check_template_name = "lti/cookie_check.html"


def oidc_login(
    tool_conf: LookupToolConf,
    storage: StoreLaunchDataStorage,
    *,
    launch_url: str,
    check_cookies: bool = False,
    cookie_texts: dict[str, str] | None = None,
) -> Response:
    """Answer a login initiation with the redirect to the platform's authorization endpoint.

    With ``check_cookies``, first answer with a page whose script checks that the browser
    keeps cookies in this frame, and offers a new window when it does not.
    """
    request = current_request()
    login = _QadamOIDCLogin(
        request,
        tool_conf,
        session_service=StoreSessionService(storage, 600),  # type: ignore[arg-type]
        cookie_service=FlaskCookieService(request),
        launch_data_storage=storage,
    )
    iss = request.get_param("iss")
    if not iss:
        raise LaunchError(LaunchProblem.MALFORMED_REQUEST, "login without iss")
    if not request.get_param("login_hint"):
        raise LaunchError(LaunchProblem.MALFORMED_REQUEST, "login without login_hint", issuer=iss)
    client_id = request.get_param("client_id")
    record = tool_conf.platform(iss, client_id or None)
    if record is None:
        if tool_conf.lookup.issuer_known(iss):
            raise LaunchError(
                LaunchProblem.WRONG_AUDIENCE, f"client id {client_id!r} not registered", issuer=iss
            )
        raise LaunchError(LaunchProblem.UNKNOWN_PLATFORM, f"issuer {iss!r} not registered")
    params: dict[str, Any] = {k: request.get_param(k) for k in LOGIN_PARAMS}
    params["client_id"] = record.client_id
    login.pass_params_to_launch({"login": params})
    if check_cookies:
        login.enable_check_cookies(**(cookie_texts or {}))
    try:
        return login.redirect(launch_url)
    except OIDCException as exc:
        raise LaunchError(LaunchProblem.MALFORMED_REQUEST, str(exc), issuer=iss) from exc
