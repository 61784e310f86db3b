"""Why an LTI exchange was refused: a code the application can explain, and the detail to log."""

from __future__ import annotations

from enum import StrEnum


class LaunchProblem(StrEnum):
    MALFORMED_REQUEST = "malformed_request"
    MALFORMED_TOKEN = "malformed_token"  # noqa: S105 - a problem code, not a secret
    MISSING_STATE = "missing_state"
    STATE_MISMATCH = "state_mismatch"
    COOKIES_BLOCKED = "cookies_blocked"
    UNKNOWN_PLATFORM = "unknown_platform"
    WRONG_AUDIENCE = "wrong_audience"
    WRONG_ISSUER = "wrong_issuer"
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    UNKNOWN_KEY = "unknown_key"
    PLATFORM_KEYS_UNAVAILABLE = "platform_keys_unavailable"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    MISSING_CLAIM = "missing_claim"
    REPLAYED = "replayed"
    UNKNOWN_DEPLOYMENT = "unknown_deployment"
    UNSUPPORTED_MESSAGE = "unsupported_message"
    WRONG_VERSION = "wrong_version"
    LAUNCH_EXPIRED = "launch_expired"


# Problems caused by something outside the request (a platform that does not answer).
_UPSTREAM = {LaunchProblem.PLATFORM_KEYS_UNAVAILABLE}
# Problems where the request was well formed but the caller may not proceed.
_FORBIDDEN = {
    LaunchProblem.UNKNOWN_PLATFORM,
    LaunchProblem.WRONG_AUDIENCE,
    LaunchProblem.UNKNOWN_DEPLOYMENT,
    LaunchProblem.BAD_SIGNATURE,
    LaunchProblem.UNKNOWN_KEY,
    LaunchProblem.REPLAYED,
    LaunchProblem.EXPIRED,
    LaunchProblem.LAUNCH_EXPIRED,
}


class LaunchError(Exception):
    """A login, launch or registration step was refused.

    ``problem`` says what kind of refusal it is (the application words it for people),
    ``detail`` is the technical reason for the log, ``claim`` names the claim at fault.
    """

    def __init__(
        self,
        problem: LaunchProblem,
        detail: str,
        *,
        claim: str | None = None,
        issuer: str | None = None,
        locale: str | None = None,
        retry_url: str | None = None,
    ) -> None:
        super().__init__(f"{problem}: {detail}")
        self.problem = problem
        self.detail = detail
        self.claim = claim
        self.issuer = issuer
        self.locale = locale
        self.retry_url = retry_url

    @property
    def status(self) -> int:
        if self.problem in _UPSTREAM:
            return 502
        if self.problem in _FORBIDDEN:
            return 403
        return 400


class RegistrationProblem(StrEnum):
    BAD_CONFIGURATION_URL = "bad_configuration_url"
    ADDRESS_NOT_ALLOWED = "address_not_allowed"
    UNREACHABLE = "unreachable"
    HTTP_ERROR = "http_error"
    TOO_LARGE = "too_large"
    NOT_JSON = "not_json"
    MISSING_FIELD = "missing_field"
    ISSUER_MISMATCH = "issuer_mismatch"
    USERINFO_IN_URL = "userinfo_in_url"
    NOT_LTI_PLATFORM = "not_lti_platform"
    REFUSED = "refused"
    NO_CLIENT_ID = "no_client_id"
    NOT_TOOL_REGISTRATION = "not_tool_registration"
    # Raised by the application itself:
    NOT_FROM_PLATFORM = "not_from_platform"
    INVITATION_REQUIRED = "invitation_required"
    INVITATION_INVALID = "invitation_invalid"
    PLATFORM_EXISTS = "platform_exists"
    HOST_NOT_ALLOWED = "host_not_allowed"
    EXPIRED = "expired"
    INCOMPLETE_FORM = "incomplete_form"


_REGISTRATION_STATUS = {
    RegistrationProblem.BAD_CONFIGURATION_URL: 400,
    RegistrationProblem.ADDRESS_NOT_ALLOWED: 403,
    RegistrationProblem.ISSUER_MISMATCH: 400,
    RegistrationProblem.USERINFO_IN_URL: 400,
    RegistrationProblem.NOT_FROM_PLATFORM: 400,
    RegistrationProblem.INVITATION_REQUIRED: 403,
    RegistrationProblem.INVITATION_INVALID: 403,
    RegistrationProblem.PLATFORM_EXISTS: 409,
    RegistrationProblem.HOST_NOT_ALLOWED: 403,
    RegistrationProblem.EXPIRED: 400,
    RegistrationProblem.INCOMPLETE_FORM: 400,
}


class RegistrationError(Exception):
    """Dynamic registration could not be completed.

    ``problem`` is what went wrong (the application words it for people, with ``params``);
    ``detail`` is the technical reason for the log.
    """

    def __init__(self, problem: RegistrationProblem, detail: str = "", **params: str) -> None:
        super().__init__(f"{problem}: {detail}")
        self.problem = problem
        self.detail = detail or str(problem)
        self.params = params

    @property
    def status(self) -> int:
        # Anything else is the platform's fault, not the caller's.
        return _REGISTRATION_STATUS.get(self.problem, 502)
