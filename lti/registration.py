"""LTI Dynamic Registration (Moodle's "Register tool" with a URL), on pylti1p3."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from pylti1p3.dynamic_registration import DynamicRegistration
from pylti1p3.exception import LtiException, LtiServiceException

from . import claims as c
from .errors import RegistrationError, RegistrationProblem
from .http import OutboundRefused, ResponseTooLarge, TimeoutSession

MAX_DOCUMENT_BYTES = 256 * 1024


@dataclass(frozen=True)
class PlatformConfiguration:
    """The parts of a platform's openid-configuration the tool relies on."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    product_family_code: str
    version: str
    messages_supported: tuple[str, ...]
    raw: dict[str, Any]


@dataclass(frozen=True)
class ToolDescription:
    """What the tool tells the platform about itself."""

    name: str
    description: str
    base_url: str
    login_url: str
    launch_url: str
    jwks_url: str
    logo_url: str


@dataclass(frozen=True)
class RegistrationResult:
    client_id: str
    deployment_id: str | None


def _http_url(value: Any, field_name: str) -> str:
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
        raise RegistrationError(
            RegistrationProblem.MISSING_FIELD, f"{field_name}={value!r}", field=field_name
        )
    return value


def registration_session() -> TimeoutSession:
    """A session for a platform's registration documents (small, and from anywhere)."""
    return TimeoutSession(max_bytes=MAX_DOCUMENT_BYTES)


def _fetch_error(exc: requests.RequestException, url: str) -> RegistrationError:
    """Say why a fetch from the platform failed: refused address, too large, or no answer."""
    if isinstance(exc, OutboundRefused):
        return RegistrationError(RegistrationProblem.ADDRESS_NOT_ALLOWED, str(exc), url=url)
    if isinstance(exc, ResponseTooLarge):
        return RegistrationError(RegistrationProblem.TOO_LARGE, f"{url}: {exc}")
    return RegistrationError(RegistrationProblem.UNREACHABLE, repr(exc), url=url)


