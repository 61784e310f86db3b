"""pylti1p3's tool configuration, built from registration records the application passes in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract


@dataclass(frozen=True)
class PlatformRecord:
    """What the tool knows of one registered platform (issuer + client id)."""

    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    jwks_url: str | None = None
    key_set: dict[str, Any] | None = None
    auth_audience: str | None = None
    deployment_ids: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class ToolKey:
    """The tool's current signing key: PEM private key and its key id (the JWK thumbprint)."""

    kid: str
    private_pem: str
    public_pem: str


class RegistrationLookup(Protocol):
    """Finds registered platforms; the application implements it on its database."""

    def find_platform(self, issuer: str, client_id: str | None) -> PlatformRecord | None:
        """Return the platform for ``issuer`` and ``client_id``.

        With ``client_id`` None, return the issuer's only registration, or None if it has
        several or none.
        """

    def issuer_known(self, issuer: str) -> bool:
        """Tell whether any registration has this issuer."""


class LookupToolConf(ToolConfAbstract[Any]):
    """A pylti1p3 ToolConf that asks a :class:`RegistrationLookup` instead of a JSON file."""

    def __init__(self, lookup: RegistrationLookup, signing_key: ToolKey | None) -> None:
        super().__init__()
        self._lookup = lookup
        self._signing_key = signing_key
        self._cache: dict[tuple[str, str | None], PlatformRecord | None] = {}

    @property
    def lookup(self) -> RegistrationLookup:
        return self._lookup

    def platform(self, issuer: str, client_id: str | None) -> PlatformRecord | None:
        key = (issuer, client_id)
        if key not in self._cache:
            self._cache[key] = self._lookup.find_platform(issuer, client_id)
        return self._cache[key]

    # Every issuer may have several client ids; pylti1p3 keeps this map on the class.
    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        return self.find_registration_by_params(iss, None, *args, **kwargs)  # type: ignore[arg-type]

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Registration:
        record = self.platform(iss, client_id or None)
        if record is None:
            return None  # type: ignore[return-value]
        return self.registration_for(record)

    def registration_for(self, record: PlatformRecord) -> Registration:
        reg = Registration()
        reg.set_issuer(record.issuer)
        reg.set_client_id(record.client_id)
        reg.set_auth_login_url(record.auth_login_url)
        reg.set_auth_token_url(record.auth_token_url)
        if record.auth_audience:
            reg.set_auth_audience(record.auth_audience)
        reg.set_key_set_url(record.jwks_url)
        reg.set_key_set(record.key_set)  # type: ignore[arg-type]
        if self._signing_key is not None:
            reg.set_tool_private_key(self._signing_key.private_pem)
            reg.set_tool_public_key(self._signing_key.public_pem)
        return reg

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)  # type: ignore[arg-type]

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        record = self.platform(iss, client_id or None)
        if record is None or deployment_id not in record.deployment_ids:
            return None
        return Deployment().set_deployment_id(deployment_id)
