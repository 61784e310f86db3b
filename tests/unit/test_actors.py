"""Role mapping: IMS role URIs to teacher, student or coordinator."""

from __future__ import annotations

import pytest

from app.services.actors import ActorRole, classify_roles
from lti.claims import normalize_role

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([LIS + "membership#Instructor"], ActorRole.TEACHER),
        ([LIS + "membership/Instructor#TeachingAssistant"], ActorRole.TEACHER),
        ([LIS + "membership#Learner"], ActorRole.STUDENT),
        ([LIS + "institution/person#Student"], ActorRole.STUDENT),
        (
            [LIS + "institution/person#Administrator", LIS + "membership#Instructor"],
            ActorRole.COORDINATOR,
        ),
        ([LIS + "system/person#Administrator"], ActorRole.COORDINATOR),
        ([LIS + "membership#Instructor", LIS + "membership#Learner"], ActorRole.TEACHER),
        ([LIS + "membership#Mentor"], None),
        ([], None),
        # The course role decides: institution roles elsewhere never lift a learner here.
        ([LIS + "institution/person#Faculty", LIS + "membership#Learner"], ActorRole.STUDENT),
        ([LIS + "institution/person#Instructor", LIS + "membership#Learner"], ActorRole.STUDENT),
        ([LIS + "institution/person#Administrator", LIS + "membership#Learner"], ActorRole.STUDENT),
        ([LIS + "institution/person#Faculty", LIS + "membership#Mentor"], None),
        ([LIS + "institution/person#Faculty"], ActorRole.TEACHER),
    ],
)
def test_classify_roles(roles: list[str], expected: ActorRole | None) -> None:
    assert classify_roles(roles) == expected


def test_short_role_names_are_accepted() -> None:
    assert normalize_role("Instructor") == LIS + "membership#Instructor"
    assert normalize_role(LIS + "membership#Learner") == LIS + "membership#Learner"
