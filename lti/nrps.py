"""Names and Role Provisioning Services: the course roster, read when a teacher asks."""

from __future__ import annotations

from dataclasses import dataclass

from pylti1p3.names_roles import NamesRolesProvisioningService

from .claims import normalize_role
from .services import connector, service_errors
from .tool import LookupToolConf


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    roles: tuple[str, ...]
    active: bool


def fetch_roster(tool_conf: LookupToolConf, issuer: str, client_id: str, url: str) -> list[Member]:
    """Every member of the course at ``url``, all pages. Raises ServiceError on failure."""
    platform = connector(tool_conf, issuer, client_id)
    service = NamesRolesProvisioningService(platform, {"context_memberships_url": url})
    try:
        with service_errors():
            members = service.get_members()
    finally:
        platform.close()
    roster = []
    for member in members:
        name = member.get("name") or " ".join(
            part for part in (member.get("given_name"), member.get("family_name")) if part
        )
        roster.append(
            Member(
                user_id=str(member["user_id"]),
                name=str(name or ""),
                roles=tuple(normalize_role(r) for r in member.get("roles") or ()),
                active=member.get("status", "Active") == "Active",
            )
        )
    return roster
