"""The content loader reports every problem at once, with file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.content import ContentErrors, load_catalog
from app.content.render import fill_placeholders, render

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "content" / "lessons"
LESSON = "basic/emergency-help"


@pytest.fixture
def lessons(tmp_path: Path) -> Path:
    root = tmp_path / "lessons"
    shutil.copytree(FIXTURE, root)
    return root


def problems(root: Path, quizzes: tuple[str, ...] = ()) -> list[str]:
    with pytest.raises(ContentErrors) as caught:
        load_catalog(root, quizzes=quizzes)
    return [str(p) for p in caught.value.problems]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_fixture_lesson_loads(lessons: Path) -> None:
    catalog = load_catalog(lessons)
    [lesson] = catalog.lessons
    assert lesson.id == "basic-emergency-help"
    assert set(lesson.texts) == {"kk", "ru", "en"}
    steps = lesson.texts["en"].sections["steps"]
    assert len(steps.items) == len(lesson.step_minutes) == 4
    assert steps.items[0].startswith("<p><strong>Hello circle.</strong>")


def test_every_problem_is_reported_at_once_with_file_line_and_field(lessons: Path) -> None:
    folder = lessons / LESSON
    edit(folder / "lesson.yaml", "topic: emergency-help", "topic: fire-drills")
    edit(folder / "lesson.yaml", "step_minutes: [2, 3, 3, 2]", "step_minutes: [2, 3, 3, 3]")
    (folder / "kk.md").unlink()
    edit(folder / "ru.md", "## Поговорим {#discussion}", "## Поговорим {#talk}")
    edit(folder / "en.md", "with toy phones:", "with toy phones <script>alert(1)</script>:")
    edit(
        folder / "en.md",
        "## Talk about it {#discussion}\n",
        "## Talk about it {#discussion}\n\n![](media/phone.png)\n[map](media/map.pdf)\n",
    )
    edit(folder / "en.md", "calls {{emergency}}.", "calls 112.")
    found = problems(lessons, quizzes=())
    expected_fragments = [
        f"lessons/{LESSON}/lesson.yaml:6: topic: unknown topic 'fire-drills'",
        f"lessons/{LESSON}/lesson.yaml:9: step_minutes: the steps add up to 11 minutes",
        f"lessons/{LESSON}/kk.md:1: language: missing kk text",
        f"lessons/{LESSON}/ru.md:",
        "section: unknown section id {#talk}",
        "section discussion: missing",
        f"lessons/{LESSON}/en.md:",
        "section activity: contains HTML that sanitising would remove",
        "section discussion: image without alt text",
        "section discussion: broken link: media/phone.png does not exist",
        "section discussion: broken link: media/map.pdf does not exist",
        "help number 112 written in the text",
    ]
    joined = "\n".join(found)
    for fragment in expected_fragments:
        assert fragment in joined, f"{fragment!r} not in:\n{joined}"


def test_line_numbers_point_at_the_right_line(lessons: Path) -> None:
    path = lessons / LESSON / "en.md"
    edit(path, "## What to say {#say}", "## What to say {#sey}")
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "{#sey}" in text)
    assert any(f"en.md:{line}: section: unknown section id" in p for p in problems(lessons))


def test_unknown_band_duplicate_id_and_missing_quiz(lessons: Path) -> None:
    shutil.copytree(lessons / LESSON, lessons / "basic" / "copy")
    shutil.copytree(lessons / "basic", lessons / "nursery")
    edit(lessons / LESSON / "lesson.yaml", "repeat: true", "repeat: true\nquiz: no-such-quiz")
    found = "\n".join(problems(lessons))
    assert "lessons/nursery:1: band: unknown band folder 'nursery'" in found
    assert "basic/emergency-help/lesson.yaml:1: id: duplicate id 'basic-emergency-help'" in found
    assert "lesson.yaml:11: quiz: no quiz 'no-such-quiz' in quizzes/quiz/" in found


def test_known_quiz_is_accepted(lessons: Path) -> None:
    edit(lessons / LESSON / "lesson.yaml", "repeat: true", "repeat: true\nquiz: emergency-quiz")
    [lesson] = load_catalog(lessons, quizzes=("emergency-quiz",)).lessons
    assert lesson.quiz == "emergency-quiz"


def test_minutes_must_suit_the_format(lessons: Path) -> None:
    edit(lessons / LESSON / "lesson.yaml", "minutes: 10", "minutes: 30")
    assert any("a micro lesson takes 10–10 minutes, not 30" in p for p in problems(lessons))


def test_unknown_placeholder_and_front_matter(lessons: Path) -> None:
    path = lessons / LESSON / "en.md"
    edit(path, "{{emergency}}", "{{helpline}}")
    edit(path, "title: Who helps when something is wrong\n", "")
    found = "\n".join(problems(lessons))
    assert "unknown placeholder {{helpline}}" in found
    assert "en.md:1: title: required text" in found


def test_rendering_is_sanitised_and_links_open_safely() -> None:
    html = render(
        "[site](https://example.kz) <img src=x onerror=alert(1)> [js](javascript:alert(1))"
    )
    assert 'target="_blank"' in html
    assert 'rel="noopener noreferrer"' in html
    assert "onerror" not in html
    assert "javascript:" not in html


def test_placeholders_are_filled_and_escaped() -> None:
    assert fill_placeholders("<p>call {{emergency}}</p>", {"emergency": "112"}) == "<p>call 112</p>"
    assert fill_placeholders("{{centre_name}}", {"centre_name": "<b>"}) == "&lt;b&gt;"
    assert fill_placeholders("{{centre_name}}", {"centre_name": "<b>"}, escape=False) == "<b>"
