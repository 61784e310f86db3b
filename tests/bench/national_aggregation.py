"""National-scale area aggregation on PostgreSQL, next to a plain GROUP BY count of the same
responses.

Run from the project root::

    .venv/bin/python -m tests.bench.national_aggregation            # 3.5 million responses
    .venv/bin/python -m tests.bench.national_aggregation --quick    # 20,000 (make test)
    .venv/bin/python -m tests.bench.national_aggregation --responses N [--db-url URL]

A throwaway PostgreSQL server unless ``--db-url`` names an empty database. In SQL, with
``generate_series``: schools (one per 500 responses: about 7,000) spread unevenly over the
224 districts of all 20 regions (a few big, many small, some with one or two schools), 20
classes each (about 140,000) of 3 to 35 students (25 on average), a closed wave per school of
the 2025-26-S1 period with the shipped grades 5–9 instrument, a roster size for 80% of the
classes, and a response per student whose answers follow a prevalence drawn per school. A
tenth of the classes were given a lesson with a quiz, which most of their students finished.

Then, timed:

* **school freezes**: each school's class and school results, as its wave's close computes
  them (``survey_results.freeze``, one school after the other, as schools close their waves
  over weeks);
* **plain count**: ``SELECT window_id, count(*) FROM survey_response GROUP BY window_id``;
* **area aggregation**: the period's area figures (``area_results.compute``): the sums per
  district and region in SQL, the published school and class tree below them, participation
  and quiz completion, the area gate, k = 5, complementary suppression and the
  recoverability checks; then once more with storing the rows and building, validating and
  signing the two packages.

The plain count and the area aggregation run alternately ``--repeats`` times after one warm
run of each, so that other load on the machine falls on both alike. It prints each, the ratio
of the area aggregation to the plain count (target ≤ 2×; best to best, and median to median),
the ratio
of everything computed from the responses (school freezes and areas) to the same count, and
the peak memory (Python allocations during the aggregation, and the process's maximum
resident size). The exit code is 2 if the setup failed, 1 if the period was blocked, else 0.
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import statistics
import sys
import tempfile
import time
import traceback
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from app import create_app
from app.content import Catalog
from app.content_catalog import catalog
from app.extensions import db
from app.models import Area, Deployment, Platform, SurveyWave
from app.services import area_results, areas, survey_results
from tests.conftest import app_config

ROOT = Path(__file__).resolve().parents[2]
RESPONSES = 3_500_000
QUICK_RESPONSES = 20_000
PER_SCHOOL = 500  # responses per school, so 3.5 million make 7,000 schools
CLASSES_PER_SCHOOL = 20
SURVEY = "grades-5-9"
OPENS = date(2025, 9, 15)
CLOSES = date(2025, 10, 20)
PERIOD = area_results.period_of(OPENS)
SEED = 20251015
TARGET = "target: area aggregation ≤ 2× the plain GROUP BY count"
SMALL = (
    "the target is for national scale: with few responses the count takes milliseconds and"
    " the aggregation's fixed costs (its statements, a thread and a connection) dominate"
)


@dataclass
class Scale:
    responses: int
    schools: int
    classes: int


def scale_for(responses: int) -> Scale:
    schools = max(12, round(responses / PER_SCHOOL))
    return Scale(responses, schools, schools * CLASSES_PER_SCHOOL)


# -- the data -------------------------------------------------------------------------------


def school_districts(districts: list[str], schools: int, rng: random.Random) -> list[str]:
    """The district of each school: uneven (log-normal) sizes, some of one or two schools;
    with fewer schools than 10 per district, only as many districts as give about 4 each."""
    chosen = list(districts)
    rng.shuffle(chosen)
    if schools < 10 * len(chosen):
        chosen = chosen[: max(3, math.ceil(schools / 4))]
    weights = [rng.lognormvariate(0, 1.1) for _ in chosen]
    total = sum(weights)
    counts = [max(1, round(schools * w / total)) for w in weights]
    while sum(counts) > schools:
        counts[counts.index(max(counts))] -= 1
    while sum(counts) < schools:
        counts[counts.index(max(counts))] += 1
    return [code for code, count in zip(chosen, counts, strict=True) for _ in range(count)]


def answers_sql(survey_items: list[tuple[str, int, int]]) -> str:
    """A response's answers: each item skipped 5% of the time, else at or above its
    threshold with the school's prevalence ``share``."""
    parts = []
    for item, threshold, top in survey_items:
        high = f"{threshold} + floor(random() * {top - threshold + 1})::int"
        low = f"floor(random() * {max(threshold, 1)})::int"
        parts.append(
            f"'{item}', CASE WHEN random() < 0.05 THEN NULL "
            f"WHEN random() < sh.share THEN {high} ELSE {low} END"
        )
    return "json_strip_nulls(json_build_object(" + ", ".join(parts) + "))"


