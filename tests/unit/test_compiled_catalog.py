"""The compiled catalog: rebuilt whenever what it was made from changes, never trusted blindly."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask

from app import content_catalog as cc
from app import create_app
from app.content import loader
from app.content.quiz_loader import load_content
from tests.conftest import CONTENT_ROOT

LESSON = Path("lessons/basic/emergency-help")
TRIPPED: list[str] = []


def _tripwire() -> str:
    TRIPPED.append("unpickled")
    return "not a catalog"


class Forged:
    """Unpickling this calls ``_tripwire``: it shows whether a payload was unpickled at all."""

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return (_tripwire, ())


@pytest.fixture
def content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(CONTENT_ROOT, root)
    return root


def make(content: Path, instance: Path, secret: str = "catalog-test-secret") -> Flask:
    return create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": secret,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "QADAM_CONTENT_ROOT": str(content),
            "QADAM_OUTBOX_WORKER": False,
        }
    )


def served(app: Flask) -> Any:
    with app.app_context():
        return cc.catalog()


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every full parse of the content, by root."""
    calls: list[Path] = []

    def counting(root: Path) -> Any:
        calls.append(root)
        return load_content(root)

    monkeypatch.setattr(cc, "load_from_disk", counting)
    return calls


def en_title(app: Flask) -> str:
    lesson = served(app).get("basic-emergency-help") or served(app).lessons[0]
    return str(lesson.text("en").title)


def test_the_second_start_loads_the_compiled_catalog(
    content: Path, tmp_path: Path, parses: list[Path]
) -> None:
    first = served(make(content, tmp_path / "instance"))
    assert len(parses) == 1
    assert (tmp_path / "instance" / cc.COMPILED_NAME).is_file()

    second = served(make(content, tmp_path / "instance"))
    assert len(parses) == 1  # not parsed again
    assert second == first
    assert second.get(first.lessons[0].id) == first.lessons[0]
    assert second.surveys, "the survey instruments are part of the compiled catalog"
    assert second.surveys == first.surveys
    assert second.survey_for("grades-5-9") == first.survey_for("grades-5-9")


def test_the_compiled_catalog_keeps_the_later_sessions(
    content: Path, tmp_path: Path, parses: list[Path]
) -> None:
    first = served(make(content, tmp_path / "instance"))
    second = served(make(content, tmp_path / "instance"))
    assert len(parses) == 1, "the second came from the compiled file"
    for lang in ("kk", "ru", "en"):
        sessions = second.get("basic-emergency-help").text(lang).sessions
        assert sorted(sessions) == [2, 3]
        assert sessions == first.get("basic-emergency-help").text(lang).sessions
        assert len(sessions[2].steps) == 4


