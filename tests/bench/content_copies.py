"""A content root with several copies of every lesson and quiz, for the cold-start benchmark."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

_ID = re.compile(r"^(id|quiz):\s*(\S+)\s*$", re.MULTILINE)


def _renamed(text: str, suffix: str) -> str:
    return _ID.sub(lambda m: f"{m.group(1)}: {m.group(2)}{suffix}", text)


def scaled_content(source: Path, target: Path, copies: int) -> Path:
    """``source``'s lessons/ and quizzes/ in ``target``, each lesson and quiz ``copies`` times.

    Copy n of a lesson or quiz gets the id ``<id>-copy<n>`` (and its lesson names the copied
    quiz), so the catalog holds ``copies`` times as much, all of it valid.
    """
    shutil.rmtree(target, ignore_errors=True)
    for folder in ("lessons", "quizzes"):
        shutil.copytree(source / folder, target / folder)
    for n in range(2, copies + 1):
        suffix = f"-copy{n}"
        for meta in sorted((source / "lessons").glob("*/*/lesson.yaml")):
            copy = target / "lessons" / meta.parent.parent.name / (meta.parent.name + suffix)
            shutil.copytree(meta.parent, copy)
            (copy / "lesson.yaml").write_text(_renamed(meta.read_text(), suffix))
        for quiz in sorted((source / "quizzes" / "quiz").glob("*.yaml")):
            copy = target / "quizzes" / "quiz" / f"{quiz.stem}{suffix}.yaml"
            copy.write_text(_renamed(quiz.read_text(), suffix))
    return target
