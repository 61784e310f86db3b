"""Registered platforms and deployments: adding, listing, and looking them up for LTI."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lti import PlatformRecord

from ..extensions import db
from ..models import Deployment, Platform


class PlatformInputError(ValueError):
    """A platform registration was refused; the message says why in plain words."""


@dataclass(frozen=True)
class PlatformSpec:
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    jwks_url: str | None = None
    key_set: dict[str, Any] | None = None
    name: str = ""
    auth_audience: str | None = None
    product: str = ""


def _check_url(value: str | None, label: str, *, required: bool = True) -> None:
    if not value:
        if required:
            raise PlatformInputError(f"{label} is required.")
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PlatformInputError(f"{label} must be an http or https URL, not {value!r}.")


def _validate(spec: PlatformSpec) -> None:
    _check_url(spec.issuer, "The issuer")
    if not spec.client_id.strip():
        raise PlatformInputError("The client id is required.")
    _check_url(spec.auth_login_url, "The authentication request URL")
    _check_url(spec.auth_token_url, "The access token URL")
    _check_url(spec.jwks_url, "The public keyset URL", required=spec.key_set is None)
    if spec.key_set is not None and not isinstance(spec.key_set.get("keys"), list):
        raise PlatformInputError("The fixed key set must be a JWKS (an object with 'keys').")


class IfRegistered(StrEnum):
    """What :func:`save_platform` does when the issuer and client id are already registered."""

    # Dynamic registration: a registered platform is never touched.
    REFUSE = "refuse"
    # ``platform add``: add deployments, but refuse to change the URLs or keys.
    ADD_DEPLOYMENTS = "add_deployments"
    # ``platform add --replace`` and the demo seed: the operator replaces URLs and keys.
    REPLACE = "replace"


class PlatformExists(PlatformInputError):
    """The platform is registered and the caller may not change it that way."""


def _endpoints(source: PlatformSpec | Platform) -> tuple[Any, ...]:
    """What a launch trusts: where to log in, where tokens come from, which keys sign."""
    return (
        source.auth_login_url,
        source.auth_token_url,
        source.auth_audience,
        source.jwks_url,
        source.key_set,
    )


def _check_existing(platform: Platform, spec: PlatformSpec, if_registered: IfRegistered) -> None:
    if if_registered is IfRegistered.REFUSE:
        raise PlatformExists(
            f"{spec.issuer} (client {spec.client_id}) is already registered; it is not changed "
            "by a registration from the platform. To replace its URLs and keys run "
            "'flask platform add ... --replace'."
        )
    if if_registered is IfRegistered.ADD_DEPLOYMENTS and _endpoints(spec) != _endpoints(platform):
        raise PlatformExists(
            f"{spec.issuer} (client {spec.client_id}) is already registered with other URLs or "
            "keys; they are kept. Give the same URLs to add deployments, or add --replace to "
            "replace them."
        )


def save_platform(
    spec: PlatformSpec,
    deployment_ids: Iterable[str],
    *,
    registered_by: str = "cli",
    if_registered: IfRegistered = IfRegistered.ADD_DEPLOYMENTS,
) -> Platform:
    """Register the platform ``(issuer, client_id)`` and add deployments to it.

    A platform already registered is refused, given deployments only, or replaced, as
    ``if_registered`` says; nothing is changed when it is refused.
    """
    _validate(spec)
    deployments = [d.strip() for d in deployment_ids if d and d.strip()]
    platform = db.session.scalar(
        select(Platform).where(Platform.issuer == spec.issuer, Platform.client_id == spec.client_id)
    )
    if platform is not None:
        _check_existing(platform, spec, if_registered)
    else:
        platform = Platform(
            issuer=spec.issuer, client_id=spec.client_id, registered_by=registered_by
        )
        db.session.add(platform)
    platform.name = spec.name or platform.name or urlsplit(spec.issuer).netloc
    platform.auth_login_url = spec.auth_login_url
    platform.auth_token_url = spec.auth_token_url
    platform.auth_audience = spec.auth_audience
    platform.jwks_url = spec.jwks_url
    platform.key_set = spec.key_set
    platform.product = spec.product or platform.product or ""
    known = {d.deployment_id for d in platform.deployments}
    for deployment_id in deployments:
        if deployment_id not in known:
            platform.deployments.append(Deployment(deployment_id=deployment_id))
            known.add(deployment_id)
    db.session.commit()
    registrations().clear()
    return platform


def list_platforms() -> list[Platform]:
    """All platforms with their deployments, oldest first."""
    return list(
        db.session.scalars(
            select(Platform).options(selectinload(Platform.deployments)).order_by(Platform.id)
        )
    )


def find_platform(issuer: str, client_id: str) -> Platform | None:
    return db.session.scalar(
        select(Platform).where(Platform.issuer == issuer, Platform.client_id == client_id)
    )


def find_deployment(platform: Platform, deployment_id: str) -> Deployment | None:
    return db.session.scalar(
        select(Deployment).where(
            Deployment.platform_id == platform.id, Deployment.deployment_id == deployment_id
        )
    )


def platform_origins() -> list[str]:
    """The web origins of every platform, for frame-ancestors and form-action."""
    rows = db.session.execute(select(Platform.issuer, Platform.auth_login_url)).all()
    origins: set[str] = set()
    for row in rows:
        for url in row:
            parts = urlsplit(url or "")
            if parts.scheme in ("http", "https") and parts.netloc:
                origins.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(origins)


def _record(platform: Platform) -> PlatformRecord:
    return PlatformRecord(
        issuer=platform.issuer,
        client_id=platform.client_id,
        auth_login_url=platform.auth_login_url,
        auth_token_url=platform.auth_token_url,
        jwks_url=platform.jwks_url,
        key_set=platform.key_set,
        auth_audience=platform.auth_audience,
        deployment_ids=frozenset(d.deployment_id for d in platform.deployments),
    )


@dataclass(frozen=True)
class Registration:
    """A platform as launches need it: the LTI record and the database ids."""

    platform_id: int
    deployment_pks: Mapping[str, int]
    record: PlatformRecord


class RegistrationCache:
    """Registrations read from the database, kept for a few seconds per process.

    Every launch needs its platform two or three times; registrations change rarely. A
    change made in this process is seen at once, one made by another worker within ``ttl``.
    """

    def __init__(self, ttl: float = 30.0, max_entries: int = 256) -> None:
        self.ttl = ttl
        # Misses are kept too (a login names any issuer it likes), so the size is bounded.
        self.max_entries = max_entries
        self._entries: dict[tuple[str, str | None], tuple[float, Registration | None]] = {}

    def clear(self) -> None:
        self._entries.clear()

    def get(self, issuer: str, client_id: str | None) -> Registration | None:
        key = (issuer, client_id)
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        found = _load_registration(issuer, client_id)
        if len(self._entries) >= self.max_entries:
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
        self._entries[key] = (now + self.ttl, found)
        return found


def _load_registration(issuer: str, client_id: str | None) -> Registration | None:
    query = (
        select(Platform)
        .options(selectinload(Platform.deployments))
        .where(Platform.issuer == issuer)
    )
    if client_id is not None:
        query = query.where(Platform.client_id == client_id)
    found = list(db.session.scalars(query.limit(2)))
    if len(found) != 1:
        return None
    platform = found[0]
    return Registration(
        platform_id=platform.id,
        deployment_pks={d.deployment_id: d.id for d in platform.deployments},
        record=_record(platform),
    )


def registrations() -> RegistrationCache:
    """The registration cache of the running application."""
    cache = current_app.extensions.get("qadam_registrations")
    if cache is None:
        cache = current_app.extensions["qadam_registrations"] = RegistrationCache()
    return cache


class DatabaseRegistrationLookup:
    """Implements :class:`lti.RegistrationLookup` on the platform tables."""

    def find_platform(self, issuer: str, client_id: str | None) -> PlatformRecord | None:
        found = registrations().get(issuer, client_id)
        return None if found is None else found.record

    def issuer_known(self, issuer: str) -> bool:
        return (
            db.session.scalar(select(Platform.id).where(Platform.issuer == issuer).limit(1))
            is not None
        )
