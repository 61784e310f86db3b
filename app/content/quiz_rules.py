"""Rules for quiz items that depend on the age band: grades 1–4 and preschool get no
"choose all that apply" questions (negative marking is not for young children)."""

from __future__ import annotations

from pathlib import Path

import yaml

from . import schema as s
from .loader import ContentProblem, Report, parse_yaml
from .quiz_schema import QuestionType
from .yaml_fields import FileReport

NO_MULTIPLE_BANDS = frozenset({s.AgeBand.PRESCHOOL.value, s.AgeBand.PRIMARY.value})


def young_multiple_problems(quizzes_dir: Path) -> list[ContentProblem]:
    """Every ``multiple`` question in a preschool or primary quiz, at the line of its type."""
    report = Report(quizzes_dir.parent)
    for path in sorted((quizzes_dir / "quiz").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        try:
            data = parse_yaml(text)
        except yaml.YAMLError:
            continue  # the quiz loader reports it
        if not isinstance(data, dict) or data.get("band") not in NO_MULTIPLE_BANDS:
            continue
        r = FileReport(report, path, text)  # lines composed only for a question to report
        questions = data.get("questions")
        for index, item in enumerate(questions if isinstance(questions, list) else []):
            if isinstance(item, dict) and item.get("type") == QuestionType.MULTIPLE.value:
                r.add(
                    ("questions", index, "type"),
                    f"question {item.get('id', index + 1)}: type",
                    f"no multiple-response questions for {data['band']}: use single, picture, "
                    "scenario or true-false",
                )
    return report.problems
