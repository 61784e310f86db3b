"""Calling a platform's services (AGS, NRPS) with an OAuth2 token got by a signed assertion."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.service_connector import ServiceConnector

from .http import TimeoutSession
from .tool import LookupToolConf

# Tokens are reused until shortly before they expire, per platform and set of scopes.
_TOKENS: dict[str, tuple[str, float]] = {}
_TOKENS_LOCK = threading.Lock()
TOKEN_MARGIN = 30.0
# Statuses worth asking again later: the platform is busy, down or timed out.
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class ServiceError(Exception):
    """A platform service call failed. ``permanent``: asking again will not help."""

    def __init__(self, message: str, *, status: int | None, permanent: bool) -> None:
        super().__init__(message)
        self.status = status
        self.permanent = permanent


class CachingConnector(ServiceConnector):
    """pylti1p3's connector (it signs the client assertion), with a process-wide token cache."""

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
