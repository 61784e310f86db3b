"""A school's classes at a glance, and one class in full, for the school's coordinator.

Everything here is read from a wave (or a pair of waves) that ``survey_results`` has already
read and checked for the coordinator's school: a row of the overview holds only what the
class's own section of the school page held (its name, its respondents, its gate status, and
for a trend how many of its indicators carry a published change), and a class in full is that
same section, cell for cell. Nothing new is published, so a school of 40 or 60 classes gets a
light page without a second disclosure rule."""

from __future__ import annotations

from dataclasses import dataclass

from .disclosure import Status
from .survey_results import ResultsProblem, Trend, UnitResults, WaveResults, WaveTrends

__all__ = ["ClassRow", "TrendClassRow", "class_of", "class_rows", "trend_class_rows", "trend_of"]


@dataclass(frozen=True)
class ClassRow:
    """One class of a wave: whether its results pass the gate."""

    unit_id: int
    name: str
    respondents: int
    status: str  # ok | below_gate

    @property
    def shown(self) -> bool:
        return self.status == Status.OK


@dataclass(frozen=True)
class TrendClassRow:
    """One class from autumn to spring: its respondents and its published changes."""

    unit_id: int
    name: str
    respondents: tuple[int, int]  # autumn, spring
    compared: bool  # over the gate in both waves, with indicators in common
    changes: int  # indicators whose change is shown


def class_rows(results: WaveResults) -> list[ClassRow]:
    """The wave's classes in the order of the school page."""
    return [
        ClassRow(unit.unit_id, unit.name, unit.respondents, unit.status) for unit in results.classes
    ]


def trend_class_rows(trends: WaveTrends) -> list[TrendClassRow]:
    """The classes in both waves, in the order of the trend page."""
    return [
        TrendClassRow(
            unit.unit_id,
            unit.name,
            unit.respondents,
            _compared(unit),
            sum(1 for row in unit.rows if row.change is not None) if _compared(unit) else 0,
        )
        for unit in trends.classes
    ]


def _compared(unit: Trend) -> bool:
    """As the trend page decides: a unit below the gate, or with no row, is not compared."""
    return unit.status != Status.BELOW_GATE and bool(unit.rows)


def class_of(results: WaveResults, class_id: int) -> UnitResults:
    """One class of the school's wave, exactly as published; another is ``not-found``."""
    found = next((unit for unit in results.classes if unit.unit_id == class_id), None)
    if found is None:
        raise ResultsProblem("not-found")
    return found


def trend_of(trends: WaveTrends, class_id: int) -> Trend:
    """One class of the school's trend, exactly as published; another is ``not-found``."""
    found = next((unit for unit in trends.classes if unit.unit_id == class_id), None)
    if found is None:
        raise ResultsProblem("not-found")
    return found
