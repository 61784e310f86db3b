"""Registration invitations: single-use, expiring secrets that let one Moodle register itself.

Only the SHA-256 of a token is stored, in the LTI key-value store, so the database never holds a
usable invitation. An invitation is *claimed* (removed in one statement) while a registration
talks to the platform, and *released* again if that registration fails, so a platform's refusal
does not cost the administrator the invitation, yet two confirmations cannot both use it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from ..extensions import db
from ..models import LtiStoreEntry
from ..models.base import utcnow
from .lti_store import DatabaseKeyValueStore

KEY_PREFIX = "registration-invite-"
# Invitations are listed and revoked by the start of their hash: enough to tell them apart,
# and of no use for registering.
ID_LENGTH = 10
_LISTED_ID = re.compile(rf"[0-9a-fA-F]{{{ID_LENGTH},64}}")
MAX_TOKEN_LENGTH = 100
MAX_LIFETIME = timedelta(days=90)


class InviteInputError(ValueError):
    """An invitation could not be made or revoked; the message says why in plain words."""


@dataclass(frozen=True)
class Invite:
    """An open invitation as the operator sees it (never with its token)."""

    id: str
    digest: str
    created_at: datetime
    expires_at: datetime
    note: str


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _key(digest: str) -> str:
    return KEY_PREFIX + digest


def _invite(digest: str, value: dict[str, str]) -> Invite:
    return Invite(
        id=digest[:ID_LENGTH],
        digest=digest,
        created_at=datetime.fromisoformat(value["created_at"]),
        expires_at=datetime.fromisoformat(value["expires_at"]),
        note=value.get("note", ""),
    )


def create_invite(lifetime: timedelta, note: str = "") -> tuple[str, Invite]:
    """Make an invitation valid for ``lifetime``; return its token (shown once) and itself."""
    if lifetime <= timedelta(0) or lifetime > MAX_LIFETIME:
        raise InviteInputError("An invitation lasts between one minute and 90 days.")
    token = secrets.token_urlsafe(32)
    digest = token_digest(token)
    now = utcnow()
    value = {
        "created_at": now.isoformat(),
        "expires_at": (now + lifetime).isoformat(),
        "note": note.strip()[:200],
    }
    DatabaseKeyValueStore().set(_key(digest), value, int(lifetime.total_seconds()))
    return token, _invite(digest, value)


def find_invite(token: str) -> Invite | None:
    """The open invitation with this token, or None (unknown, used, revoked or expired)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    digest = token_digest(token)
    value = DatabaseKeyValueStore().get(_key(digest))
    return _invite(digest, value) if isinstance(value, dict) else None


def claim_invite(token: str) -> Invite | None:
    """Take the invitation for one registration attempt; None if another has it or it is gone."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    digest = token_digest(token)
    value = DatabaseKeyValueStore().take(_key(digest))
    return _invite(digest, value) if isinstance(value, dict) else None


def release_invite(invite: Invite) -> None:
    """Give back a claimed invitation after a failed attempt, with its original expiry."""
    # Whatever the failed registration left half-written is dropped, not committed with it.
    db.session.rollback()
    remaining = (invite.expires_at - utcnow()).total_seconds()
    if remaining < 1:
        return
    value = {
        "created_at": invite.created_at.isoformat(),
        "expires_at": invite.expires_at.isoformat(),
        "note": invite.note,
    }
    DatabaseKeyValueStore().set(_key(invite.digest), value, int(remaining))


def open_invites() -> list[Invite]:
    """Invitations not yet used, revoked or expired, oldest first."""
    rows = db.session.execute(
        select(LtiStoreEntry.key, LtiStoreEntry.value).where(
            LtiStoreEntry.key.startswith(KEY_PREFIX, autoescape=True),
            LtiStoreEntry.expires_at > utcnow(),
        )
    ).all()
    found = [
        _invite(key.removeprefix(KEY_PREFIX), value)
        for key, value in rows
        if isinstance(value, dict)
    ]
    return sorted(found, key=lambda invite: invite.created_at)


def _digest_prefix(reference: str) -> str:
    # An id as listed (the start of the hash), or the registration URL or token itself.
    reference = reference.strip()
    if _LISTED_ID.fullmatch(reference):
        return reference.lower()
    token = urlsplit(reference).path.rstrip("/").rsplit("/", 1)[-1]
    return token_digest(token)


def revoke_invite(reference: str) -> Invite:
    """Delete an open invitation, named by its id (as listed) or by its registration URL."""
    prefix = _digest_prefix(reference)
    matches = [i for i in open_invites() if i.digest.startswith(prefix)]
    if len(matches) != 1:
        raise InviteInputError(f"No open invitation is {reference!r}.")
    DatabaseKeyValueStore().delete(_key(matches[0].digest))
    return matches[0]
