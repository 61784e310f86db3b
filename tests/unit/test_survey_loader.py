"""The survey loader: instruments load as data, and every problem is named with file, line and
field, all at once."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from app.content import ContentErrors
from app.content.glossary import glossary_problems
from app.content.quiz_loader import load_content
from app.content.survey_loader import load_surveys
from app.content.survey_schema import AgeGroup, IndicatorRule, ReportedAs, Respondent
from tests.conftest import CONTENT_ROOT

SURVEYS = "quizzes/survey"
OLDER = f"{SURVEYS}/fixture-grades-5-11.yaml"
YOUNG = f"{SURVEYS}/fixture-grades-1-2.yaml"
PRESCHOOL = f"{SURVEYS}/fixture-preschool.yaml"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT_ROOT, copy)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, fragment: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if fragment in line)


def problems(root: Path) -> list[str]:
    with pytest.raises(ContentErrors) as caught:
        load_surveys(root / "quizzes")
    return [str(p) for p in caught.value.problems]


def test_the_fixture_instruments_load_one_per_age_group(root: Path) -> None:
    catalog = load_content(root)
    assert sorted(catalog.surveys) == [
        "fixture-grades-1-2",
        "fixture-grades-3-4",
        "fixture-grades-5-11",
        "fixture-preschool",
    ]
    for group in AgeGroup:
        survey = catalog.survey_for(group)
        assert survey is not None, group
        assert group in survey.age_groups
    assert catalog.survey_for("grades-10-11") is catalog.survey("fixture-grades-5-11")
    assert catalog.survey(None) is None
    assert catalog.survey("nope") is None
    preschool = catalog.survey_for(AgeGroup.PRESCHOOL)
    assert preschool is not None
    assert preschool.respondent is Respondent.TEACHER


def test_an_instrument_carries_its_scales_items_and_indicators(root: Path) -> None:
    survey = load_surveys(root / "quizzes")["fixture-grades-5-11"]
    assert survey.version == 1
    assert survey.definition is not None
    assert not survey.read_aloud
    assert [i.id for i in survey.items] == ["bullied", "cyber-messages", "told-friend"]
    frequency = survey.scales["frequency5"]
    assert [o.value for o in frequency.options] == [0, 1, 2, 3, 4]
    assert survey.scale_of("told-friend") == survey.scales["yes-no"]
    assert survey.scales["yes-no"].value_of("yes") == 1
    bullied = survey.indicator("bullied-2m-v1")
    assert bullied is not None
    assert bullied.reported_as is ReportedAs.PREVALENCE
    assert bullied.rule is IndicatorRule.ANY_AT_LEAST
    assert (bullied.scale, bullied.threshold, bullied.threshold_value) == (
        "frequency5",
        "two-three-a-month",
        2,
    )
    assert bullied.qualifying_values == (2, 3, 4)
    told = survey.indicator("told-anyone-v1")
    assert told is not None
    assert told.qualifying_values == (1,)


def test_an_indicator_counts_a_respondent_by_its_rule(root: Path) -> None:
    survey = load_surveys(root / "quizzes")["fixture-grades-5-11"]
    any_form = survey.indicator("any-form-2m-v1")
    assert any_form is not None
    assert any_form.meets({"bullied": 0, "cyber-messages": 3}) is True
    assert any_form.meets({"bullied": 1}) is False
    assert any_form.meets({"told-friend": 1}) is None  # not in the denominator
    every = type(any_form)(**{**any_form.__dict__, "rule": IndicatorRule.ALL_AT_LEAST})
    assert every.meets({"bullied": 4, "cyber-messages": 1}) is False
    assert every.meets({"bullied": 4, "cyber-messages": None}) is True


def test_a_missing_language(root: Path) -> None:
    path = root / OLDER
    edit(path, "          ru: Ни разу\n", "")
    assert problems(root) == [
        f"{OLDER}:{line_of(path, 'id: not-at-all') + 1}: scale frequency5: option not-at-all: "
        "text: missing ru text"
    ]


def test_a_threshold_that_is_not_an_option(root: Path) -> None:
    path = root / OLDER
    edit(path, "threshold: two-three-a-month", "threshold: weekly")
    assert problems(root) == [
        f"{OLDER}:{line_of(path, 'threshold: weekly')}: indicator bullied-2m-v1: threshold: "
        "'weekly' is not an option of scale frequency5 (not-at-all, once-or-twice, "
        "two-three-a-month, about-weekly, several-a-week)"
    ]


def test_an_indicator_mixing_scales(root: Path) -> None:
    path = root / OLDER
    edit(path, "items: [told-friend]", "items: [told-friend, bullied]")
    assert problems(root) == [
        f"{OLDER}:{line_of(path, 'items: [told-friend, bullied]')}: indicator told-anyone-v1: "
        "items: the items must share one scale: told-friend (yes-no), bullied (frequency5)"
    ]


def test_indicator_items_must_exist(root: Path) -> None:
    path = root / OLDER
    edit(path, "items: [bullied]", "items: [bullied, bullyed]")
    assert problems(root) == [
        f"{OLDER}:{line_of(path, 'items: [bullied, bullyed]')}: indicator bullied-2m-v1: items: "
        "no item 'bullyed' in this instrument"
    ]


def test_an_age_group_covered_twice(root: Path) -> None:
    extra = root / SURVEYS / "zz-college.yaml"
    text = (root / OLDER).read_text().replace("id: fixture-grades-5-11", "id: zz-college")
    extra.write_text(text.replace("[grades-5-9, grades-10-11, tvet]", "[grades-10-11, tvet]"))
    line = line_of(extra, "age_groups:")
    assert problems(root) == [
        f"{SURVEYS}/zz-college.yaml:{line}: age_groups: {group} already has an instrument "
        "(fixture-grades-5-11.yaml); each age group has exactly one"
        for group in ("grades-10-11", "tvet")
    ]


def test_an_age_group_not_covered(root: Path) -> None:
    (root / SURVEYS / "fixture-grades-3-4.yaml").unlink()
    assert problems(root) == [
        f"{SURVEYS}:1: age_groups: no instrument for grades-3-4; each age group needs exactly one"
    ]


def test_a_hard_coded_help_number(root: Path) -> None:
    path = root / OLDER
    edit(path, "  kk: Сауалнама анонимді.", "  kk: Сауалнама анонимді, көмек керек болса 150.")
    assert problems(root) == [
        f"{OLDER}:{line_of(path, 'болса 150')}: intro.kk: help number 150 written in the text; "
        "use a placeholder such as {{emergency}} so it follows the configuration"
    ]


@pytest.mark.parametrize(
    ("old", "new", "word"),
    [
        ("  en: The survey is anonymous.", "  en: Your answers stay secret.", "secret"),
        ("  en: The survey is anonymous.", "  en: The survey is confidential.", "confidential"),
        ("  ru: Опрос анонимный.", "  ru: Мы сохраним тайну.", "тайну"),
        ("  ru: Опрос анонимный.", "  ru: Опрос конфиденциальный.", "конфиденциальный"),
        ("  kk: Сауалнама анонимді.", "  kk: Жауаптарың құпия сақталады.", "құпия"),
    ],
)
def test_words_that_promise_secrecy(root: Path, old: str, new: str, word: str) -> None:
    path = root / OLDER
    edit(path, old, new)
    lang = new.strip()[:2]
    assert problems(root) == [
        f"{OLDER}:{line_of(path, new.strip())}: intro.{lang}: {word!r} promises secrecy; say "
        "what is true: the survey is anonymous, nobody can know who answered"
    ]


def test_a_yaml_boolean_id_and_threshold(root: Path) -> None:
    path = root / YOUNG
    edit(path, '      - id: "no"', "      - id: no")
    edit(path, '    threshold: "yes"', "    threshold: yes")
    found = problems(root)
    assert found == [
        f"{YOUNG}:{line_of(path, '- id: no')}: scale faces3: options[1]: YAML reads yes/no/on/off "
        "as true/false; quote the id",
        f"{YOUNG}:{line_of(path, 'threshold: yes')}: indicator has-friend-v1: threshold: YAML "
        "reads yes/no/on/off as true/false; quote the id",
    ]


def test_a_free_text_item_is_refused(root: Path) -> None:
    path = root / OLDER
    edit(path, "        scale: yes-no\n", "        scale: yes-no\n        type: text\n")
    assert problems(root) == [
        f"{OLDER}:{line_of(path, 'type: text')}: item told-friend: type: survey items have no "
        "type: every item is answered on a scale of the file; free-text answers are never "
        "asked (they can identify a child)"
    ]


@pytest.mark.parametrize(
    ("path", "old", "new", "message"),
    [
        (
            OLDER,
            "    reported_as: prevalence\n    items: [bullied]\n",
            "    reported_as: climate\n    items: [bullied]\n",
            "indicator bullied-2m-v1: reported_as: climate is for grades-1-2 only, not "
            "grades-5-9, grades-10-11, tvet",
        ),
        (
            YOUNG,
            "    reported_as: climate\n    items: [left-out]",
            "    reported_as: prevalence\n    items: [left-out]",
            "indicator left-out-v1: reported_as: never a prevalence for grades-1-2: report "
            "grades-1-2 as climate and the preschool checklist as observation",
        ),
        (
            YOUNG,
            "    reported_as: climate\n    items: [left-out]",
            "    reported_as: observation\n    items: [left-out]",
            "indicator left-out-v1: reported_as: observation is for a teacher's checklist "
            "(respondent: teacher)",
        ),
    ],
)
def test_reported_as_must_fit_the_age_groups(
    root: Path, path: str, old: str, new: str, message: str
) -> None:
    edit(root / path, old, new)
    line = line_of(root / path, new.split("\n")[0])
    assert problems(root) == [f"{path}:{line}: {message}"]


def test_the_definition_is_required_from_grade_five(root: Path) -> None:
    path = root / OLDER
    text = path.read_text()
    start, end = text.index("definition:\n"), text.index("scales:\n")
    path.write_text(text[:start] + text[end:])
    assert problems(root) == [
        f"{OLDER}:{line_of(path, 'id: fixture')}: definition: required for grades-5-9, "
        "grades-10-11, tvet: what bullying is, read first"
    ]


def test_preschool_children_never_answer_themselves(root: Path) -> None:
    path = root / PRESCHOOL
    edit(path, "respondent: teacher", "respondent: student")
    found = problems(root)
    assert (
        f"{PRESCHOOL}:{line_of(path, 'respondent:')}: respondent: preschool children do not "
        "answer surveys; use respondent: teacher (an observation checklist)"
    ) in found
    assert any("observation is for a teacher's checklist" in p for p in found)


def test_every_problem_at_once_with_lines(root: Path) -> None:
    path = root / OLDER
    edit(path, "version: 1", "version: first\nskip_logic: true")
    edit(path, "register: informal", "register: polite")
    edit(path, "      - id: bullied\n", "      - id: told-friend\n")
    edit(path, "        scale: frequency5\n", "        scale: frequency7\n")
    edit(path, "  - id: telling", "  - id: Telling")
    edit(path, "    rule: any-at-least\n    threshold: two", "    rule: most\n    threshold: two")
    at = {f: line_of(path, f) for f in ("skip_logic", "version:", "register:", "frequency7")}
    at["Telling"] = line_of(path, "id: Telling")
    at["told-friend"] = [
        n for n, line in enumerate(path.read_text().splitlines(), 1) if "id: told-friend" in line
    ][1]
    at["most"] = line_of(path, "rule: most")
    at["items"] = [
        n for n, line in enumerate(path.read_text().splitlines(), 1) if "items: [bullied" in line
    ]
    assert problems(root) == [
        f"{OLDER}:{at['skip_logic']}: skip_logic: unknown field",
        f"{OLDER}:{at['version:']}: version: required; a whole number from 1, raised on each "
        "change",
        f"{OLDER}:{at['register:']}: register: 'polite' is not one of informal, formal",
        f"{OLDER}:{at['frequency7']}: item told-friend: scale: one of the file's scales "
        "(frequency5, yes-no)",
        f"{OLDER}:{at['Telling']}: sections[2]: id required; a short kebab-case name such as "
        "being-bullied",
        f"{OLDER}:{at['told-friend']}: item told-friend: the same id as an earlier item",
        f"{OLDER}:{at['most']}: indicator bullied-2m-v1: rule: 'most' is not one of "
        "any-at-least, all-at-least",
        f"{OLDER}:{at['items'][0]}: indicator bullied-2m-v1: items: no item 'bullied' in this "
        "instrument",
        f"{OLDER}:{at['items'][1]}: indicator any-form-2m-v1: items: no item 'bullied' in this "
        "instrument",
    ]


def test_content_check_counts_surveys_and_reports_their_problems(make_app: Any, root: Path) -> None:
    runner = make_app(QADAM_CONTENT_ROOT=str(root)).test_cli_runner()
    passed = runner.invoke(args=["content", "check"])
    assert passed.exit_code == 0, passed.output
    assert "4 sound survey instruments checked (9 items, 7 indicators)." in passed.output
    edit(root / OLDER, "threshold: two-three-a-month", "threshold: weekly")
    failed = runner.invoke(args=["content", "check"])
    assert failed.exit_code == 1
    assert f"{OLDER}:" in failed.output
    assert "'weekly' is not an option of scale frequency5" in failed.output
    assert "3 sound survey instruments checked (6 items, 4 indicators)." in failed.output


def test_the_glossary_applies_to_survey_strings_by_band(root: Path) -> None:
    older, young = root / OLDER, root / YOUNG
    edit(older, "  ru: О тебе", "  ru: О тебе и наблюдателях")
    edit(older, "  kk: Досыма айттым.", "  kk: Досыма айттым, хат алмастық.")
    edit(young, "  kk: Мектепте досың бар ма?", "  kk: Мектепте хат алмасатын досың бар ма?")
    assert [str(p) for p in glossary_problems(root)] == [
        f"{YOUNG}:{line_of(young, 'хат алмасатын')}: glossary chatting-online: 'хат "
        "алмасатын' is not the glossary's word here; write «чатта жазысу»",
        f"{OLDER}:{line_of(older, 'наблюдателях')}: glossary bystander: 'наблюдателях' is not "
        "the glossary's word here; write «свидетель»",
    ]