def _get_json(session: requests.Session, url: str) -> Any:
    try:
        resp = session.get(url, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise _fetch_error(exc, url) from exc
    if not resp.ok:
        raise RegistrationError(
            RegistrationProblem.HTTP_ERROR, url, url=url, status=str(resp.status_code)
        )
    if len(resp.content) > MAX_DOCUMENT_BYTES:
        raise RegistrationError(RegistrationProblem.TOO_LARGE, url)
    try:
        return resp.json()
    except ValueError as exc:
        raise RegistrationError(RegistrationProblem.NOT_JSON, url) from exc


def fetch_platform_configuration(
    url: str, session: requests.Session | None = None
) -> PlatformConfiguration:
    """Read and check a platform's openid-configuration."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise RegistrationError(RegistrationProblem.BAD_CONFIGURATION_URL, url)
    doc = _get_json(session or registration_session(), url)
    if not isinstance(doc, dict):
        raise RegistrationError(RegistrationProblem.NOT_JSON, "not an object")
    issuer = _http_url(doc.get("issuer"), "issuer")
    # The specification asks the tool to check that the configuration belongs to the issuer.
    if not url.startswith(issuer.rstrip("/")):
        raise RegistrationError(
            RegistrationProblem.ISSUER_MISMATCH, f"{url} vs {issuer}", url=url, issuer=issuer
        )
    platform = doc.get(c.PLATFORM_CONFIGURATION)
    if not isinstance(platform, dict):
        raise RegistrationError(RegistrationProblem.NOT_LTI_PLATFORM, url)
    messages = platform.get("messages_supported") or []
    # Moodle lists plain strings; the specification shows objects with a "type".
    message_types = tuple(
        m if isinstance(m, str) else str(m.get("type", "")) for m in messages if m
    )
    return PlatformConfiguration(
        issuer=issuer,
        authorization_endpoint=_http_url(
            doc.get("authorization_endpoint"), "authorization endpoint"
        ),
        token_endpoint=_http_url(doc.get("token_endpoint"), "token endpoint"),
        jwks_uri=_http_url(doc.get("jwks_uri"), "key set (jwks_uri)"),
        registration_endpoint=_http_url(doc.get("registration_endpoint"), "registration endpoint"),
        product_family_code=str(platform.get("product_family_code", "")),
        version=str(platform.get("version", "")),
        messages_supported=message_types,
        raw=doc,
    )


class _ToolRegistration(DynamicRegistration):
    def __init__(
        self,
        tool: ToolDescription,
        platform: PlatformConfiguration,
        token: str | None,
        session: requests.Session,
    ) -> None:
        self._tool = tool
        self._platform = platform
        self._token = token
        self._session = session
        self.client_name = tool.name
        self.description = tool.description

    def get_request_session(self) -> requests.Session:
        return self._session

    def get_initiate_login_uri(self) -> str:
        return self._tool.login_url

    def get_jwks_uri(self) -> str:
        return self._tool.jwks_url

    def get_redirect_uris(self) -> list[str]:
        return [self._tool.launch_url]

    def get_domain(self) -> str:
        return urlsplit(self._tool.base_url).netloc

    def get_target_link_uri(self) -> str:
        return self._tool.launch_url

    def get_logo_uri(self) -> str:
        return self._tool.logo_url

    def get_scopes(self) -> list[str]:
        wanted = [
            c.AgsScope.LINEITEM,
            c.AgsScope.RESULT_READONLY,
            c.AgsScope.SCORE,
            c.NRPS_SCOPE,
        ]
        offered = self._platform.raw.get("scopes_supported")
        if isinstance(offered, list):
            return [str(s) for s in wanted if s in offered]
        return [str(s) for s in wanted]

    def get_claims(self) -> list[str]:
        # Qadam needs who (an opaque id), never names or e-mail addresses.
        return ["iss", "sub"]

    def get_messages(self) -> list[dict[str, str]]:
        messages = [{"type": c.MessageType.RESOURCE_LINK.value}]
        if c.MessageType.DEEP_LINKING in self._platform.messages_supported:
            messages.append(
                {
                    "type": c.MessageType.DEEP_LINKING.value,
                    "target_link_uri": self._tool.launch_url,
                    "label": self._tool.name,
                }
            )
        return messages

    def get_openid_configuration_endpoint(self) -> str:
        return self._platform.issuer

    def get_openid_configuration(self) -> dict[str, Any]:
        return self._platform.raw

    def get_registration_token(self) -> str:
        return self._token  # type: ignore[return-value]

    def complete_registration(
        self, openid_configuration: dict[str, Any], openid_registration: dict[str, Any]
    ) -> RegistrationResult:
        client_id = openid_registration.get("client_id")
        if not client_id:
            raise RegistrationError(
                RegistrationProblem.NO_CLIENT_ID, str(openid_registration)[:200]
            )
        tool_conf = openid_registration.get(c.TOOL_CONFIGURATION) or {}
        deployment_id = tool_conf.get("deployment_id") if isinstance(tool_conf, dict) else None
        return RegistrationResult(str(client_id), str(deployment_id) if deployment_id else None)


def register_tool(
    platform: PlatformConfiguration,
    tool: ToolDescription,
    registration_token: str | None,
    session: requests.Session | None = None,
) -> RegistrationResult:
    """POST the tool's registration to the platform and return the client and deployment ids."""
    registration = _ToolRegistration(
        tool, platform, registration_token, session or registration_session()
    )
    try:
        result = registration.register()
    except LtiServiceException as exc:
        response = exc.response
        reason = ""
        try:
            body = response.json()
            if isinstance(body, dict):
                reason = str(body.get("error_description") or body.get("error") or "")
        except ValueError:
            reason = response.text[:200]
        raise RegistrationError(
            RegistrationProblem.REFUSED,
            f"HTTP {response.status_code}: {reason}",
            status=str(response.status_code),
            reason=reason,
        ) from exc
    except requests.RequestException as exc:
        raise _fetch_error(exc, platform.registration_endpoint) from exc
    except (LtiException, AssertionError) as exc:
        raise RegistrationError(RegistrationProblem.NOT_TOOL_REGISTRATION, str(exc)) from exc
    if not isinstance(result, RegistrationResult):
        raise RegistrationError(RegistrationProblem.NOT_TOOL_REGISTRATION, repr(result))
    return result