@pytest.mark.parametrize(
    "change",
    [
        "edit a lesson text",
        "edit a quiz",
        "edit a survey instrument",
        "edit the glossary",
        "add a file",
        "remove a file",
        "rename a file",
    ],
)
def test_any_content_change_rebuilds_it(
    content: Path, tmp_path: Path, parses: list[Path], change: str
) -> None:
    instance = tmp_path / "instance"
    lesson = content / LESSON
    spare = lesson / "media" / "spare.svg"  # a file no lesson links to
    spare.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    before = served(make(content, instance))
    quiz = content / "quizzes/quiz/emergency-quiz.yaml"
    survey = content / "quizzes/survey/fixture-grades-5-11.yaml"
    if change == "edit a lesson text":
        en = lesson / "en.md"
        title = before.lessons[0].text("en").title
        en.write_text(en.read_text().replace(title, title + " (revised)", 1))
    elif change == "edit a quiz":
        quiz.write_text(quiz.read_text() + "\n# a comment changes the bytes, not the quiz\n")
    elif change == "edit a survey instrument":
        survey.write_text(survey.read_text().replace("en: Class survey (test)", "en: Revised", 1))
    elif change == "edit the glossary":
        glossary = content / "lessons/GLOSSARY.yaml"
        glossary.write_text(glossary.read_text() + "\n# a comment changes the bytes\n")
    elif change == "add a file":
        (lesson / "media" / "new.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    elif change == "remove a file":
        spare.unlink()
    else:
        spare.rename(lesson / "media" / "spare2.svg")

    after = served(make(content, instance))
    assert len(parses) == 2, "the changed content was not parsed again"
    if change == "edit a lesson text":
        assert after.lessons[0].text("en").title.endswith("(revised)")
    if change == "edit a survey instrument":
        assert after.survey("fixture-grades-5-11").title["en"] == "Revised"


def test_a_changed_loader_rebuilds_it(
    content: Path, tmp_path: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    code = tmp_path / "loader_copy.py"
    code.write_text("# version 1\n")
    monkeypatch.setattr(cc, "_CODE", [*cc._CODE, code])
    served(make(content, tmp_path / "instance"))
    code.write_text("# version 2\n")
    served(make(content, tmp_path / "instance"))
    assert len(parses) == 2


@pytest.mark.parametrize("damage", ["truncated", "flipped byte", "empty", "garbage"])
def test_a_damaged_file_is_rebuilt(
    content: Path, tmp_path: Path, parses: list[Path], damage: str
) -> None:
    instance = tmp_path / "instance"
    good = served(make(content, instance))
    path = instance / cc.COMPILED_NAME
    blob = path.read_bytes()
    damaged = {
        "truncated": blob[: len(blob) // 2],
        "flipped byte": blob[:-10] + bytes([blob[-10] ^ 0xFF]) + blob[-9:],
        "empty": b"",
        "garbage": b"\x80\x05not a pickle at all",
    }[damage]
    path.write_bytes(damaged)

    assert served(make(content, instance)) == good
    assert len(parses) == 2
    assert path.read_bytes() == blob  # written again, sound


def test_a_file_not_signed_with_the_secret_key_is_never_unpickled(
    content: Path, tmp_path: Path, parses: list[Path]
) -> None:
    instance = tmp_path / "instance"
    served(make(content, instance))
    key = cc.content_key(content)
    # Someone who can write the file but does not hold Qadam's secret key.
    cc.write_compiled(instance / cc.COMPILED_NAME, key, b"another secret", Forged())  # type: ignore[arg-type]
    TRIPPED.clear()

    catalog = served(make(content, instance))
    assert TRIPPED == []
    assert catalog.lessons
    assert len(parses) == 2


def test_a_catalog_built_with_another_secret_is_rebuilt(
    content: Path, tmp_path: Path, parses: list[Path]
) -> None:
    served(make(content, tmp_path / "instance", secret="one"))
    served(make(content, tmp_path / "instance", secret="two"))
    assert len(parses) == 2


def test_an_unreadable_compiled_file_is_ignored(
    content: Path, tmp_path: Path, parses: list[Path]
) -> None:
    instance = tmp_path / "instance"
    (instance / cc.COMPILED_NAME).mkdir(parents=True)  # neither readable nor replaceable
    assert served(make(content, instance)).lessons
    assert served(make(content, instance)).lessons
    assert len(parses) == 2


def test_content_with_problems_is_never_compiled(content: Path, tmp_path: Path) -> None:
    (content / LESSON / "kk.md").unlink()
    with pytest.raises(loader.ContentErrors):
        served(make(content, tmp_path / "instance"))
    assert not (tmp_path / "instance" / cc.COMPILED_NAME).exists()


def test_the_compiled_catalog_equals_the_slow_parse(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served(make(content, tmp_path / "instance"))
    payload = (tmp_path / "instance" / cc.COMPILED_NAME).read_bytes()
    header = len(cc.FORMAT) + 2 * 32  # the content key, then the HMAC (SHA-256 both)
    compiled = pickle.loads(payload[header:])  # noqa: S301 - our own file
    monkeypatch.setattr(loader, "FAST_LOADER", yaml.SafeLoader)  # the pure-Python parser
    assert compiled == load_content(content)


def test_content_check_stores_the_compiled_catalog(
    content: Path, tmp_path: Path, parses: list[Path]
) -> None:
    app = make(content, tmp_path / "instance")
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "Compiled catalog stored" in result.output
    served(make(content, tmp_path / "instance"))
    assert len(parses) == 1  # the check's parse; the server's start did not parse


def test_content_check_always_parses_in_full(
    content: Path, tmp_path: Path, parses: list[Path]
) -> None:
    served(make(content, tmp_path / "instance"))
    result = (
        make(content, tmp_path / "instance").test_cli_runner().invoke(args=["content", "check"])
    )
    assert result.exit_code == 0, result.output
    assert len(parses) == 2


def test_sound_content_is_parsed_without_line_tracking(
    content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    composed: list[str] = []
    compose = yaml.compose

    def counting(text: str, *args: Any, **kwargs: Any) -> Any:
        composed.append(text)
        return compose(text, *args, **kwargs)

    monkeypatch.setattr(yaml, "compose", counting)
    assert load_content(content).surveys
    assert composed == []  # quizzes, surveys and lessons: the fast loader alone

    survey = content / "quizzes/survey/fixture-grades-5-11.yaml"
    lines = survey.read_text().splitlines()
    at = lines.index("register: informal") + 1
    survey.write_text(survey.read_text().replace("register: informal", "register: chatty"))
    with pytest.raises(loader.ContentErrors) as raised:
        load_content(content)
    assert [(p.line, p.field) for p in raised.value.problems] == [(at, "register")]
    assert len(composed) == 1  # only the file with a problem, for its lines
