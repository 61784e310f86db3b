"""Calling a platform's services (AGS, NRPS) with an OAuth2 token got by a signed assertion."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import requests
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.service_connector import ServiceConnector

from .http import OutboundRefused, TimeoutSession
from .tool import LookupToolConf

# Tokens are reused until shortly before they expire, per registration and set of scopes.
_TOKENS: dict[str, tuple[str, float]] = {}
_TOKENS_LOCK = threading.Lock()
TOKEN_MARGIN = 30.0
# Statuses worth asking again later: the platform is busy, down or timed out, or did not
# accept a token (it may have restarted, or not yet read the tool's new key).
TRANSIENT_STATUSES = frozenset({401, 408, 425, 429, 500, 502, 503, 504})


class ServiceError(Exception):
    """A platform service call failed. ``permanent``: asking again will not help."""

    def __init__(self, message: str, *, status: int | None, permanent: bool) -> None:
        super().__init__(message)
        self.status = status
        self.permanent = permanent


class TokenRefused(LtiServiceException):
    """The platform's token endpoint did not give an access token."""


class CachingConnector(ServiceConnector):
    """pylti1p3's connector (it signs the client assertion), with a process-wide token cache.

    A token belongs to one registration: the cache key is the issuer, client id, token URL,
    audience and scopes, so two registrations of one issuer never share (or leak) a token. A
    service call answered 401 drops the token and is tried once more with a new one.
    """

    _last_token: str | None = None

    def _scope_key(self, scopes: Iterable[str]) -> str:
        reg = self._registration
        return json.dumps(
            [
                reg.get_issuer(),
                reg.get_client_id(),
                reg.get_auth_token_url(),
                reg.get_auth_audience(),
                sorted(scopes),
            ]
        )

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        with _TOKENS_LOCK:
            found = _TOKENS.get(scope_key)
        if found and found[1] > time.monotonic():
            return found[0]
        return None

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float) -> None:
        lifetime = float(expires_in or 0) - TOKEN_MARGIN
        if lifetime > 0:
            with _TOKENS_LOCK:
                _TOKENS[scope_key] = (access_token, time.monotonic() + lifetime)

    def _drop_access_token(self, scopes: Sequence[str], token: str | None) -> None:
        key = self._scope_key(scopes)
        with _TOKENS_LOCK:
            # Another thread may have fetched a fresh one meanwhile: keep that.
            if key in _TOKENS and _TOKENS[key][0] == token:
                del _TOKENS[key]

    def get_access_token(self, scopes: Sequence[str]) -> str:
        try:
            token = super().get_access_token(scopes)
        except LtiServiceException as exc:
            raise TokenRefused("The platform gave no access token.", exc.response) from exc
        self._last_token = token
        return token

    def make_service_request(
        self, scopes: Sequence[str], url: str, *args: Any, **kwargs: Any
    ) -> Any:
        try:
            return super().make_service_request(scopes, url, *args, **kwargs)
        except TokenRefused:
            raise
        except LtiServiceException as exc:
            if exc.response.status_code != 401:
                raise
        self._drop_access_token(scopes, self._last_token)
        return super().make_service_request(scopes, url, *args, **kwargs)

    def close(self) -> None:
        """Close the connections this connector opened."""
        self._requests_session.close()


def forget_tokens() -> None:
    """Drop every cached access token (after a key rotation, and in tests)."""
    with _TOKENS_LOCK:
        _TOKENS.clear()


def connector(tool_conf: LookupToolConf, issuer: str, client_id: str) -> CachingConnector:
    """A service connector for the platform registered as ``issuer`` + ``client_id``."""
    record = tool_conf.platform(issuer, client_id)
    if record is None:
        raise ServiceError("the platform is no longer registered", status=None, permanent=True)
    registration = tool_conf.registration_for(record)
    if registration.get_tool_private_key() is None:
        raise ServiceError("the tool has no signing key", status=None, permanent=True)
    return CachingConnector(registration, TimeoutSession())


@contextmanager
def service_errors() -> Iterator[None]:
    """Turn what pylti1p3 and requests raise into :class:`ServiceError`."""
    try:
        yield
    except LtiServiceException as exc:
        status = exc.response.status_code
        detail = _detail(exc.response)
        raise ServiceError(
            f"{exc} {detail}".strip(), status=status, permanent=status not in TRANSIENT_STATUSES
        ) from exc
    except OutboundRefused as exc:
        # Transient too: the platform's address may be corrected (or its name fixed) later.
        raise ServiceError(
            f"the tool does not connect there: {exc}", status=None, permanent=False
        ) from exc
    except requests.RequestException as exc:
        raise ServiceError(
            f"the platform did not answer: {type(exc).__name__}", status=None, permanent=False
        ) from exc
    except (LtiException, KeyError, ValueError, TypeError) as exc:
        raise ServiceError(
            f"the platform's answer was not understood: {exc}", status=None, permanent=True
        ) from exc


def _detail(response: Any) -> str:
    text = (getattr(response, "text", "") or "").strip().replace("\n", " ")
    return text[:300]
