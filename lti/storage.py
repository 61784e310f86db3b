"""Server-side storage for pylti1p3: nonces, state, launch data and the platforms' key sets.

The application supplies a :class:`KeyValueStore` (it keeps one in its database), so every
worker process sees the same state and nothing of the launch rides in the cookie session.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.session import SessionService

from .claims import EXT, LIS, PERSONAL_CLAIMS

# How long a login may take before its launch arrives (the platform's consent and redirect).
LOGIN_LIFETIME = 600


class KeyValueStore(Protocol):
    """A shared store of JSON values with expiry."""

    def get(self, key: str) -> Any | None:
        """Return the value under ``key``, or None when absent or expired."""

    def set(self, key: str, value: Any, ttl_seconds: int | None) -> None:
        """Store ``value`` under ``key`` (replacing any), kept for ``ttl_seconds``."""

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

    def take_value(self, key: str) -> Any:
        return self._store.take(self._prepare_key(key))

    def delete_value(self, key: str) -> None:
        self._store.delete(self._prepare_key(key))


def strip_personal_claims(body: Mapping[str, Any]) -> dict[str, Any]:
    """Return the launch claims without names, e-mail addresses or user names."""
    kept = {k: v for k, v in body.items() if k not in PERSONAL_CLAIMS}
    if isinstance(kept.get(EXT), Mapping):
        kept[EXT] = {k: v for k, v in kept[EXT].items() if k != "user_username"}
    if isinstance(kept.get(LIS), Mapping):
        kept[LIS] = {k: v for k, v in kept[LIS].items() if k != "person_sourcedid"}
    return kept


class StoreSessionService(SessionService):
    """pylti1p3's session service: one login record per state, single-use, no personal data.

    A login keeps its nonce together with its parameters under the state (one write); the
    launch takes that record (one delete), so the nonce can be used once only and only with
    the state it was issued with.
    """

    _storage: StoreLaunchDataStorage

    def __init__(self, storage: StoreLaunchDataStorage, launch_lifetime: int) -> None:
        self._storage = storage
        self.data_storage = storage
        self._launch_data_lifetime = launch_lifetime
        self._nonce: str | None = None

    def set_data_storage(self, data_storage: LaunchDataStorage[Any]) -> None:
        # The storage is fixed at construction; pylti1p3 may call this again.
        return None

    def save_nonce(self, nonce: str) -> None:
        # Written with the state's parameters, which pylti1p3 saves next.
        self._nonce = nonce

    def save_state_params(self, state: str, params: dict[str, object]) -> None:
        record = {"params": params, "nonce": self._nonce}
        self._storage.set_value(self._get_key(state), record, LOGIN_LIFETIME)

    def take_login(self, state: str) -> dict[str, Any] | None:
        """Remove the login record of ``state`` and return it (None if unknown or taken)."""
        record = self._storage.take_value(self._get_key(state))
        return record if isinstance(record, dict) else None

    def check_nonce(self, nonce: str) -> bool:
        # A nonce alone proves nothing here: Qadam checks it against the login record of its
        # state (take_login). Refuse, should anything call pylti1p3's check.
        return False

    def save_launch_data(self, key: str, jwt_body: Mapping[str, Any]) -> None:
        super().save_launch_data(key, strip_personal_claims(jwt_body))
