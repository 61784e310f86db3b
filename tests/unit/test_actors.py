"""Role mapping: IMS role URIs to teacher, student or coordinator."""

from __future__ import annotations

import pytest

from app.services.actors import ActorRole, classify_roles
from lti.claims import normalize_role

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


@pytest.mark.parametrize(
    ("roles", "custom", "expected"),
    [
        ([LIS + "membership#Instructor"], {}, ActorRole.TEACHER),
        ([LIS + "membership/Instructor#TeachingAssistant"], {}, ActorRole.TEACHER),
        ([LIS + "membership#Learner"], {}, ActorRole.STUDENT),
        ([LIS + "institution/person#Student"], {}, ActorRole.STUDENT),
        (
            [LIS + "institution/person#Administrator", LIS + "membership#Instructor"],
            {},
            ActorRole.COORDINATOR,
        ),
        ([LIS + "system/person#Administrator"], {}, ActorRole.COORDINATOR),
        ([LIS + "membership#Instructor"], {"qadam_role": "coordinator"}, ActorRole.COORDINATOR),
        ([LIS + "membership#Instructor"], {"qadam_role": " Coordinator "}, ActorRole.COORDINATOR),
        ([LIS + "membership#Learner"], {"qadam_role": "coordinator"}, ActorRole.STUDENT),
        ([LIS + "membership#Instructor", LIS + "membership#Learner"], {}, ActorRole.TEACHER),
        ([LIS + "membership#Mentor"], {}, None),
        ([], {}, None),
    ],
)
def test_classify_roles(
    roles: list[str], custom: dict[str, str], expected: ActorRole | None
) -> None:
    assert classify_roles(roles, custom, "qadam_role") == expected


def test_custom_claim_name_is_configurable() -> None:
    roles = [LIS + "membership#Instructor"]
    assert (
        classify_roles(roles, {"school_role": "coordinator"}, "school_role")
        == ActorRole.COORDINATOR
    )
    assert classify_roles(roles, {"qadam_role": "coordinator"}, "school_role") == ActorRole.TEACHER


def test_short_role_names_are_accepted() -> None:
    assert normalize_role("Instructor") == LIS + "membership#Instructor"
    assert normalize_role(LIS + "membership#Learner") == LIS + "membership#Learner"
