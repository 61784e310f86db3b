"""Differentially private copies of the area figures (OpenDP, behind QADAM_DP_EPSILON)."""

from __future__ import annotations

import csv
import io
import json
import random
import statistics
from pathlib import Path
from typing import Any

import pytest

from app.content_catalog import catalog
from app.services import area_results, dp_release
from tests.support.area_data import FINAL, PERIOD, generate

pytest.importorskip("opendp", reason="OpenDP is the dp extra; the test install has it")

DISTRICTS = {"751110000": 5, "751210000": 4, "751310000": 4, "751410000": 5}


@pytest.fixture
def aggregated(app: Any) -> Any:
    generate(app, random.Random(5), DISTRICTS)  # noqa: S311 (test data)
    with app.app_context():
        area_results.aggregate(PERIOD, catalog(), today=FINAL)
    return app


def _exact(app: Any) -> dict[tuple[str, str], Any]:
    with app.app_context():
        return {(r.area_code, r.indicator): r for r in area_results.stored_rows(PERIOD.code)}


def test_shown_counts_get_noise_hidden_cells_stay_hidden(aggregated: Any) -> None:
    exact = _exact(aggregated)
    with aggregated.app_context():
        found = dp_release.release(PERIOD.code, epsilon=1.0)
    indicators = {code for (_area, code) in exact}
    assert found.sensitivity == 4 * len(indicators)
    assert found.scale >= found.sensitivity / 1.0  # ε = sensitivity / scale at most
    moved = 0
    for row in found.rows:
        truth = exact[(row.area_code, row.indicator)]
        assert row.status == truth.status
        if row.status != "ok":
            assert (row.numerator, row.denominator, row.percent) == (None, None, None)
            continue
        assert row.numerator is not None
        assert row.denominator is not None
        assert 0 <= row.numerator <= row.denominator
        assert row.numerator % 5 == 0
        assert row.denominator % 5 == 0
        moved += (row.numerator, row.denominator) != (
            area_results.round_count(truth.numerator),
            area_results.round_count(truth.denominator),
        )
    assert moved > 0  # with a scale of about 4 per indicator, most counts move


def test_the_noise_has_the_scale_opendp_accounts_for(aggregated: Any) -> None:
    """Repeated releases of one cell spread as discrete Laplace noise of that scale would."""
    import opendp.prelude as dp

    dp.enable_features("contrib")
    measurement, scale = dp_release._laplace(dp, sensitivity=8, epsilon=2.0)
    assert measurement.map(8) <= 2.0
    draws = measurement([1000] * 4000)
    spread = statistics.pstdev(draws)
    assert abs(statistics.mean(draws) - 1000) < 0.5  # unbiased (SE ≈ 0.09)
    assert 0.85 * 2**0.5 * scale < spread < 1.15 * 2**0.5 * scale  # Laplace sd = √2 · scale


def test_the_command_is_off_without_the_setting(aggregated: Any, tmp_path: Path) -> None:
    aggregated.config["QADAM_DP_EPSILON"] = 0.0
    result = aggregated.test_cli_runner().invoke(
        args=["reports", "dp-release", PERIOD.code, str(tmp_path / "out")]
    )
    assert result.exit_code != 0
    assert "set QADAM_DP_EPSILON" in result.output
    assert not (tmp_path / "out").exists()


def test_the_command_writes_the_release_and_says_what_it_is(
    aggregated: Any, tmp_path: Path
) -> None:
    aggregated.config["QADAM_DP_EPSILON"] = 1.0
    folder = tmp_path / "out"
    result = aggregated.test_cli_runner().invoke(
        args=["reports", "dp-release", PERIOD.code, str(folder)]
    )
    assert result.exit_code == 0, result.output
    about = json.loads((folder / "dp-release.json").read_text("utf-8"))
    assert about["epsilon"] == 1.0
    assert about["period"] == PERIOD.code
    assert "not itself differentially private" in about["method"]
    for level in ("region", "district"):
        text = (folder / f"qadam-dp-{PERIOD.code}-{level}.csv").read_bytes().decode("utf-8-sig")
        table = list(csv.DictReader(io.StringIO(text)))
        assert table
        assert {row["level"] for row in table} == {level}
        assert all(row["numerator"] == "" for row in table if row["status"] != "ok")


def test_a_period_without_figures_is_refused_plainly(app: Any, tmp_path: Path) -> None:
    app.config["QADAM_DP_EPSILON"] = 1.0
    result = app.test_cli_runner().invoke(
        args=["reports", "dp-release", "2030-31-S1", str(tmp_path / "out")]
    )
    assert result.exit_code != 0
    assert "run flask reports aggregate first" in result.output
    assert "Traceback" not in result.output
