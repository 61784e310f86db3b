"""OIDC third-party login initiation: the first request of every LTI 1.3 launch."""

from __future__ import annotations

from flask import Response
from pylti1p3.contrib.flask import FlaskOIDCLogin, FlaskRequest
from pylti1p3.exception import OIDCException
from pylti1p3.session import SessionService

from .errors import LaunchError, LaunchProblem
from .flask_request import current_request
from .login_state import LOGIN_PARAMS, STATE_PREFIX, LoginStates, StateCookies
from .tool import LookupToolConf


class _NothingStored(SessionService):
    """pylti1p3's session service for a login: the nonce and parameters are in the state."""

    def __init__(self) -> None:
        pass

    def save_nonce(self, nonce: str) -> None:
        return None

    def save_state_params(self, state: str, params: dict[str, object]) -> None:
        return None


class _QadamOIDCLogin(FlaskOIDCLogin):
    """pylti1p3's login, with a signed state that carries the nonce and the parameters."""

    cookie_check_template_name = "lti/cookie_check.html"

    def __init__(
        self,
        request: FlaskRequest,
        tool_conf: LookupToolConf,
        states: LoginStates,
        login_params: dict[str, str | None],
    ) -> None:
        super().__init__(
            request,
            tool_conf,
            session_service=_NothingStored(),  # type: ignore[arg-type]
            cookie_service=StateCookies(request),
        )
        self._states = states
        self._login_params = login_params
        self._nonce: str | None = None

    def _get_uuid(self) -> str:
        # pylti1p3 asks for the state's random part first ("state-" + this), then for the
        # nonce: both come from one signed state.
        state, self._nonce = self._states.issue(self._login_params)
        return state.removeprefix(STATE_PREFIX)

    def _generate_nonce(self) -> str:
        if self._nonce is None:
            raise RuntimeError("pylti1p3 asked for the nonce before the state")
        return self._nonce


def oidc_login(
    tool_conf: LookupToolConf,
    states: LoginStates,
    *,
    launch_url: str,
    check_cookies: bool = False,
    cookie_texts: dict[str, str] | None = None,
) -> Response:
    """Answer a login initiation with the redirect to the platform's authorization endpoint.

    With ``check_cookies``, first answer with a page whose script checks that the browser
    keeps cookies in this frame, and offers a new window when it does not. Nothing is stored:
    the state carries the login (:mod:`lti.login_state`).
    """
    request = current_request()
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
    params = {k: request.get_param(k) for k in LOGIN_PARAMS}
    params["client_id"] = record.client_id
    login = _QadamOIDCLogin(request, tool_conf, states, params)
    if check_cookies:
        login.enable_check_cookies(**(cookie_texts or {}))
    try:
        return login.redirect(launch_url)
    except OIDCException as exc:
        raise LaunchError(LaunchProblem.MALFORMED_REQUEST, str(exc), issuer=iss) from exc
