"""Pages address a student of grade 7 with сен / ты, and a student of grade 10 and a teacher
with сіз / вы, in Kazakh and Russian: the home page with its help block, a quiz, the survey's
help page, the talk page, and an error page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.content import AgeBand
from app.content_catalog import catalog
from app.extensions import db
from app.models import SchoolClass
from app.models.base import utc_today
from app.services import lessons, surveys
from tests.support.quiz_flow import LESSON, QUIZ_URL, quiz_setup

GRADE_7 = {"id": "course-7a", "title": "7A", "label": "7A"}
GRADE_10 = {"id": "course-10a", "title": "10A", "label": "10A"}

# (informal words, formal words) each page must show, by language.
HOME = {
    "kk": (["Сәлем!", "сезінбейсің"], ["Сәлеметсіз бе!", "сезінбейсіз"]),
    "ru": (["Привет!", "ты чувствуешь"], ["Здравствуйте!", "вы чувствуете"]),
}
QUIZ = {
    "kk": (["Жауаптарың бірден", "қайта аш:", "сезінбейсің"], ["Жауаптарыңыз", "сезінбейсіз"]),
    "ru": (["открой тест снова", "ты чувствуешь"], ["откройте тест снова", "вы чувствуете"]),
}
SURVEY_HELP = {
    "kk": (["егер саған немесе", "мектебіңдегі QR"], ["егер сізге немесе", "мектебіңіздегі QR"]),
    "ru": (["если тебе или", "в твоей школе"], ["если вам или", "в вашей школе"]),
}
TALK = {
    "kk": (["Кіммен сөйлескің келеді?", "сенің атыңды"], ["Кіммен сөйлескіңіз келеді?"]),
    "ru": (["С кем ты хочешь поговорить?", "твоё имя"], ["С кем вы хотите поговорить?"]),
}


class School:
    """A grade-7 class and a grade-10 class of one school, with the quiz and an open survey."""

    def __init__(self, app: Any, simulator: Any) -> None:
        self.app = app
        self.simulator = simulator
        self.windows: dict[str, int] = {}
        classes = (
            (GRADE_7, AgeBand.BASIC, 7, "grades-5-9"),
            (GRADE_10, AgeBand.UPPER, 10, "grades-10-11"),
        )
        for context, *_rest in classes:
            self.launch("instructor", context, "en")
        with app.app_context():
            today = utc_today()
            wave = None
            for context, band, grade, age_group in classes:
                school_class = db.session.scalars(
                    select(SchoolClass).where(SchoolClass.context_id == context["id"])
                ).one()
                lessons.set_band(school_class.id, band, grade)
                wave = wave or surveys.open_wave(
                    school_class.school_id or 0,
                    "2026-autumn",
                    today,
                    today + timedelta(days=14),
                    "opt-out",
                    surveys.default_instruments(catalog()),
                    catalog(),
                )
                window = surveys.open_window(wave, school_class, age_group, catalog(), today)
                self.windows[context["id"]] = window.id

    def launch(self, role: str, context: dict[str, str], lang: str) -> Any:
        client = self.app.test_client()
        response = self.simulator.launch(
            client,
            role,
            locale=lang,
            context=context,
            sub=f"{role}-{context['id']}",
            custom={"lesson": LESSON},
            resource_link=f"quiz-{context['id']}",
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
        return client


@pytest.fixture
def school(make_app: Any, httpserver: Any, tmp_path: Path) -> School:
    return School(*quiz_setup(make_app, httpserver, tmp_path))


def page(client: Any, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return str(response.get_data(as_text=True))


def assert_register(html: str, words: tuple[list[str], list[str]], *, informal: bool) -> None:
    shown, hidden = words if informal else words[::-1]
    for word in shown:
        assert word in html, f"{word!r} missing"
    for word in hidden:
        assert word not in html, f"{word!r} shown"


def student_pages(school: School, context: dict[str, str], lang: str) -> dict[str, str]:
    client = school.launch("learner", context, lang)
    window = school.windows[context["id"]]
    return {
        "home": page(client, "/student"),
        "quiz": page(client, QUIZ_URL),
        "survey help": page(client, f"/surveys/{window}/help"),
        "talk": page(client, "/talk/"),
    }


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_grade_7_student_is_addressed_with_sen(school: School, lang: str) -> None:
    pages = student_pages(school, GRADE_7, lang)
    assert_register(pages["home"], HOME[lang], informal=True)
    assert_register(pages["quiz"], QUIZ[lang], informal=True)
    assert_register(pages["survey help"], SURVEY_HELP[lang], informal=True)
    assert_register(pages["talk"], TALK[lang], informal=True)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_grade_10_student_is_addressed_with_siz(school: School, lang: str) -> None:
    pages = student_pages(school, GRADE_10, lang)
    assert_register(pages["home"], HOME[lang], informal=False)
    assert_register(pages["quiz"], QUIZ[lang], informal=False)
    assert_register(pages["survey help"], SURVEY_HELP[lang], informal=False)
    assert_register(pages["talk"], TALK[lang], informal=False)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_grade_7_teacher_is_addressed_with_siz(school: School, lang: str) -> None:
    html = page(school.launch("instructor", GRADE_7, lang), "/teacher")
    formal_help = HOME[lang][1][1]
    informal_help = HOME[lang][0][1]
    assert formal_help in html
    assert informal_help not in html


def test_a_refused_form_speaks_to_a_grade_7_student_with_sen(school: School) -> None:
    # The form token is checked before the launch is read; the error page still knows who
    # reads it.
    client = school.launch("learner", GRADE_7, "kk")
    response = client.post("/talk/", data={"csrf_token": "stale", "whom": "psychologist"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "сеансың аяқталды" in html
    assert "сеансыңыз" not in html
    assert "сезінбейсің" in html


def test_the_register_follows_the_band_recorded_at_launch(school: School) -> None:
    """A class moved to grade 10 is addressed with сіз from the students' next launch."""
    earlier = school.launch("learner", GRADE_7, "kk")
    with school.app.app_context():
        class_id = db.session.scalars(
            select(SchoolClass.id).where(SchoolClass.context_id == GRADE_7["id"])
        ).one()
        lessons.set_band(class_id, AgeBand.UPPER, 10)
    assert "сезінбейсің" in page(earlier, "/student")
    assert "сезінбейсіз" in page(school.launch("learner", GRADE_7, "kk"), "/student")
