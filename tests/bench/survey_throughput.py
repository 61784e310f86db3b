"""Survey submission next to a bare Flask POST, on the same gunicorn server and PostgreSQL.

Run from the project root::

    .venv/bin/python -m tests.bench.survey_throughput [--quick] [--seconds N] [--clients C]
                                                      [--db-url URL]

A throwaway PostgreSQL server unless ``--db-url`` names a database. Each client is a student
of a grade-6 class (classes of 25) with a session of their own, launched over HTTP before the
phases (not measured). A student submits a survey only once per class window, so the classes
get one window for each of many waves, enough for every submission a phase can make; each
submission goes to the student's next window. Phases, each a warm-up and ``--seconds``
measured:

* bare POST: ``POST /bench/bare``, a route that does nothing (same app, same middleware);
* submit: ``POST /surveys/<window>/answers``, counted when answered with the 303 to the help
  screen: the ledger row and the held response in one transaction, then a batch move when
  five are held;
* submit@2s (not with ``--quick``, to keep it short): the same, each student submitting every
  two seconds, for the latency a class sees (saturated, latency is the queue: students ÷
  throughput).

The two saturated phases run in halves of ``--seconds / 2``, in the order bare, submit, submit,
bare, and each is reported as the sum of its halves: load from elsewhere on a shared machine
that comes and goes then falls on both alike. The ratio of each pair of halves is printed too.

The exit code is 1 if any request failed, 2 if the setup failed, else 0. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import SurveyParticipation, SurveyResponse
from app.models.survey import SurveyHeldResponse
from tests.bench.launch_throughput import (
    Operation,
    PhaseResult,
    joined,
    prepare_database,
    print_halves,
    run_phase,
    split_clients,
)
from tests.bench.quiz_throughput import paced
from tests.conftest import CONTENT_ROOT, app_config
from tests.support.platform_simulator import PlatformSimulator
from tests.support.servers import GunicornServer
from tests.support.survey_flow import (
    LaunchedStudent,
    acknowledged,
    answer_form,
    answers_of,
    launch_students,
    open_windows,
)

GUNICORN_WORKERS = 2
CLASS_SIZE = 25
SUBMIT_PACE = 2.0
# Submissions per second no run here reaches: the windows prepared for a saturated phase.
MOST_PER_SECOND = 500
TARGET = "target: survey submission ≥ 40% of the bare POST's requests/s"


@dataclass
class Plan:
    """Made in the parent before the phases; the forked clients read it."""

    students: list[LaunchedStudent]
    windows: list[list[int]]  # each class's window ids, in wave order
    first_wave: int = 0  # the phase's students start at this wave


_PLAN = Plan([], [])
_CLAIMED = multiprocessing.get_context("fork").Value("i", 0)
_me = threading.local()


@dataclass
class Student:
    login: LaunchedStudent
    session: requests.Session
    wave: int


def student() -> Student:
    """This thread's student, claimed on first use; a phase starts at its first wave."""
    found: Student | None = getattr(_me, "value", None)
    if found is None:
        with _CLAIMED.get_lock():
            login = _PLAN.students[_CLAIMED.value % len(_PLAN.students)]
            _CLAIMED.value += 1
        found = _me.value = Student(login, login.session(), _PLAN.first_wave)
    return found


def bare_post(base_url: str, _simulator: PlatformSimulator, n: int) -> str | float | None:
    me = student()
    began = time.monotonic()
    response = me.session.post(base_url + "/bench/bare", data={"n": str(n)}, timeout=30)
    took = time.monotonic() - began
    return took if response.status_code == 204 else f"bare answered {response.status_code}"


def submit(base_url: str, _simulator: PlatformSimulator, _n: int) -> str | float | None:
    me = student()
    windows = _PLAN.windows[me.login.class_number]
    if me.wave >= len(windows):
        return "no window left to answer: prepare more waves"
    window = windows[me.wave]
    me.wave += 1
    began = time.monotonic()
    response = me.session.post(
        f"{base_url}/surveys/{window}/answers",
        data=answer_form(me.login.csrf_token, answers_of(me.login.number)),
        allow_redirects=False,
        timeout=30,
    )
    took = time.monotonic() - began
    if not acknowledged(response, window):
        return f"submit answered {response.status_code}: {response.text[:120]!r}"
    return took