def items_of(found: Catalog) -> list[tuple[str, int, int]]:
    """Each item of the instrument with the lowest threshold that counts it, and its top."""
    survey = found.survey(SURVEY)
    if survey is None:
        raise RuntimeError(f"no {SURVEY} instrument in the catalog")
    thresholds: dict[str, int] = {}
    for indicator in survey.indicators:
        for item in indicator.items:
            thresholds[item] = min(thresholds.get(item, 99), indicator.threshold_value)
    out = []
    for item in survey.items:
        scale = survey.scale_of(item.id)
        top = max(o.value for o in scale.options) if scale else 1
        out.append((item.id, min(thresholds.get(item.id, 1), top), top))
    return out


def generate(scale: Scale, found: Catalog) -> dict[str, float]:
    """Every row in SQL; returns the seconds each step took."""
    rng = random.Random(SEED)  # noqa: S311 (test data)
    took: dict[str, float] = {}
    conn = db.session.connection()
    conn.execute(text("SELECT setseed(0.42)"))
    platform = Platform(
        issuer="https://moodle.bench.test",
        client_id="bench",
        auth_login_url="https://moodle.bench.test/auth",
        auth_token_url="https://moodle.bench.test/token",
    )
    db.session.add(platform)
    db.session.flush()
    deployment = Deployment(platform_id=platform.id, deployment_id="1")
    db.session.add(deployment)
    db.session.flush()
    districts = list(
        db.session.scalars(
            select(Area.kato).where(Area.level == areas.DISTRICT).order_by(Area.kato)
        )
    )
    placed = school_districts(districts, scale.schools, rng)
    survey = found.survey(SURVEY)
    assert survey is not None
    params = {
        "platform": platform.id,
        "deployment": deployment.id,
        "districts": placed,
        "opens": OPENS,
        "closes": CLOSES,
        "survey": SURVEY,
        "version": survey.version,
        "per_school": CLASSES_PER_SCHOOL,
    }
    answers = answers_sql(items_of(found))
    steps = [
        (
            "schools",
            """INSERT INTO school (platform_id, key, name, created_at, kato_locality,
                   kato_district, kato_region, kato_version)
               SELECT :platform, 'param:bench-' || d.n, 'School ' || d.n, now(),
                   substr(d.code, 1, 6) || '123', d.code, substr(d.code, 1, 2) || '0000000',
                   '2024'
               FROM unnest(CAST(:districts AS text[])) WITH ORDINALITY AS d(code, n)""",
        ),
        (
            "classes",
            """INSERT INTO school_class (platform_id, deployment_id, school_id, context_id,
                   title, label, band, created_at, last_launch_at)
               SELECT :platform, :deployment, s.id, 'c-' || s.id || '-' || k,
                   (4 + k % 6) || chr(65 + k / 6), (4 + k % 6) || chr(65 + k / 6), 'basic',
                   now(), now()
               FROM school s CROSS JOIN generate_series(1, :per_school) k""",
        ),
        (
            "waves",
            """INSERT INTO survey_wave (school_id, code, opens_on, closes_on, consent,
                   instruments, status, closed_on, created_at)
               SELECT s.id, '2025-autumn', :opens, :closes, 'opt-out',
                   CAST('{"grades-5-9": "grades-5-9"}' AS json), 'closed', :closes, now()
               FROM school s""",
        ),
        (
            "class sizes",
            """CREATE UNLOGGED TABLE bench_class AS
               SELECT c.id AS class_id, c.school_id,
                   greatest(3, least(35, 25 + round((random() + random() + random() - 1.5)
                       * 14)))::int AS size,
                   random() < 0.8 AS rostered
               FROM school_class c""",
        ),
        (
            "prevalence",
            """CREATE UNLOGGED TABLE bench_share AS
               SELECT s.id AS school_id, (ARRAY[0.02, 0.06, 0.1, 0.18, 0.3])[1
                   + floor(random() * 5)::int] AS share
               FROM school s""",
        ),
        (
            "windows",
            """INSERT INTO survey_window (wave_id, school_class_id, age_group, survey_id,
                   survey_version, status, opened_on, closed_on, roster_size)
               SELECT w.id, b.class_id, 'grades-5-9', :survey, :version, 'closed', :opens,
                   :closes, CASE WHEN b.rostered THEN b.size + floor(random() * 4)::int END
               FROM bench_class b JOIN survey_wave w ON w.school_id = b.school_id""",
        ),
        (
            "responses",
            f"""INSERT INTO survey_response (id, window_id, answers)
               SELECT md5(random()::text || sw.id || '-' || k), sw.id, {answers}
               FROM survey_window sw
               JOIN bench_class b ON b.class_id = sw.school_class_id
               JOIN bench_share sh ON sh.school_id = b.school_id
               CROSS JOIN LATERAL generate_series(1, b.size) k""",
        ),
    ]
    steps += quiz_steps(found)
    for name, sql in steps:
        began = time.perf_counter()
        conn.execute(text(sql), params)
        took[name] = time.perf_counter() - began
    db.session.commit()
    return took


