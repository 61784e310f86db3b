"""The tool's signing keys: publish first, sign later, retire when no longer needed.

A new key is published in the JWKS at once but signs nothing until it has been published
for ``activation_delay`` seconds, so platforms that cache the tool's JWKS see it before
they meet a token signed with it. Older keys stay published until retired.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select

from ..extensions import db
from ..models import ToolKey
from ..models.base import utcnow


class NewKey(Protocol):
    """A freshly generated key pair (``lti.GeneratedKey``)."""

    @property
    def kid(self) -> str: ...
    @property
    def private_pem(self) -> str: ...
    @property
    def public_pem(self) -> str: ...
    @property
    def public_jwk(self) -> dict[str, Any]: ...


class KeyRetirementError(ValueError):
    """The key cannot be retired; the message says why."""


def active_keys() -> list[ToolKey]:
    """Keys not yet retired, oldest first."""
    return list(
        db.session.scalars(
            select(ToolKey)
            .where(ToolKey.retired_at.is_(None))
            .order_by(ToolKey.created_at, ToolKey.id)
        )
    )


def all_keys() -> list[ToolKey]:
    return list(db.session.scalars(select(ToolKey).order_by(ToolKey.created_at, ToolKey.id)))


def signing_key(activation_delay: int, now: datetime | None = None) -> ToolKey | None:
    """The key to sign with: the newest one published long enough, else the oldest one."""
    keys = active_keys()
    if not keys:
        return None
    cutoff = (now or utcnow()) - timedelta(seconds=activation_delay)
    ready = [k for k in keys if k.created_at <= cutoff]
    return ready[-1] if ready else keys[0]


def add_key(new_key: NewKey) -> ToolKey:
    """Store and publish a newly generated key."""
    key = ToolKey(
        kid=new_key.kid,
        private_pem=new_key.private_pem,
        public_pem=new_key.public_pem,
        public_jwk=new_key.public_jwk,
    )
    db.session.add(key)
    db.session.commit()
    return key


def ensure_key(generate: Callable[[], NewKey]) -> ToolKey:
    """Return a usable key, generating the first one when there is none."""
    keys = active_keys()
    if keys:
        return keys[0]
    return add_key(generate())


def retire_key(kid: str, activation_delay: int) -> ToolKey:
    """Remove a key from the JWKS. The key that signs now cannot be retired."""
    key = db.session.scalar(select(ToolKey).where(ToolKey.kid == kid))
    if key is None:
        raise KeyRetirementError(f"No key with id {kid}.")
    if key.retired_at is not None:
        raise KeyRetirementError(f"Key {kid} is already retired.")
    current = signing_key(activation_delay)
    if current is not None and current.id == key.id:
        raise KeyRetirementError(
            f"Key {kid} is the key Qadam signs with now; rotate first and wait until the new key "
            "signs."
        )
    key.retired_at = utcnow()
    db.session.commit()
    return key


def published_jwks() -> list[dict[str, Any]]:
    """The public JWKs of every key not retired."""
    return [dict(k.public_jwk) for k in active_keys()]
