"""LTI Dynamic Registration (Moodle's "Register tool" with a URL), on pylti1p3."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

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


DEFAULT_PORTS = {"http": 80, "https": 443}
# One DNS label (after IDNA encoding); underscores occur in school intranets.
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$")
# Characters that parsers disagree about; a URL with them is refused rather than interpreted.
_AMBIGUOUS = re.compile(r"[\s\\\x00-\x1f\x7f]")


@dataclass(frozen=True)
class HttpUrl:
    """An http(s) URL reduced to what identifies its site: normalised scheme, host and port."""

    scheme: str
    host: str
    port: int
    path: str

    @property
    def origin(self) -> str:
        """The web origin, as a browser writes it (default ports left out)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port == DEFAULT_PORTS[self.scheme]:
            return f"{self.scheme}://{host}"
        return f"{self.scheme}://{host}:{self.port}"

    def same_site(self, other: HttpUrl) -> bool:
        return (self.scheme, self.host, self.port) == (other.scheme, other.host, other.port)

    def under(self, base: HttpUrl) -> bool:
        """True when this URL's path is ``base``'s path or below it (at a ``/`` boundary)."""
        prefix = base.path.rstrip("/")
        return self.path == prefix or self.path.startswith(prefix + "/")


def _normal_host(host: str) -> str | None:
    if "%" in host:  # an IPv6 zone, or an encoded character: not a host a platform has
        return None
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = ascii_host.removesuffix(".").split(".")
    if not all(_LABEL.match(label) for label in labels):
        return None
    return ascii_host.removesuffix(".")


class _RefusedUrl(ValueError):
    """Not an http(s) URL Qadam will use; ``userinfo`` when it carries a user name or password."""

    def __init__(self, userinfo: bool = False) -> None:
        super().__init__("userinfo" if userinfo else "not an http(s) URL")
        self.userinfo = userinfo


def _parse_http_url(value: Any) -> HttpUrl:
    if not isinstance(value, str) or _AMBIGUOUS.search(value):
        raise _RefusedUrl()
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise _RefusedUrl()
    # "https://moodle.kz@elsewhere/" is a request to elsewhere; refuse any user part outright.
    if "@" in parts.netloc:
        raise _RefusedUrl(userinfo=True)
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise _RefusedUrl() from exc
    host = _normal_host(parts.hostname or "")
    segments = unquote(parts.path).split("/")
    if not host or "." in segments or ".." in segments:
        raise _RefusedUrl()
    return HttpUrl(scheme, host, port, parts.path or "/")


def check_configuration_url(url: str) -> HttpUrl:
    """Check the configuration URL a platform sent, before anything is fetched from it."""
    try:
        return _parse_http_url(url)
    except _RefusedUrl as exc:
        if exc.userinfo:
            raise RegistrationError(RegistrationProblem.USERINFO_IN_URL, url, url=url) from exc
        raise RegistrationError(RegistrationProblem.BAD_CONFIGURATION_URL, url) from exc


def _http_url(value: Any, field_name: str) -> HttpUrl:
    try:
        return _parse_http_url(value)
    except _RefusedUrl as exc:
        if exc.userinfo:
            raise RegistrationError(
                RegistrationProblem.USERINFO_IN_URL, f"{field_name}={value!r}", url=str(value)
            ) from exc
        raise RegistrationError(
            RegistrationProblem.MISSING_FIELD, f"{field_name}={value!r}", field=field_name
        ) from exc


def _endpoint(doc: dict[str, Any], key: str, field_name: str) -> str:
    _http_url(doc.get(key), field_name)
    return str(doc[key])


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
    where = check_configuration_url(url)
    doc = _get_json(session or registration_session(), url)
    if not isinstance(doc, dict):
        raise RegistrationError(RegistrationProblem.NOT_JSON, "not an object")
    owner = _http_url(doc.get("issuer"), "issuer")
    issuer = str(doc["issuer"])
    # The specification asks the tool to check that the configuration belongs to the issuer:
    # served from the issuer's own scheme, host and port, at or below the issuer's path.
    if not where.same_site(owner) or not where.under(owner):
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
        authorization_endpoint=_endpoint(doc, "authorization_endpoint", "authorization endpoint"),
        token_endpoint=_endpoint(doc, "token_endpoint", "token endpoint"),
        jwks_uri=_endpoint(doc, "jwks_uri", "key set (jwks_uri)"),
        registration_endpoint=_endpoint(doc, "registration_endpoint", "registration endpoint"),
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