def graded(found: Catalog, quiz_id: str | None) -> bool:
    quiz = found.quiz(quiz_id)
    return quiz is not None and quiz.graded


def quiz_steps(found: Catalog) -> list[tuple[str, str]]:
    """A tenth of the classes were given a lesson with a quiz; their students (as many as
    the class answered the survey) opened Qadam, and about 70% finished the quiz."""
    lesson = next((le for le in found.lessons if graded(found, le.quiz)), None)
    if lesson is None:
        return []
    return [
        (
            "quiz lessons",
            f"""INSERT INTO lesson_delivery (school_class_id, lesson_id, given_on, created_at)
               SELECT class_id, '{lesson.id}', :opens, now() FROM bench_class
               WHERE class_id % 10 = 0""",
        ),
        (
            "students",
            """INSERT INTO person (platform_id, sub, created_at)
               SELECT :platform, 'student-' || b.class_id || '-' || k, now()
               FROM bench_class b CROSS JOIN LATERAL generate_series(1, b.size) k
               WHERE b.class_id % 10 = 0""",
        ),
        (
            "memberships",
            """INSERT INTO membership (person_id, school_class_id, role, last_launch_at)
               SELECT p.id, split_part(p.sub, '-', 2)::int, 'student', now()
               FROM person p WHERE p.sub LIKE 'student-%'""",
        ),
        (
            "quiz attempts",
            f"""INSERT INTO quiz_attempt (person_id, school_class_id, quiz_id, number, position,
                   started_at, updated_at, submitted_at, score)
               SELECT m.person_id, m.school_class_id, '{lesson.quiz}', 1, 0, now(), now(),
                   TIMESTAMP WITH TIME ZONE '2025-10-01 10:00:00+00', 1.0
               FROM membership m WHERE random() < 0.7""",
        ),
    ]


def vacuum() -> None:
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


# -- the timed parts ------------------------------------------------------------------------


def timed(run: Callable[[], Any], times: int) -> tuple[list[float], Any]:
    seconds = []
    result = None
    for _ in range(times):
        began = time.perf_counter()
        result = run()
        seconds.append(time.perf_counter() - began)
        db.session.rollback()
    return seconds, result


def alternated(
    first: Callable[[], Any], second: Callable[[], Any], times: int
) -> tuple[list[float], list[float], Any, Any]:
    """Both, one after the other ``times`` times: a load that comes and goes on a shared
    machine falls on both alike. (seconds of first, of second, their last results)"""
    first_s: list[float] = []
    second_s: list[float] = []
    one = two = None
    for _ in range(times):
        took, one = timed(first, 1)
        first_s += took
        took, two = timed(second, 1)
        second_s += took
    return first_s, second_s, one, two


def plain_count() -> int:
    rows = db.session.execute(
        text("SELECT window_id, count(*) FROM survey_response GROUP BY window_id")
    ).all()
    return len(rows)


def freeze_all(found: Catalog) -> tuple[float, int]:
    """Every school's class and school results, one wave after another; (seconds, waves)."""
    waves = list(db.session.scalars(select(SurveyWave.id).order_by(SurveyWave.id)))
    began = time.perf_counter()
    for wave_id in waves:
        survey_results.freeze(wave_id, found)
    return time.perf_counter() - began, len(waves)


