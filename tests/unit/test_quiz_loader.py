"""The quiz loader reports every problem with file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.content import ContentErrors
from app.content.quiz_loader import load_content, load_quizzes

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "content"
QUIZ = "quizzes/quiz/emergency-quiz.yaml"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "content")
    return tmp_path / "content"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def problems(root: Path) -> str:
    with pytest.raises(ContentErrors) as caught:
        load_quizzes(root / "quizzes")
    return "\n".join(str(p) for p in caught.value.problems)


def line_of(path: Path, text: str, occurrence: int = 1) -> int:
    lines = [n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line]
    return lines[occurrence - 1]


def test_the_fixture_quiz_loads(root: Path) -> None:
    quiz = load_quizzes(root / "quizzes")["emergency-quiz"]
    assert [q.type for q in quiz.questions] == [
        "single",
        "multiple",
        "true-false",
        "scenario",
        "picture",
    ]
    assert quiz.questions[2].correct == {"true"}
    assert quiz.questions[4].options[0].image is not None


def test_a_correct_answer_that_is_not_an_option(root: Path) -> None:
    path = root / QUIZ
    edit(path, "    correct: cashier", "    correct: police")
    assert (
        f"{QUIZ}:{line_of(path, 'correct: police')}: question lost: correct: "
        "correct answer 'police' is not an option (cashier, hide, leave)" in problems(root)
    )


def test_options_that_differ_between_languages(root: Path) -> None:
    path = root / QUIZ
    edit(path, "          ru: Медсестра\n", "")
    found = problems(root)
    assert (
        f"{QUIZ}:{line_of(path, 'id: nurse') + 1}: question helpers: option nurse.text: " in found
    )
    assert "missing ru text" in found


def test_options_written_per_language_are_refused(root: Path) -> None:
    path = root / QUIZ
    text = path.read_text()
    start = text.index("    options:\n      - id: friend")
    end = text.index("    correct: firefighters")
    path.write_text(
        text[:start]
        + "    options:\n      kk: [Өрт сөндірушілер, Досым]\n      ru: [Пожарные]\n"
        + "      en: [Firefighters, A friend]\n"
        + text[end:]
    )
    assert "options differ between languages (kk 2, ru 1, en 2)" in problems(root)


def test_every_problem_at_once_with_lines(root: Path) -> None:
    path = root / QUIZ
    edit(path, "type: scenario", "type: essay")
    edit(path, "layout: one-per-screen", "layout: slides")
    edit(path, "          kk: Жоқ\n", "          kk: Жоқ, 112\n")
    edit(path, "          src: media/thumb-down.svg", "          src: media/missing.svg")
    edit(
        path,
        "        feedback:\n          kk: Дұрыс, кассир көмектеседі.",
        "        feedback:\n          kk: <b>Дұрыс</b>",
    )
    found = problems(root)
    assert f"{QUIZ}:{line_of(path, 'layout: slides')}: layout: 'slides' is not one of" in found
    assert f"{QUIZ}:{line_of(path, 'type: essay')}: question lost: type: required; one of" in found
    assert "help number 112 written in the text" in found
    assert "broken link: media/missing.svg does not exist" in found
    # A broken question is not checked further, so the HTML in its feedback is not reported;
    # every other question's problems are.
    assert found.count(QUIZ) == 4


def test_scenario_options_need_feedback_and_pictures_need_images(root: Path) -> None:
    path = root / QUIZ
    text = path.read_text()
    path.write_text(
        text.replace(
            "        image:\n          src: media/thumb-down.svg",
            "        x-image:\n          src: media/thumb-down.svg",
        )
    )
    edit(
        path,
        "        feedback:\n          kk: Жоқ, орныңда қал",
        "        remark:\n          kk: Жоқ, орныңда қал",
    )
    found = problems(root)
    assert "question lost: option leave.feedback: required" in found
    assert "question thumbs: option no.image: required: a picture question shows a picture" in found


def test_yaml_booleans_as_ids_get_a_hint(root: Path) -> None:
    path = root / QUIZ
    edit(path, '      - id: "yes"', "      - id: yes")
    assert "YAML reads yes/no/on/off as true/false; quote the id" in problems(root)


def test_a_lesson_and_its_quiz_are_checked_together(root: Path) -> None:
    meta = root / "lessons" / "basic" / "emergency-help" / "lesson.yaml"
    meta.write_text(meta.read_text() + "quiz: emergency-quiz\n")
    catalog = load_content(root)
    assert catalog.quiz("emergency-quiz") is not None
    assert catalog.lesson_of_quiz("emergency-quiz").id == "basic-emergency-help"
    edit(root / QUIZ, "band: basic", "band: primary")
    with pytest.raises(ContentErrors) as caught:
        load_content(root)
    assert "quiz 'emergency-quiz' is for primary, the lesson for basic" in str(caught.value)
