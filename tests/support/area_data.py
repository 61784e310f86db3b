"""Generated schools for the area figures: mapped schools, classes of 3 to 35, answers written
straight to the tables, waves closed through the service (which freezes their results)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select

from app.content import Catalog
from app.content_catalog import catalog
from app.extensions import db
from app.models import (
    Area,
    Deployment,
    LessonDelivery,
    Membership,
    Person,
    Platform,
    QuizAttempt,
    School,
    SchoolClass,
    SurveyResponse,
    SurveyWave,
    SurveyWindow,
)
from app.services import area_results, areas, surveys

SURVEY = "fixture-grades-5-11"
OPENS = date(2025, 9, 15)  # the autumn half of 2025-26
CLOSES = date(2025, 10, 20)
FINAL = date(2026, 2, 1)
FINISHED = datetime(2025, 10, 1, 10, 0, tzinfo=UTC)
PERIOD = area_results.period_of(OPENS)


@dataclass
class Country:
    """What was generated: per school its district and its classes' true answers."""

    schools: dict[int, str] = field(default_factory=dict)  # school id -> district
    waves: dict[int, int] = field(default_factory=dict)  # school id -> wave id
    classes: dict[int, int] = field(default_factory=dict)  # class id -> school id
    rosters: dict[int, tuple[int, int | None]] = field(default_factory=dict)  # respondents, roster


def _platform() -> tuple[int, int]:
    platform = db.session.scalars(select(Platform)).first()
    if platform is None:
        platform = Platform(
            issuer="https://moodle.generated.test",
            client_id="generated",
            auth_login_url="https://moodle.generated.test/auth",
            auth_token_url="https://moodle.generated.test/token",
        )
        db.session.add(platform)
        db.session.flush()
    deployment = db.session.scalars(
        select(Deployment).where(Deployment.platform_id == platform.id)
    ).first()
    if deployment is None:
        deployment = Deployment(platform_id=platform.id, deployment_id="1")
        db.session.add(deployment)
        db.session.flush()
    return platform.id, deployment.id


def answers(rng: random.Random, size: int, share: float) -> list[dict[str, int]]:
    """``size`` respondents, each bullied (2+ a month) with probability ``share``; some skip."""
    rows = []
    for _ in range(size):
        given: dict[str, int] = {}
        if rng.random() > 0.05:
            given["bullied"] = rng.choice((2, 3, 4)) if rng.random() < share else rng.choice((0, 1))
        if rng.random() > 0.1:
            given["cyber-messages"] = 3 if rng.random() < share / 2 else 0
        if rng.random() > 0.1:
            given["told-friend"] = int(rng.random() < 0.5)
        rows.append(given)
    return rows


def generate(
    app: Any,
    rng: random.Random,
    schools_per_district: Mapping[str, int],
    *,
    classes: tuple[int, int] = (1, 5),
    sizes: tuple[int, int] = (3, 35),
    roster_share: float = 0.8,
) -> Country:
    """Schools in the given districts, each with a closed wave of the period, results frozen."""
    country = Country()
    with app.app_context():
        if db.session.scalar(select(Area.id).limit(1)) is None:
            areas.import_lists()
        platform_id, deployment_id = _platform()
        parents = {a.kato: a.parent_code for a in db.session.scalars(select(Area))}
        survey = catalog().survey(SURVEY)
        assert survey is not None
        for district, count in schools_per_district.items():
            for _ in range(count):
                school = School(
                    platform_id=platform_id,
                    key=f"param:{uuid.uuid4().hex}",
                    name=f"School in {district}",
                    kato_locality=district[:6] + "123",
                    kato_district=district,
                    kato_region=parents[district],
                    kato_version=areas.CURRENT_VERSION,
                )
                db.session.add(school)
                db.session.flush()
                wave = SurveyWave(
                    school_id=school.id,
                    code="2025-autumn",
                    opens_on=OPENS,
                    closes_on=CLOSES,
                    consent="opt-out",
                    instruments={"grades-5-9": SURVEY},
                    status="open",
                )
                db.session.add(wave)
                db.session.flush()
                country.schools[school.id] = district
                country.waves[school.id] = wave.id
                share = rng.choice((0.02, 0.1, 0.25, 0.5, 0.9))
                for c in range(rng.randint(*classes)):
                    size = rng.randint(*sizes)
                    school_class = SchoolClass(
                        platform_id=platform_id,
                        deployment_id=deployment_id,
                        school_id=school.id,
                        context_id=uuid.uuid4().hex,
                        title=f"{5 + c}A",
                        label=f"{5 + c}A",
                        band="basic",
                    )
                    db.session.add(school_class)
                    db.session.flush()
                    country.classes[school_class.id] = school.id
                    roster = size + rng.randint(0, 5) if rng.random() < roster_share else None
                    window = SurveyWindow(
                        wave_id=wave.id,
                        school_class_id=school_class.id,
                        age_group="grades-5-9",
                        survey_id=SURVEY,
                        survey_version=survey.version,
                        status="open",
                        opened_on=OPENS,
                        roster_size=roster,
                    )
                    db.session.add(window)
                    db.session.flush()
                    rows = answers(rng, size, share)
                    country.rosters[school_class.id] = (size, roster)
                    if rows:
                        db.session.execute(
                            insert(SurveyResponse.__table__),
                            [
                                {"id": uuid.uuid4().hex, "window_id": window.id, "answers": a}
                                for a in rows
                            ],
                        )
        db.session.commit()
        for wave_id in country.waves.values():
            wave = db.session.get(SurveyWave, wave_id)
            surveys.close_wave(wave, CLOSES, catalog())
    return country


def give_quiz_lessons(
    app: Any, class_ids: Iterable[int], lesson_id: str, quiz_id: str, rng: random.Random
) -> dict[int, tuple[int, int]]:
    """Each class was given the lesson in the period; its students (15 to 30) finish its quiz
    or not. Returns per class (finished, students)."""
    found = {}
    with app.app_context():
        platform_id, _deployment = _platform()
        for class_id in class_ids:
            db.session.add(
                LessonDelivery(school_class_id=class_id, lesson_id=lesson_id, given_on=OPENS)
            )
            students = rng.randint(15, 30)
            finished = 0
            for _ in range(students):
                person = Person(platform_id=platform_id, sub=uuid.uuid4().hex)
                db.session.add(person)
                db.session.flush()
                db.session.add(
                    Membership(person_id=person.id, school_class_id=class_id, role="student")
                )
                if rng.random() < 0.6:
                    finished += 1
                    db.session.add(
                        QuizAttempt(
                            person_id=person.id,
                            school_class_id=class_id,
                            quiz_id=quiz_id,
                            number=1,
                            submitted_at=FINISHED,
                            score=1.0,
                        )
                    )
            found[class_id] = (finished, students)
        db.session.commit()
    return found


def with_lesson_quiz(base: Catalog, lesson_id: str, quiz_id: str) -> Catalog:
    """The catalog with one lesson naming a quiz (the fixture lessons name none)."""
    lessons = tuple(
        replace(lesson, quiz=quiz_id) if lesson.id == lesson_id else lesson
        for lesson in base.lessons
    )
    return Catalog(lessons=lessons, quizzes=base.quizzes, surveys=base.surveys)
