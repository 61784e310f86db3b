"""Load survey instruments from ``quizzes/survey/*.yaml``, reporting every problem as
``path:line: field: message`` (the format is described in quizzes/README.md, "Surveys")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import survey_schema as v
from .loader import KEBAB, ContentErrors, Report
from .yaml_fields import BOOLEAN_ID, FileReport, YamlPath, choice, localized, read_yaml

SURVEY_FIELDS = {
    "id",
    "version",
    "respondent",
    "age_groups",
    "register",
    "read_aloud",
    "title",
    "intro",
    "definition",
    "scales",
    "sections",
    "indicators",
}
SCALE_FIELDS = {"options"}
OPTION_FIELDS = {"id", "text", "icon"}
SECTION_FIELDS = {"id", "title", "items"}
ITEM_FIELDS = {"id", "text", "scale"}
INDICATOR_FIELDS = {"code", "label", "reported_as", "items", "rule", "threshold"}
CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*-v[0-9]+$")
# "Anonymous" is what a survey can promise: nobody can know who answered. Words that promise
# secrecy ("confidential", "secret") promise what a school cannot keep.
SECRECY = re.compile(r"конфиденц|құпия|secret|confidential|\bтайн(?:а|у|ой|е|ы|о)", re.I)
# Respondents who answer about themselves; a rate of bullying is only for these groups.
NO_PREVALENCE = frozenset({v.AgeGroup.PRESCHOOL, v.AgeGroup.GRADES_1_2})


def load_surveys(quizzes_dir: Path) -> dict[str, v.Survey]:
    """Load every instrument in ``quizzes_dir/survey``; raise :class:`ContentErrors` with all
    problems."""
    report = Report(quizzes_dir.parent)
    surveys = read_surveys(quizzes_dir, report)
    if report.problems:
        raise ContentErrors(report.problems)
    return surveys


def read_surveys(quizzes_dir: Path, report: Report) -> dict[str, v.Survey]:
    """Load the instruments that are sound; add the problems of the rest to ``report``."""
    folder = quizzes_dir / "survey"
    surveys: dict[str, v.Survey] = {}
    if not folder.is_dir():
        return surveys
    covered: dict[v.AgeGroup, list[Path]] = {group: [] for group in v.AgeGroup}
    unread = 0
    for path in sorted(folder.glob("*.yaml")):
        count = len(report.problems)
        survey = _load_survey(path, report, covered)
        if survey is not None:
            surveys[survey.id] = survey
        unread += any(p.field in ("yaml", "survey") for p in report.problems[count:])
    for stray in sorted(folder.glob("*.yml")):
        report.add(stray, 1, "file", "survey files end in .yaml")
    for group, paths in covered.items():
        if not paths and not unread:  # an unreadable file may be the one for it
            report.add(
                folder,
                1,
                "age_groups",
                f"no instrument for {group}; each age group needs exactly one",
            )
    return surveys


class _Survey:
    """The checks of one instrument file, sharing its report and what it declared so far."""

    def __init__(self, r: FileReport) -> None:
        self.r = r
        self.scales: dict[str, v.SurveyScale] = {}
        self.item_ids: set[str] = set()
        self.item_scales: dict[str, str] = {}  # item id -> scale id, for sound items

    def text(self, value: Any, at: YamlPath, name: str, *, required: bool) -> dict[str, str]:
        """A ``{kk, ru, en}`` text that promises no secrecy."""
        found = localized(self.r, value, at, name, required=required)
        for lang, text in (found or {}).items():
            match = SECRECY.search(text)
            if match:
                self.r.add(
                    (*at, lang),
                    f"{name}.{lang}",
                    f"{_word(text, match)!r} promises secrecy; say what is true: the survey "
                    "is anonymous, nobody can know who answered",
                )
        return found or {}

    def ident(self, value: Any, at: YamlPath, name: str, example: str) -> str | None:
        """A kebab-case id; YAML booleans (an unquoted yes/no) are named as such."""
        if isinstance(value, bool):
            self.r.add(at, name, BOOLEAN_ID)
            return None
        if not isinstance(value, str) or not KEBAB.match(value):
            self.r.add(at, name, f"id required; a short kebab-case name such as {example}")
            return None
        return value


def _word(text: str, match: re.Match[str]) -> str:
    start, end = match.start(), match.end()
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return text[start:end]


def _load_survey(
    path: Path, report: Report, covered: dict[v.AgeGroup, list[Path]]
) -> v.Survey | None:
    read = read_yaml(path, report, "survey")
    if read is None:
        return None
    data, r = read
    count = len(report.problems)
    c = _Survey(r)
    for unknown in sorted(set(map(str, data)) - SURVEY_FIELDS):
        r.add((unknown,), unknown, "unknown field")
    survey_id = data.get("id")
    if not isinstance(survey_id, str) or not KEBAB.match(survey_id):
        r.add(("id",), "id", "required; a kebab-case slug such as grades-5-9")
    elif survey_id != path.stem:
        r.add(("id",), "id", f"must be {path.stem!r}, the file's name")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        r.add(("version",), "version", "required; a whole number from 1, raised on each change")
    respondent = choice(r, data, "respondent", v.Respondent, None)
    groups = _age_groups(r, data.get("age_groups"), path, covered)
    register = choice(r, data, "register", v.Register, None)
    read_aloud = data.get("read_aloud", bool(set(groups) & v.READ_ALOUD_GROUPS))
    if not isinstance(read_aloud, bool):
        r.add(("read_aloud",), "read_aloud", "true or false")
    if v.AgeGroup.PRESCHOOL in groups and respondent is v.Respondent.STUDENT:
        r.add(
            ("respondent",),
            "respondent",
            "preschool children do not answer surveys; use respondent: teacher (an observation "
            "checklist)",
        )
    title = c.text(data.get("title"), ("title",), "title", required=True)
    intro = c.text(data.get("intro"), ("intro",), "intro", required=True)
    needs_definition = [g.value for g in groups if g in v.DEFINITION_GROUPS]
    if needs_definition and "definition" not in data:
        r.add(
            (),
            "definition",
            "required for " + ", ".join(needs_definition) + ": what bullying is, read first",
        )
    definition = c.text(data.get("definition"), ("definition",), "definition", required=False)
    c.scales = _scales(c, data.get("scales"))
    sections = _sections(c, data.get("sections"))
    for unused in sorted(set(c.scales) - set(c.item_scales.values())):
        r.add(("scales", unused), f"scale {unused}", "no item uses this scale")
    indicators = _indicators(c, data.get("indicators"), groups, respondent)
    if len(report.problems) > count:
        return None
    return v.Survey(
        id=str(survey_id),
        version=version,  # type: ignore[arg-type]
        respondent=respondent,
        age_groups=groups,
        register=register,
        read_aloud=bool(read_aloud),
        title=title,
        intro=intro,
        definition=definition or None,
        scales=c.scales,
        sections=sections,
        indicators=indicators,
        folder=path.parent,
    )


def _age_groups(
    r: FileReport, value: Any, path: Path, covered: dict[v.AgeGroup, list[Path]]
) -> tuple[v.AgeGroup, ...]:
    known = {g.value for g in v.AgeGroup}
    if not isinstance(value, list) or not value:
        r.add(("age_groups",), "age_groups", "required; a list of " + ", ".join(known))
        return ()
    groups: list[v.AgeGroup] = []
    for index, raw in enumerate(value):
        if raw not in known:
            r.add(
                ("age_groups", index),
                "age_groups",
                f"unknown age group {raw!r}; use " + ", ".join(v.AgeGroup),
            )
            continue
        group = v.AgeGroup(raw)
        if group in groups:
            r.add(("age_groups", index), "age_groups", f"{group} is listed twice")
            continue
        groups.append(group)
        if covered[group]:
            r.add(
                ("age_groups", index),
                "age_groups",
                f"{group} already has an instrument ({covered[group][0].name}); each age group "
                "has exactly one",
            )
        covered[group].append(path)
    return tuple(groups)


def _scales(c: _Survey, value: Any) -> dict[str, v.SurveyScale]:
    if not isinstance(value, dict) or not value:
        c.r.add(("scales",), "scales", "required; scales by id, each with its options")
        return {}
    scales: dict[str, v.SurveyScale] = {}
    for key, raw in value.items():
        at: YamlPath = ("scales", str(key))
        scale_id = c.ident(key, at, "scales", "frequency5")
        if scale_id is None:
            continue
        name = f"scale {scale_id}"
        if not isinstance(raw, dict):
            c.r.add(at, name, "a scale is a mapping with options")
            continue
        for unknown in sorted(set(map(str, raw)) - SCALE_FIELDS):
            c.r.add((*at, unknown), f"{name}: {unknown}", "unknown field")
        options = _options(c, raw.get("options"), (*at, "options"), name)
        if options:
            scales[scale_id] = v.SurveyScale(scale_id, options)
    return scales


def _options(c: _Survey, value: Any, at: YamlPath, name: str) -> tuple[v.ScaleOption, ...]:
    if not isinstance(value, list) or len(value) < 2:
        c.r.add(at, f"{name}: options", "required; 2 or more options, from 'none' up")
        return ()
    options: list[v.ScaleOption] = []
    for index, raw in enumerate(value):
        o_at: YamlPath = (*at, index)
        o_name = f"{name}: options[{index + 1}]"
        if not isinstance(raw, dict):
            c.r.add(o_at, o_name, "an option is {id: …, text: {kk: …, ru: …, en: …}}")
            continue
        option_id = c.ident(raw.get("id"), (*o_at, "id"), o_name, "once-or-twice")
        if option_id is None:
            continue
        o_name = f"{name}: option {option_id}"
        for unknown in sorted(set(map(str, raw)) - OPTION_FIELDS):
            c.r.add((*o_at, unknown), f"{o_name}: {unknown}", "unknown field")
        if any(o.id == option_id for o in options):
            c.r.add((*o_at, "id"), o_name, "the same id as an earlier option")
            continue
        icon = raw.get("icon")
        if icon is not None and icon not in v.FACE_ICONS:
            c.r.add((*o_at, "icon"), f"{o_name}: icon", "one of " + ", ".join(v.FACE_ICONS))
        text = c.text(raw.get("text"), (*o_at, "text"), f"{o_name}: text", required=True)
        options.append(v.ScaleOption(option_id, len(options), text, icon))
    for lang in ("kk", "ru", "en"):
        texts = [o.text[lang].casefold() for o in options if o.text.get(lang)]
        if len(set(texts)) != len(texts):
            c.r.add(at, f"{name}: options", f"two options read the same in {lang}")
    return tuple(options)


def _sections(c: _Survey, value: Any) -> tuple[v.SurveySection, ...]:
    if not isinstance(value, list) or not value:
        c.r.add(("sections",), "sections", "required; a list of sections, each with items")
        return ()
    sections: list[v.SurveySection] = []
    seen: set[str] = set()
    for index, raw in enumerate(value):
        at: YamlPath = ("sections", index)
        name = f"sections[{index + 1}]"
        if not isinstance(raw, dict):
            c.r.add(at, name, "a section is a mapping with id, title and items")
            continue
        section_id = c.ident(raw.get("id"), (*at, "id"), name, "being-bullied")
        if section_id is not None:
            name = f"section {section_id}"
            if section_id in seen:
                c.r.add((*at, "id"), name, "the same id as an earlier section")
            seen.add(section_id)
        for unknown in sorted(set(map(str, raw)) - SECTION_FIELDS):
            c.r.add((*at, unknown), f"{name}: {unknown}", "unknown field")
        title = c.text(raw.get("title"), (*at, "title"), f"{name}: title", required=True)
        items = _items(c, raw.get("items"), (*at, "items"), name)
        sections.append(v.SurveySection(section_id or "", title, items))
    return tuple(sections)


def _items(c: _Survey, value: Any, at: YamlPath, name: str) -> tuple[v.SurveyItem, ...]:
    if not isinstance(value, list) or not value:
        c.r.add(at, f"{name}: items", "required; a list of items")
        return ()
    items: list[v.SurveyItem] = []
    for index, raw in enumerate(value):
        i_at: YamlPath = (*at, index)
        i_name = f"{name}: items[{index + 1}]"
        if not isinstance(raw, dict):
            c.r.add(i_at, i_name, "an item is {id: …, text: {kk: …, ru: …, en: …}, scale: …}")
            continue
        item_id = c.ident(raw.get("id"), (*i_at, "id"), i_name, "bullied")
        if item_id is not None:
            i_name = f"item {item_id}"
            if item_id in c.item_ids:
                c.r.add((*i_at, "id"), i_name, "the same id as an earlier item")
            c.item_ids.add(item_id)
        if "type" in raw:
            c.r.add(
                (*i_at, "type"),
                f"{i_name}: type",
                "survey items have no type: every item is answered on a scale of the file; "
                "free-text answers are never asked (they can identify a child)",
            )
        for unknown in sorted(set(map(str, raw)) - ITEM_FIELDS - {"type"}):
            c.r.add((*i_at, unknown), f"{i_name}: {unknown}", "unknown field")
        text = c.text(raw.get("text"), (*i_at, "text"), f"{i_name}: text", required=True)
        scale = raw.get("scale")
        if scale not in c.scales:
            known = ", ".join(c.scales) or "none yet"
            c.r.add((*i_at, "scale"), f"{i_name}: scale", f"one of the file's scales ({known})")
            continue
        if item_id is not None:
            c.item_scales.setdefault(item_id, scale)
            items.append(v.SurveyItem(item_id, text, scale))
    return tuple(items)


def _indicators(
    c: _Survey,
    value: Any,
    groups: tuple[v.AgeGroup, ...],
    respondent: v.Respondent | None,
) -> tuple[v.Indicator, ...]:
    if not isinstance(value, list) or not value:
        c.r.add(("indicators",), "indicators", "required; the results computed from the items")
        return ()
    indicators: list[v.Indicator] = []
    for index, raw in enumerate(value):
        at: YamlPath = ("indicators", index)
        name = f"indicators[{index + 1}]"
        if not isinstance(raw, dict):
            c.r.add(at, name, "an indicator is a mapping: code, label, reported_as, items, …")
            continue
        code = raw.get("code")
        if not isinstance(code, str) or not CODE.match(code):
            c.r.add((*at, "code"), name, "code required; kebab-case ending in a version: -v1")
            code = None
        else:
            name = f"indicator {code}"
            if any(i.code == code for i in indicators):
                c.r.add((*at, "code"), name, "the same code as an earlier indicator")
        for unknown in sorted(set(map(str, raw)) - INDICATOR_FIELDS):
            c.r.add((*at, unknown), f"{name}: {unknown}", "unknown field")
        label = c.text(raw.get("label"), (*at, "label"), f"{name}: label", required=True)
        reported_as = _reported_as(c, raw, at, name, groups, respondent)
        rule = _enum(c, raw, at, name, "rule", v.IndicatorRule)
        items, scale = _indicator_items(c, raw.get("items"), (*at, "items"), name)
        threshold = _threshold(c, raw.get("threshold"), (*at, "threshold"), name, scale)
        if code is None or reported_as is None or rule is None:
            continue
        if scale is None or threshold is None:
            continue
        lowest = threshold.value
        indicators.append(
            v.Indicator(
                code=str(code),
                label=label,
                reported_as=reported_as,
                items=items,
                rule=rule,
                threshold=threshold.id,
                scale=scale.id,
                threshold_value=lowest,
                qualifying_values=tuple(x for x in scale.values if x >= lowest),
            )
        )
    return tuple(indicators)


def _enum(c: _Survey, raw: Mapping[str, Any], at: YamlPath, name: str, key: str, enum: Any) -> Any:
    value = raw.get(key)
    if value not in {m.value for m in enum}:
        shown = "required" if value is None else f"{value!r} is not"
        c.r.add((*at, key), f"{name}: {key}", f"{shown} one of " + ", ".join(enum))
        return None
    return enum(value)


def _reported_as(
    c: _Survey,
    raw: Mapping[str, Any],
    at: YamlPath,
    name: str,
    groups: tuple[v.AgeGroup, ...],
    respondent: v.Respondent | None,
) -> v.ReportedAs | None:
    reported_as = _enum(c, raw, at, name, "reported_as", v.ReportedAs)
    where, field = (*at, "reported_as"), f"{name}: reported_as"
    others = [g.value for g in groups if g is not v.AgeGroup.GRADES_1_2]
    if reported_as is v.ReportedAs.CLIMATE and others:
        c.r.add(where, field, "climate is for grades-1-2 only, not " + ", ".join(others))
    elif reported_as is v.ReportedAs.OBSERVATION and respondent is not v.Respondent.TEACHER:
        c.r.add(where, field, "observation is for a teacher's checklist (respondent: teacher)")
    elif reported_as is v.ReportedAs.PREVALENCE and set(groups) & NO_PREVALENCE:
        young = ", ".join(g.value for g in groups if g in NO_PREVALENCE)
        c.r.add(
            where,
            field,
            f"never a prevalence for {young}: report grades-1-2 as climate and the preschool "
            "checklist as observation",
        )
    else:
        return reported_as
    return None


def _indicator_items(
    c: _Survey, value: Any, at: YamlPath, name: str
) -> tuple[tuple[str, ...], v.SurveyScale | None]:
    field = f"{name}: items"
    if not isinstance(value, list) or not value:
        c.r.add(at, field, "required; a list of one or more item ids")
        return (), None
    items: list[str] = []
    for index, item in enumerate(value):
        if item not in c.item_ids:
            c.r.add((*at, index), field, f"no item {item!r} in this instrument")
        elif item not in c.item_scales:
            continue  # the item's own problem is reported
        elif item in items:
            c.r.add((*at, index), field, f"{item} is listed twice")
        else:
            items.append(item)
    scales = {c.item_scales[i] for i in items}
    if len(scales) > 1:
        shown = ", ".join(f"{i} ({c.item_scales[i]})" for i in items)
        c.r.add(at, field, f"the items must share one scale: {shown}")
        return tuple(items), None
    if len(items) < len(value) or not scales:
        return tuple(items), None
    return tuple(items), c.scales.get(scales.pop())


def _threshold(
    c: _Survey, value: Any, at: YamlPath, name: str, scale: v.SurveyScale | None
) -> v.ScaleOption | None:
    field = f"{name}: threshold"
    if isinstance(value, bool):
        c.r.add(at, field, BOOLEAN_ID)
        return None
    if not isinstance(value, str):
        c.r.add(at, field, "required; the id of an option of the items' scale")
        return None
    if scale is None:
        return None
    option = scale.option(value)
    if option is None:
        ids = ", ".join(o.id for o in scale.options)
        c.r.add(at, field, f"{value!r} is not an option of scale {scale.id} ({ids})")
    return option
