"""The demo course and the people in it."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..claims import Role


@dataclass(frozen=True)
class DemoUser:
    key: str
    sub: str
    name: str
    roles: tuple[str, ...]
    custom: dict[str, str] = field(default_factory=dict)


COURSE_ID = "demo-7a"
# Qadam grants this user coordinator rights when it seeds the demo.
DEMO_COORDINATOR_SUB = "demo-coordinator-1"
COURSE_LABEL = "7A"


def demo_users() -> dict[str, DemoUser]:
    users = [
        DemoUser("teacher", "demo-teacher-1", "Aigerim Sultanova", (Role.INSTRUCTOR.value,)),
        DemoUser("student1", "demo-student-1", "Dana Nurlanqyzy", (Role.LEARNER.value,)),
        DemoUser("student2", "demo-student-2", "Arman Bekov", (Role.LEARNER.value,)),
        DemoUser(
            "coordinator",
            DEMO_COORDINATOR_SUB,
            "Gulnara Akhmetova",
            (Role.INSTRUCTOR.value, Role.INSTITUTION_STAFF.value),
        ),
    ]
    return {u.key: u for u in users}