@dataclass
class Setup:
    server: GunicornServer
    simulator: PlatformSimulator
    app: object
    db_kind: str
    log_path: Path


@contextmanager
def bench_setup(db_url: str | None, workdir: Path) -> Iterator[Setup]:
    with ExitStack() as stack:
        prepared = prepare_database(stack, db_url, db_url is None, workdir)
        log_path = workdir / "gunicorn.log"
        env = {
            "QADAM_DATABASE_URL": prepared.url,
            "QADAM_SECRET_KEY": "bench-secret-shared-by-the-workers",
            "QADAM_SURVEY_SECRET": "bench-survey-ledger-key",
            "QADAM_OUTBOUND_ALLOW_LOOPBACK": "1",  # the simulated platform is on 127.0.0.1
            "QADAM_CONTENT_ROOT": str(CONTENT_ROOT),  # the fixture survey instruments
            "QADAM_OUTBOX_WORKER": "0",
            "GUNICORN_CMD_ARGS": f"--capture-output --error-logfile {log_path}",
        }
        port = int(prepared.base_url.rsplit(":", 1)[1])
        server = stack.enter_context(
            GunicornServer(
                env,
                workers=GUNICORN_WORKERS,
                port=port,
                app_spec="tests.bench.bare_post_app:create_app_with_bare_post()",
            )
        )
        app = create_app(
            app_config(prepared.url, workdir / "setup-instance", QADAM_BASE_URL=prepared.base_url)
        )
        yield Setup(server, prepared.simulator, app, prepared.db_kind, log_path)


def waves_for(clients: int, seconds: float, warmup: float) -> tuple[int, int]:
    """Waves the saturated and the paced submit phases may use up, each student once a wave."""
    running = seconds + warmup + 1.0  # the forks and a last request after the window
    saturated = math.ceil(running * MOST_PER_SECOND / clients)
    return saturated, math.ceil(running / SUBMIT_PACE) + 1


