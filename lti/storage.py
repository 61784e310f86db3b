"""Server-side storage for pylti1p3: nonces, state, launch data and the platforms' key sets.

The application supplies a :class:`KeyValueStore` (it keeps one in its database), so every
worker process sees the same state and nothing of the launch rides in the cookie session.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any, Protocol

from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.session import SessionService

from . import claims as c
from .login_state import LOGIN_LIFETIME


class KeyValueStore(Protocol):
    """A shared store of JSON values with expiry."""

    def get(self, key: str) -> Any | None:
        """Return the value under ``key``, or None when absent or expired."""

    def set(self, key: str, value: Any, ttl_seconds: int | None) -> None:
        """Store ``value`` under ``key`` (replacing any), kept for ``ttl_seconds``."""

    def add(self, key: str, value: Any, ttl_seconds: int) -> bool:
        """Store ``value`` under ``key`` only if no live entry is there; say whether it was."""

    def take(self, key: str) -> Any | None:
        """Remove ``key`` and return its value; None if another caller took it first."""

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""


class StoreLaunchDataStorage(LaunchDataStorage[Any]):
    """pylti1p3's launch-data storage on a :class:`KeyValueStore`."""

    def __init__(self, store: KeyValueStore) -> None:
        super().__init__()
        self._store = store

    @property
    def store(self) -> KeyValueStore:
        return self._store

    def get_session_cookie_name(self) -> str | None:
        # Keys are random (nonce, state, launch id); the state cookie binds a launch to the
        # browser, so no extra session cookie is needed (it would break in blocked iframes).
        return None

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        return self._store.get(self._prepare_key(key))

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        self._store.set(self._prepare_key(key), value, exp)

    def check_value(self, key: str) -> bool:
        return self._store.get(self._prepare_key(key)) is not None

    def add_value(self, key: str, value: Any, exp: int) -> bool:
        return self._store.add(self._prepare_key(key), value, exp)

    def delete_value(self, key: str) -> None:
        self._store.delete(self._prepare_key(key))


# What a stored launch keeps: the claims Qadam reads, and in each only the fields it reads.
# Everything else (names, e-mail addresses, user names, lis and ext data, LTI 1.1 ids, …) is
# dropped, whatever the platform decides to send. ``None``: the claim is kept whole.
KEPT_CLAIMS: Mapping[str, frozenset[str] | None] = {
    "iss": None,
    "sub": None,
    "aud": None,
    "azp": None,
    "exp": None,
    "iat": None,
    "nonce": None,
    c.MESSAGE_TYPE: None,
    c.VERSION: None,
    c.DEPLOYMENT_ID: None,
    c.TARGET_LINK_URI: None,
    c.ROLES: None,
    c.RESOURCE_LINK: frozenset({"id", "title"}),
    c.CONTEXT: frozenset({"id", "title", "label", "type"}),
    c.LAUNCH_PRESENTATION: frozenset({"locale", "document_target", "return_url"}),
    c.AGS_ENDPOINT: frozenset({"scope", "lineitems", "lineitem"}),
    c.NRPS_SERVICE: frozenset({"context_memberships_url", "service_versions"}),
    c.DEEP_LINKING_SETTINGS: frozenset(
        {
            "deep_link_return_url",
            "accept_types",
            "accept_presentation_document_targets",
            "accept_media_types",
            "accept_multiple",
            "accept_lineitem",
            "auto_create",
            "title",
            "text",
            "data",
        }
    ),
}
# A custom value that looks like an e-mail address (Moodle can substitute $Person.email.primary
# into any custom parameter) is never kept, even under a parameter Qadam reads.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_CUSTOM_VALUE = 255


def kept_claims(body: Mapping[str, Any], custom_params: Collection[str]) -> dict[str, Any]:
    """The launch claims worth storing: an allow-list, custom parameters only those named."""
    kept: dict[str, Any] = {}
    for claim, fields in KEPT_CLAIMS.items():
        if claim not in body:
            continue
        value = body[claim]
        if fields is not None:
            if not isinstance(value, Mapping):
                continue
            value = {k: v for k, v in value.items() if k in fields}
        kept[claim] = value
    custom = body.get(c.CUSTOM)
    if isinstance(custom, Mapping):
        kept[c.CUSTOM] = {
            str(k): v
            for k, v in custom.items()
            if k in custom_params
            and isinstance(v, str)
            and len(v) <= MAX_CUSTOM_VALUE
            and not _EMAIL.search(v)
        }
    return kept


class StoreSessionService(SessionService):
    """pylti1p3's session service for a launch: the stored launch, and the login's nonce
    claimed once (the login itself stored nothing, see :mod:`lti.login_state`)."""

    _storage: StoreLaunchDataStorage

    def __init__(
        self,
        storage: StoreLaunchDataStorage,
        launch_lifetime: int,
        custom_params: Collection[str] = (),
    ) -> None:
        self._storage = storage
        self._custom_params = frozenset(custom_params)
        self.data_storage = storage
        self._launch_data_lifetime = launch_lifetime

    def set_data_storage(self, data_storage: LaunchDataStorage[Any]) -> None:
        # The storage is fixed at construction; pylti1p3 may call this again.
        return None

    def claim_login(self, launch_id: str, jwt_body: Mapping[str, Any] | None) -> bool:
        """Store the launch of a login under ``launch_id``, unless a launch of that login is
        stored there already: say whether it was stored.

        ``jwt_body`` None marks a refused launch: the login is used up, nothing is kept. The
        entry outlives the state's signature (twice its lifetime, for clocks that differ
        between servers), so a state can never be used twice.
        """
        value = False if jwt_body is None else kept_claims(jwt_body, self._custom_params)
        lifetime = max(self._launch_data_lifetime, 2 * LOGIN_LIFETIME)
        return self._storage.add_value(launch_id, value, lifetime)

    def check_nonce(self, nonce: str) -> bool:
        # A nonce alone proves nothing here: Qadam checks it against the signed state of its
        # login (claim_login). Refuse, should anything call pylti1p3's check.
        return False

    def save_launch_data(self, key: str, jwt_body: Mapping[str, Any]) -> None:
        # Qadam stores launches with claim_login; should pylti1p3 store one, it keeps as little.
        super().save_launch_data(key, kept_claims(jwt_body, self._custom_params))
