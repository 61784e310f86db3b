"""Differentially private copies of a period's district and region figures (optional).

Behind a setting (``QADAM_DP_EPSILON``, off at 0) and outside the core install (OpenDP:
``pip install -e '.[dp]'``), a batch step: the shown counts of a stored period get discrete
Laplace noise from OpenDP, are clipped (``0 ≤ x ≤ n``) and rounded as the exact figures are,
and are written as CSV files with a description of the mechanism. The exact packages are
untouched; which copy a reader receives is the operator's choice.

**What the budget covers.** One student's answers change, per indicator, one district cell and
its region's cell, in each the count who meet the rule (``x``) and the count who answered
(``n``) by at most one: an L1 sensitivity of 4 per indicator, ``4 × indicators`` for the
release. The scale is OpenDP's smallest for which the release is ``ε``-differentially private
at that sensitivity. Which cells are shown follows the disclosure rules on the true counts
(PRIVACY.md) and is not itself made private: the noise protects the published numbers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import area_results
from .table_files import csv_bytes

INSTALL = "pip install -e '.[dp]'"
PER_INDICATOR = 4  # 2 levels (district, region) × 2 counts (x, n)
LEVELS = ("region", "district")
HEADERS = (
    "period",
    "level",
    "area_code",
    "parent_code",
    "indicator",
    "status",
    "numerator",
    "denominator",
    "percent",
)


class DpProblem(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # epsilon | budget | not-installed | no-figures


@dataclass(frozen=True)
class NoisyRow:
    level: str
    area_code: str
    parent_code: str | None
    indicator: str
    status: str
    numerator: int | None
    denominator: int | None
    percent: int | None


@dataclass(frozen=True)
class Release:
    period: str
    epsilon: float
    sensitivity: int
    scale: float
    mechanism: str
    rows: tuple[NoisyRow, ...]


def _opendp() -> Any:
    try:
        import opendp.prelude as dp
    except ImportError as missing:
        raise DpProblem("not-installed") from missing
    dp.enable_features("contrib")
    return dp


def _laplace(dp: Any, sensitivity: int, epsilon: float) -> tuple[Any, float]:
    """OpenDP's discrete Laplace over a vector of counts with the smallest scale that is
    ``epsilon``-DP at ``sensitivity``; (measurement, scale)."""
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    scale = dp.binary_search_param(
        lambda s: dp.m.make_laplace(*space, scale=s), d_in=sensitivity, d_out=epsilon
    )
    measurement = dp.m.make_laplace(*space, scale=scale)
    if measurement.map(sensitivity) > epsilon:  # OpenDP's own accounting, checked again
        raise DpProblem("budget")
    return measurement, float(scale)


def release(period: str, epsilon: float) -> Release:
    """The noisy district and region figures of a stored ``period``."""
    if not (math.isfinite(epsilon) and epsilon > 0):
        raise DpProblem("epsilon")
    rows = [r for r in area_results.stored_rows(period) if r.level in LEVELS]
    if not rows:
        raise DpProblem("no-figures")
    dp = _opendp()
    sensitivity = PER_INDICATOR * len({r.indicator for r in rows})
    measurement, scale = _laplace(dp, sensitivity, epsilon)
    shown = [r for r in rows if r.status == "ok"]
    noisy = iter(measurement([v for r in shown for v in (r.numerator, r.denominator)]))
    found = []
    for row in rows:
        x = n = percent = None
        if row.status == "ok":
            noisy_x, noisy_n = next(noisy), next(noisy)
            n = max(0, int(noisy_n))
            x = min(max(0, int(noisy_x)), n)
            figure = area_results.published(row.status, x, n)
            x, n, percent = figure.numerator, figure.denominator, figure.percent
        found.append(
            NoisyRow(
                row.level, row.area_code, row.parent_code, row.indicator, row.status, x, n, percent
            )
        )
    mechanism = f"discrete Laplace, OpenDP {dp.__version__}"
    return Release(period, epsilon, sensitivity, scale, mechanism, tuple(found))


def write(found: Release, folder: Path) -> list[Path]:
    """One CSV file per level and ``dp-release.json``; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for level in LEVELS:
        path = folder / f"qadam-dp-{found.period}-{level}.csv"
        path.write_bytes(csv_bytes(HEADERS, _table(found, level)))
        written.append(path)
    about = {
        "period": found.period,
        "epsilon": found.epsilon,
        "sensitivity": found.sensitivity,
        "scale": found.scale,
        "mechanism": found.mechanism,
        "method": (
            "Shown counts of the district and region figures with discrete Laplace noise, "
            "clipped to 0 <= numerator <= denominator, then rounded to 5 as the exact figures "
            "are. One student changes at most 4 counts per indicator (x and n of a district "
            "and of its region). Which cells are shown follows the disclosure rules on the "
            "true counts and is not itself differentially private."
        ),
        "files": [p.name for p in written],
    }
    about_path = folder / "dp-release.json"
    about_path.write_text(json.dumps(about, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return [*written, about_path]


def _table(found: Release, level: str) -> Sequence[Sequence[str | int | None]]:
    return [_cells(found.period, row) for row in found.rows if row.level == level]


def _cells(period: str, row: NoisyRow) -> list[str | int | None]:
    return [
        period,
        row.level,
        row.area_code,
        row.parent_code,
        row.indicator,
        row.status,
        row.numerator,
        row.denominator,
        row.percent,
    ]