def stored_counts(app: object) -> tuple[int, int, int]:
    """Ledger rows, responses and held responses after the run (a check, printed)."""
    with app.app_context():  # type: ignore[attr-defined]
        counts = tuple(
            int(db.session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (SurveyParticipation, SurveyResponse, SurveyHeldResponse)
        )
        db.session.remove()
        db.engine.dispose()
    return counts[0], counts[1], counts[2]


def print_report(phases: list[PhaseResult], setup: Setup, clients: int, windows: int) -> None:
    bare, saturated = phases[0], phases[1]
    processes = split_clients(clients)
    print()
    print(
        f"database: {setup.db_kind}  gunicorn: {GUNICORN_WORKERS} sync workers  "
        f"students: {clients} in classes of {CLASS_SIZE} ({len(processes)} processes)  "
        f"windows: {windows}  window: {bare.seconds:g} s"
    )
    header = f"{'':24}" + "".join(f"{p.name:>16}" for p in phases)
    print(header)
    print("-" * len(header))
    rows = [
        ("completed", [f"{p.count}" for p in phases]),
        ("requests /s", [f"{p.per_second:.1f}" for p in phases]),
        ("errors", [f"{p.errors}" for p in phases]),
        ("latency p50 ms", [f"{p.percentile_ms(0.5):.1f}" for p in phases]),
        ("latency p95 ms", [f"{p.percentile_ms(0.95):.1f}" for p in phases]),
        ("tool CPU ms per op", [f"{p.ms_per_op(p.server_cpu_seconds):.2f}" for p in phases]),
        ("client CPU ms per op", [f"{p.ms_per_op(p.client_cpu_seconds):.2f}" for p in phases]),
    ]
    for label, values in rows:
        print(f"{label:24}" + "".join(f"{v:>16}" for v in values))
    print()
    ratio = saturated.per_second / bare.per_second if bare.per_second else float("nan")
    bare_cpu = bare.ms_per_op(bare.server_cpu_seconds)
    cpu_ratio = bare_cpu / saturated.ms_per_op(saturated.server_cpu_seconds)
    print(
        f"ratio submit: {100 * ratio:.1f}% of the bare POST's requests/s "
        "(saturated: every student sends again as soon as answered)"
    )
    print(f"       tool CPU per bare POST ÷ per submission = {100 * cpu_ratio:.1f}%")
    for phase in phases[2:]:
        print(
            f"p95 {phase.name}: {phase.percentile_ms(0.95):.1f} ms with {clients} students "
            f"at that pace ({phase.per_second:.0f} submissions/s)"
        )
    print(TARGET)
    ledger, stored, held = stored_counts(setup.app)
    print(f"stored: {ledger} ledger rows, {stored} responses + {held} held (each submission once)")
    for phase in phases:
        for sample in dict.fromkeys(phase.error_samples):
            print(f"{phase.name} error: {sample}")
    if any(p.errors for p in phases):
        log = setup.log_path.read_text(errors="replace").splitlines()
        print("server log, last lines:")
        print("\n".join(log[-20:]))


def _phase(name: str, first_wave: int) -> str:
    """Point the next phase's students at their first wave (the forked clients inherit it)."""
    _PLAN.first_wave = first_wave
    with _CLAIMED.get_lock():
        _CLAIMED.value = 0
    return name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.survey_throughput",
        description="Survey submission next to a bare Flask POST, on gunicorn and PostgreSQL.",
    )
    parser.add_argument("--quick", action="store_true", help="2 s phases (unless --seconds)")
    parser.add_argument("--seconds", type=float, help="measured seconds per phase (default 10)")
    parser.add_argument("--clients", type=int, default=100, help="students (default 100)")
    parser.add_argument("--db-url", help="database URL (default: a throwaway PostgreSQL server)")
    args = parser.parse_args(argv)
    if args.clients < 1:
        parser.error("--clients must be at least 1")
    seconds = args.seconds or (2.0 if args.quick else 10.0)
    warmup = 0.5 if args.quick else 1.0
    half = seconds / 2
    # Each saturated phase runs as two halves, bare–submit–submit–bare, so that load from
    # elsewhere on a shared machine that comes and goes falls on both alike.
    half_waves, _ = waves_for(args.clients, half, warmup)
    _, paced_waves = waves_for(args.clients, seconds, warmup)
    saturated_waves = 2 * half_waves
    classes = math.ceil(args.clients / CLASS_SIZE)
    with tempfile.TemporaryDirectory(prefix="qadam-bench-") as tmp:
        try:
            began = time.monotonic()
            with bench_setup(args.db_url, Path(tmp)) as setup:
                base = setup.server.base_url
                steps = [f"database and gunicorn {time.monotonic() - began:.1f} s"]
                _PLAN.students = launch_students(
                    base, setup.simulator, classes, math.ceil(args.clients / classes)
                )[: args.clients]
                steps.append(f"{args.clients} launches {time.monotonic() - began:.1f} s")
                _PLAN.windows = open_windows(setup.app, classes, saturated_waves + paced_waves)
                steps.append(f"windows {time.monotonic() - began:.1f} s")
                print("setup: " + ", ".join(steps) + " (cumulative)")

                def phase(name: str, op: Operation, first: int, length: float) -> PhaseResult:
                    return run_phase(
                        _phase(name, first),
                        op,
                        setup.server,
                        setup.simulator,
                        clients=args.clients,
                        seconds=length,
                        warmup=warmup,
                    )

                halves = [
                    phase("bare POST", bare_post, 0, half),
                    phase("submit", submit, 0, half),
                    phase("submit", submit, half_waves, half),
                    phase("bare POST", bare_post, 0, half),
                ]
                phases = [joined(halves[0], halves[3]), joined(halves[1], halves[2])]
                if not args.quick:
                    phases.append(
                        phase("submit@2s", paced(submit, SUBMIT_PACE), saturated_waves, seconds)
                    )
                print_report(phases, setup, args.clients, classes * len(_PLAN.windows[0]))
                print_halves(halves)
                return 1 if any(p.errors for p in phases) else 0
        except Exception:
            traceback.print_exc()
            print("benchmark failed", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
