"""Survey results of a large school next to a plain ``GROUP BY`` over the same rows, on
PostgreSQL, in the same run.

Run from the project root::

    .venv/bin/python -m tests.bench.results_throughput [--quick] [--waves N] [--repeats N]
                                                       [--classes N] [--size N] [--db-url URL]

A throwaway PostgreSQL server unless ``--db-url`` names a database. One school of ``--classes``
(60) grade 5–9 classes answers the real grades 5–9 instrument (``--size``, 30, respondents
each, answers drawn with a fixed seed), in ``--waves`` closed waves (a wave's results are frozen
once, so each wave measures the freeze once). For each wave, in the same process and on the
same database:

* plain GROUP BY: ``SELECT window_id, count(*) … GROUP BY window_id`` over the wave's responses;
* indicators in SQL: the results' own aggregation (every indicator's numerator and denominator
  per class, one ``GROUP BY`` over the JSON answers);
* freeze: that aggregation, disclosure control (gate, k = 5, complementary suppression, the
  recoverability check) and storing the frozen cells, in one transaction;
* read + check: ``wave_results`` (the stored cells and the recoverability check again);
* charts: the SVG bar chart of the school and every class;
* CSV, XLSX, PDF: the coordinator's exports of the wave.

Each step but the freeze is repeated ``--repeats`` times per wave; the table shows medians in
milliseconds and each step's ratio to the plain ``GROUP BY``. The exit code is 2 if the setup
or a step failed, else 0. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask_babel import force_locale
from sqlalchemy import insert, select, text

from app import create_app
from app.content.survey_schema import Survey
from app.content_catalog import ROOT, catalog
from app.demo import register_demo_platform
from app.extensions import db
from app.models import SchoolClass, SurveyResponse, SurveyWave, SurveyWindow
from app.models.base import utc_today
from app.models.survey import random_id
from app.result_labels import chart_words, export_words
from app.services import result_charts, result_exports, survey_results, surveys, table_files
from tests.conftest import app_config

GROUP = "grades-5-9"
PLAIN = (
    "SELECT window_id, count(*) FROM survey_response "
    "WHERE window_id IN (SELECT id FROM survey_window WHERE wave_id = :wave) GROUP BY window_id"
)


def answers(rng: random.Random, survey: Survey, size: int) -> list[dict[str, int]]:
    """One class's answers: each item answered by most, the scale's values drawn at random."""
    rows = []
    for _ in range(size):
        given = {}
        for item in survey.items:
            scale = survey.scale_of(item.id)
            if scale is not None and rng.random() < 0.95:
                given[item.id] = rng.choice(scale.values)
        rows.append(given)
    return rows


def build_school(app: Any, classes: int, size: int, waves: int) -> list[int]:
    """The demo school with ``classes`` classes and ``waves`` open waves full of answers."""
    rng = random.Random(60)  # noqa: S311 (answers for a benchmark)
    with app.app_context():
        register_demo_platform(app)
        first = db.session.scalars(select(SchoolClass)).first()
        school_id = _demo_school(app) if first is None else int(first.school_id)
        made = _classes(school_id, classes)
        today = utc_today()
        wave_ids = []
        for number in range(waves):
            wave = surveys.open_wave(
                school_id,
                f"2026-bench-{number}",
                today,
                today + timedelta(days=7),
                "opt-out",
                surveys.default_instruments(catalog()),
                catalog(),
            )
            for school_class in made:
                window = surveys.open_window(wave, school_class, GROUP, catalog(), today)
                survey = catalog().survey(window.survey_id)
                assert survey is not None
                db.session.execute(
                    insert(SurveyResponse.__table__),
                    [
                        {"id": random_id(), "window_id": window.id, "answers": given}
                        for given in answers(rng, survey, size)
                    ],
                )
            db.session.commit()
            _close_without_freezing(wave.id)
            wave_ids.append(wave.id)
        return wave_ids


def _demo_school(app: Any) -> int:
    from app.models import Platform
    from app.services import schools

    platform = db.session.scalars(select(Platform)).one()
    return int(schools.school_for_launch(platform.id, platform.deployments[0].id, None))


def _classes(school_id: int, count: int) -> list[SchoolClass]:
    from app.models import Platform

    platform = db.session.scalars(select(Platform)).one()
    made = [
        SchoolClass(
            platform_id=platform.id,
            deployment_id=platform.deployments[0].id,
            school_id=school_id,
            context_id=random_id(),
            title=f"{5 + i % 5}{chr(65 + i // 5)}",
            label=f"{5 + i % 5}{chr(65 + i // 5)}",
            band="basic",
        )
        for i in range(count)
    ]
    db.session.add_all(made)
    db.session.commit()
    return made


def _close_without_freezing(wave_id: int) -> None:
    """Close the wave and its windows; the freeze is measured on its own."""
    wave = db.session.get(SurveyWave, wave_id)
    surveys.close_wave(wave, utc_today())


def timed(step: Callable[[], Any]) -> float:
    began = time.perf_counter()
    step()
    return (time.perf_counter() - began) * 1000


def measure(app: Any, wave_ids: list[int], repeats: int) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {}

    def add(name: str, step: Callable[[], Any], times: int = repeats) -> None:
        found.setdefault(name, []).extend(timed(step) for _ in range(times))

    with app.test_request_context(), force_locale("en"):
        school_id = db.session.get(SurveyWave, wave_ids[0]).school_id
        words = export_words("bench")
        for wave_id in wave_ids:
            windows = list(
                db.session.scalars(select(SurveyWindow.id).where(SurveyWindow.wave_id == wave_id))
            )
            survey = catalog().survey(db.session.get(SurveyWindow, windows[0]).survey_id)
            assert survey is not None
            add(
                "plain GROUP BY",
                lambda w=wave_id: db.session.execute(text(PLAIN), {"wave": w}).all(),
            )
            add(
                "indicators in SQL",
                lambda s=survey, ws=windows: survey_results.indicator_counts(s, ws),
            )
            add("freeze", lambda w=wave_id: survey_results.freeze(w, catalog()), times=1)

            def read(w: int = wave_id) -> survey_results.WaveResults:
                return survey_results.wave_results(w, school_id=school_id, catalog=catalog())

            add("read + check", read)
            results = read()
            units = [results.school, *results.classes]
            add("charts (SVG)", lambda u=units: [_chart(unit) for unit in u])
            add(
                "CSV",
                lambda r=results: table_files.csv_bytes(
                    *result_exports.export_rows(r, "en", words)
                ),
            )
            add("XLSX", lambda r=results: result_exports.xlsx_bytes(r, "en", words))
            add("PDF", lambda r=results: result_exports.pdf_bytes(r, "Bench school", "en", words))
            db.session.remove()
    return found


def _chart(unit: survey_results.UnitResults) -> str:
    chart = result_charts.unit_chart(unit, "en", chart_words(unit.name))
    return result_charts.svg(chart, f"chart-{unit.level}-{unit.unit_id}")


def report(found: dict[str, list[float]], args: argparse.Namespace, db_kind: str) -> None:
    plain = statistics.median(found["plain GROUP BY"])
    print()
    print(
        f"database: {db_kind}  school: {args.classes} classes x {args.size} respondents "
        f"({args.classes * args.size} responses per wave), instrument {GROUP}  "
        f"waves: {args.waves}  repeats: {args.repeats}"
    )
    header = f"{'step':24}{'median ms':>12}{'min ms':>10}{'x plain GROUP BY':>18}"
    print(header)
    print("-" * len(header))
    for name, times in found.items():
        median = statistics.median(times)
        print(f"{name:24}{median:12.1f}{min(times):10.1f}{median / plain:18.1f}")
    print()
    summaries = statistics.median(found["freeze"]) + statistics.median(found["read + check"])
    exports = sum(statistics.median(found[k]) for k in ("CSV", "XLSX", "PDF"))
    print(
        f"ratio: a wave's summaries (freeze once, then read + check) take {summaries:.1f} ms, "
        f"{summaries / plain:.0f}x the plain GROUP BY ({plain:.2f} ms); the three exports "
        f"{exports:.1f} ms, {exports / plain:.0f}x"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.results_throughput",
        description="Survey results of a large school next to a plain GROUP BY, on PostgreSQL.",
    )
    parser.add_argument("--quick", action="store_true", help="2 waves, 3 repeats (make test)")
    parser.add_argument("--waves", type=int, help="closed waves to measure (default 5)")
    parser.add_argument("--repeats", type=int, help="repeats of each step per wave (default 10)")
    parser.add_argument("--classes", type=int, default=60, help="classes (default 60)")
    parser.add_argument("--size", type=int, default=30, help="respondents per class (default 30)")
    parser.add_argument("--db-url", help="database URL (default: a throwaway PostgreSQL server)")
    args = parser.parse_args(argv)
    args.waves = args.waves or (2 if args.quick else 5)
    args.repeats = args.repeats or (3 if args.quick else 10)
    if min(args.waves, args.repeats, args.classes, args.size) < 1:
        parser.error("--waves, --repeats, --classes and --size must be at least 1")
    with tempfile.TemporaryDirectory(prefix="qadam-bench-") as tmp, ExitStack() as stack:
        try:
            url = args.db_url
            if url is None:
                from tests.support.postgres import PostgresServer

                postgres = PostgresServer().start()
                stack.callback(postgres.stop)
                url = postgres.create_database("qadam_bench")
            app = create_app(
                app_config(
                    url, Path(tmp) / "instance", QADAM_DEMO=True, QADAM_CONTENT_ROOT=str(ROOT)
                )
            )
            # create_app() turned on INFO logging; fpdf2's font subsetting logs every table.
            logging.getLogger("fontTools").setLevel(logging.WARNING)
            with app.app_context():
                db.create_all()
                db_kind = db.engine.dialect.name
            began = time.monotonic()
            wave_ids = build_school(app, args.classes, args.size, args.waves)
            print(f"setup: {args.waves} waves of answers in {time.monotonic() - began:.1f} s")
            found = measure(app, wave_ids, args.repeats)
            report(found, args, db_kind)
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            return 0
        except Exception:
            traceback.print_exc()
            print("benchmark failed", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