def peak_python(run: Callable[[], Any]) -> float:
    """Peak Python allocation (MB) while ``run`` runs."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
        db.session.rollback()


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


# -- running --------------------------------------------------------------------------------


@contextmanager
def database(url: str | None) -> Iterator[str]:
    if url is not None:
        yield url
        return
    from tests.support.postgres import PostgresServer

    server = PostgresServer().start()
    try:
        yield server.create_database("qadam_national")
    finally:
        server.stop()


def run(scale: Scale, url: str, folder: Path, repeats: int) -> int:
    app = create_app(app_config(url, folder / "instance", QADAM_CONTENT_ROOT=str(ROOT)))
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            raise RuntimeError("this benchmark runs on PostgreSQL")
        db.create_all()
        areas.import_lists()
        found = catalog()
        began = time.perf_counter()
        steps = generate(scale, found)
        generated = time.perf_counter() - began
        counts = db.session.execute(
            text(
                "SELECT (SELECT count(*) FROM survey_response), (SELECT count(*) FROM school),"
                " (SELECT count(*) FROM school_class),"
                " (SELECT count(DISTINCT kato_district) FROM school),"
                " (SELECT count(DISTINCT kato_region) FROM school)"
            )
        ).one()
        print(
            f"national aggregation on PostgreSQL: {counts[0]:,} responses, {counts[1]:,} "
            f"schools, {counts[2]:,} classes, {counts[3]} districts in {counts[4]} regions"
        )
        print(
            f"  generated in SQL in {generated:.1f} s ("
            + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items())
            + ")"
        )
        frozen, waves = freeze_all(found)
        print(
            f"  school freezes (class and school results, as each wave's close computes them):"
            f" {frozen:.1f} s for {waves:,} schools, {1000 * frozen / max(waves, 1):.1f} ms each"
        )
        vacuum()
        timed(plain_count, 1)  # both warm: the tables and indexes in memory, plans cached
        timed(lambda: area_results.compute(PERIOD, found), 1)
        count_s, area_s, windows, computed = alternated(
            plain_count, lambda: area_results.compute(PERIOD, found), repeats
        )
        memory = peak_python(lambda: area_results.compute(PERIOD, found))
        began = time.perf_counter()
        stored = area_results.aggregate(PERIOD, found, today=PERIOD.final_on)
        with_packages = time.perf_counter() - began
        count_t, area_t = min(count_s), min(area_s)
        cells = computed[0]
        statuses: dict[str, int] = {}
        for cell in cells:
            statuses[cell.status] = statuses.get(cell.status, 0) + 1
        print(
            f"  plain GROUP BY count over survey_response ({windows:,} groups): "
            f"{count_t:.3f} s (best of {repeats}: " + ", ".join(f"{s:.3f}" for s in count_s) + ")"
        )
        print(
            f"  area aggregation with suppression: {area_t:.3f} s (best of {repeats}: "
            + ", ".join(f"{s:.3f}" for s in area_s)
            + f"); {len(cells):,} area cells: "
            + ", ".join(f"{n:,} {s}" for s, n in sorted(statuses.items()))
        )
        print(
            f"  ... stored, with its two packages built, validated and signed: "
            f"{with_packages:.3f} s"
        )
        medians = statistics.median(area_s) / statistics.median(count_s)
        print(
            f"  ratio area aggregation / plain count: {area_t / count_t:.2f}× best to best,"
            f" {medians:.2f}× median to median ({TARGET})"
        )
        if scale.responses < RESPONSES:
            print(f"  ({SMALL})")
        print(
            f"  everything from the responses (school freezes + area aggregation): "
            f"{frozen + area_t:.1f} s = {(frozen + area_t) / count_t:.0f}× the plain count"
        )
        print(
            f"  peak memory: {memory:.1f} MB of Python allocations during the area "
            f"aggregation; {max_rss_mb():.0f} MB maximum resident size of this process"
        )
        if stored.blocked:
            print(f"  the period was blocked: {stored.blocked}")
            return 1
        db.session.remove()
        db.engine.dispose()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.national_aggregation",
        description="National-scale area aggregation next to a plain GROUP BY count.",
    )
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_RESPONSES:,} responses")
    parser.add_argument("--responses", type=int, help=f"responses (default {RESPONSES:,})")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each (default 3)")
    parser.add_argument("--db-url", help="an empty database (default: a throwaway server)")
    args = parser.parse_args(argv)
    responses = args.responses or (QUICK_RESPONSES if args.quick else RESPONSES)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="qadam-bench-") as tmp,
            database(args.db_url) as url,
        ):
            return run(scale_for(responses), url, Path(tmp), max(1, args.repeats))
    except Exception:
        traceback.print_exc()
        return 2


if __name__ == "__main__":
    sys.exit(main())
