"""The survey model: anonymous class-survey instruments, every string a text per language.

An instrument is the same fixed list of items for every respondent (no skip logic, no free
text); each item is answered on one of the instrument's ordered scales, and the indicators say
how results are computed from the answers, so nothing is hard-coded in the reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from .quiz_schema import Localized, pick
from .schema import AgeBand

__all__ = [
    "AgeGroup",
    "Indicator",
    "IndicatorRule",
    "Localized",
    "Register",
    "ReportedAs",
    "Respondent",
    "ScaleOption",
    "Survey",
    "SurveyItem",
    "SurveyScale",
    "SurveySection",
    "pick",
]


class Respondent(StrEnum):
    STUDENT = "student"  # each student answers about themselves
    TEACHER = "teacher"  # the teacher's observation checklist of the class (preschool)


class AgeGroup(StrEnum):
    """Who an instrument is for: finer than the lesson bands (grades 1–2 and 3–4 differ)."""

    PRESCHOOL = "preschool"
    GRADES_1_2 = "grades-1-2"
    GRADES_3_4 = "grades-3-4"
    GRADES_5_9 = "grades-5-9"
    GRADES_10_11 = "grades-10-11"
    TVET = "tvet"

    @property
    def band(self) -> AgeBand:
        """The lesson band this age group belongs to."""
        return AGE_GROUP_BANDS[self]


AGE_GROUP_BANDS: Mapping[AgeGroup, AgeBand] = {
    AgeGroup.PRESCHOOL: AgeBand.PRESCHOOL,
    AgeGroup.GRADES_1_2: AgeBand.PRIMARY,
    AgeGroup.GRADES_3_4: AgeBand.PRIMARY,
    AgeGroup.GRADES_5_9: AgeBand.BASIC,
    AgeGroup.GRADES_10_11: AgeBand.UPPER,
    AgeGroup.TVET: AgeBand.TVET,
}
# Age groups that read a definition of bullying before the items.
DEFINITION_GROUPS = frozenset({AgeGroup.GRADES_5_9, AgeGroup.GRADES_10_11, AgeGroup.TVET})
# Age groups whose items a Listen button reads aloud by default.
READ_ALOUD_GROUPS = frozenset({AgeGroup.GRADES_1_2, AgeGroup.GRADES_3_4})


class Register(StrEnum):
    INFORMAL = "informal"  # сен / ты
    FORMAL = "formal"  # сіз / вы


class ReportedAs(StrEnum):
    PREVALENCE = "prevalence"  # a self-reported rate (grades 3–11, tvet)
    CLIMATE = "climate"  # the class's climate, never a bullying rate (grades 1–2)
    OBSERVATION = "observation"  # what the teacher saw (preschool checklist)


class IndicatorRule(StrEnum):
    ANY_AT_LEAST = "any-at-least"  # any listed item at or above the threshold
    ALL_AT_LEAST = "all-at-least"  # every answered listed item at or above the threshold


FACE_ICONS = ("face-yes", "face-sometimes", "face-no")


@dataclass(frozen=True)
class ScaleOption:
    id: str
    value: int  # the option's position on its scale, from 0 ("none") up
    text: Localized
    icon: str | None = None  # one of FACE_ICONS


@dataclass(frozen=True)
class SurveyScale:
    id: str
    options: tuple[ScaleOption, ...]

    def option(self, option_id: str) -> ScaleOption | None:
        return next((o for o in self.options if o.id == option_id), None)

    def value_of(self, option_id: str) -> int | None:
        option = self.option(option_id)
        return option.value if option is not None else None

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(o.value for o in self.options)


@dataclass(frozen=True)
class SurveyItem:
    id: str
    text: Localized
    scale: str  # the id of a scale of the same instrument


@dataclass(frozen=True)
class SurveySection:
    id: str
    title: Localized
    items: tuple[SurveyItem, ...]


@dataclass(frozen=True)
class Indicator:
    """A result computed from the answers: among respondents who answered at least one of
    ``items``, those who meet ``rule`` with ``threshold``."""

    code: str  # versioned, such as bullied-2m-v1; unique in the instrument
    label: Localized
    reported_as: ReportedAs
    items: tuple[str, ...]  # item ids, all on the same scale
    rule: IndicatorRule
    threshold: str  # an option id of the items' scale
    scale: str  # the items' scale id
    threshold_value: int
    qualifying_values: tuple[int, ...]  # the option values at or above the threshold

    def meets(self, answers: Mapping[str, int | None]) -> bool | None:
        """Whether one respondent meets the rule; ``None`` when they answered none of the
        items (then they are not in the denominator)."""
        given = [answers.get(item) for item in self.items]
        answered = [value for value in given if value is not None]
        if not answered:
            return None
        meets = [value >= self.threshold_value for value in answered]
        return any(meets) if self.rule is IndicatorRule.ANY_AT_LEAST else all(meets)


@dataclass(frozen=True)
class Survey:
    id: str
    version: int
    respondent: Respondent
    age_groups: tuple[AgeGroup, ...]
    register: Register
    read_aloud: bool
    title: Localized
    intro: Localized
    definition: Localized | None
    scales: Mapping[str, SurveyScale]
    sections: tuple[SurveySection, ...]
    indicators: tuple[Indicator, ...]
    folder: Path = field(compare=False)

    @cached_property
    def items(self) -> tuple[SurveyItem, ...]:
        """Every item, in the order respondents see them."""
        return tuple(item for section in self.sections for item in section.items)

    @cached_property
    def option_values(self) -> Mapping[str, Mapping[str, int]]:
        """Each item's options as option id → value: made once, since every submission checks
        each of its answers against it."""
        found: dict[str, Mapping[str, int]] = {}
        for item in self.items:
            scale = self.scales.get(item.scale)
            found[item.id] = {o.id: o.value for o in scale.options} if scale is not None else {}
        return found

    def item(self, item_id: str) -> SurveyItem | None:
        return next((i for i in self.items if i.id == item_id), None)

    def scale_of(self, item_id: str) -> SurveyScale | None:
        item = self.item(item_id)
        return self.scales.get(item.scale) if item is not None else None

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)
