"""Quiz answer autosave and submission next to a bare Flask POST, on the same gunicorn server.

Run from the project root::

    .venv/bin/python -m tests.bench.quiz_throughput [--quick] [--seconds N] [--clients C]
                                                    [--db-url URL | --postgres]

Each client is a student with a session of their own (an LTI launch over HTTP, then the quiz
page), made before the phases and not measured. Three phases, each a warm-up and ``--seconds``
measured:

* bare: ``POST /bench/bare``, a route that does nothing (same app, same middleware);
* autosave: the POST the quiz page's script sends when an answer changes (JSON answer);
* submit: start an attempt and read its id (not timed), then finish it (timed): the score,
  the answers' points and the outbox row are written in one transaction;
* autosave@1s and submit@2s: the same, each student at a steady pace (an answer a second, a
  submission every two seconds) instead of as fast as possible, for the latency a busy class
  sees. (With every student sending again the moment an answer comes back, latency is the
  queue: students ÷ throughput, whatever the handler costs.)

Ratios are throughput against the bare POST; for submit, every request of the cycle counts.
The exit code is 1 if any request failed, 2 if the setup failed, else 0. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
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

from tests.bench.launch_throughput import (
    Operation,
    PhaseResult,
    prepare_database,
    run_phase,
    split_clients,
)
from tests.support.http_flow import launch_over_http
from tests.support.platform_simulator import PlatformSimulator
from tests.support.quiz_flow import LESSON, PERFECT, QUIZ, QUIZ_URL, content_with_quiz
from tests.support.servers import GunicornServer

GUNICORN_WORKERS = 2
TARGET = "target: autosave and submit ≥ 40% of the bare POST, p95 ≤ 100 ms"
ANSWERS = [(q, c) for q, c in PERFECT.items()] + [("who-helps", ["friend"]), ("lost", ["leave"])]
_student = threading.local()


@dataclass(frozen=True)
class StudentLogin:
    """What a launch leaves a student's browser with; made before the phases, in the parent."""

    cookies: dict[str, str]
    token: str
    attempt: int


@dataclass
class Student:
    session: requests.Session
    token: str
    attempt: int


_LOGINS: list[StudentLogin] = []
# Forked client processes share this counter: each thread claims the next student.
_CLAIMED = multiprocessing.get_context("fork").Value("i", 0)


def launch_students(base_url: str, simulator: PlatformSimulator, count: int) -> None:
    """Launch ``count`` students over HTTP and open the quiz for each (not measured)."""
    _LOGINS.clear()
    for number in range(count):
        with requests.Session() as session:
            launched = launch_over_http(
                session,
                simulator,
                base_url,
                base_url,
                "learner",
                sub=f"bench-student-{number}",
                custom={"lesson": LESSON},
                resource_link="bench-quiz",
            )
            if launched.status_code != 303:
                raise RuntimeError(f"launch answered {launched.status_code}")
            page = session.get(base_url + QUIZ_URL, timeout=30).text
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
            attempt = re.search(r'data-attempt="(\d+)"', page)
            if token is None or attempt is None:
                raise RuntimeError("the quiz page has no form")
            _LOGINS.append(
                StudentLogin(session.cookies.get_dict(), token.group(1), int(attempt.group(1)))
            )


def student(base_url: str, simulator: PlatformSimulator) -> Student:
    """This thread's student, claimed on first use."""
    found: Student | None = getattr(_student, "value", None)
    if found is not None:
        return found
    with _CLAIMED.get_lock():
        login = _LOGINS[_CLAIMED.value % len(_LOGINS)]
        _CLAIMED.value += 1
    session = requests.Session()
    session.cookies.update(login.cookies)
    _student.value = Student(session, login.token, login.attempt)
    return _student.value


def bare_post(base_url: str, simulator: PlatformSimulator, n: int) -> str | float | None:
    session = student(base_url, simulator).session
    began = time.monotonic()
    response = session.post(base_url + "/bench/bare", data={"n": str(n)}, timeout=30)
    took = time.monotonic() - began
    return took if response.status_code == 204 else f"bare answered {response.status_code}"


def autosave(base_url: str, simulator: PlatformSimulator, n: int) -> str | float | None:
    me = student(base_url, simulator)
    question, choice = ANSWERS[n % len(ANSWERS)]
    data = [("action", "save"), ("position", "0"), ("question", question)]
    data += [(f"q-{question}", option) for option in choice]
    began = time.monotonic()
    response = me.session.post(
        f"{base_url}/quizzes/{QUIZ}/attempts/{me.attempt}/answer",
        data=data,
        headers={"Accept": "application/json", "X-CSRFToken": me.token},
        timeout=30,
    )
    took = time.monotonic() - began
    if response.status_code != 200:
        return f"autosave answered {response.status_code}: {response.text[:120]!r}"
    return took


def submit(base_url: str, simulator: PlatformSimulator, n: int) -> str | float | None:
    me = student(base_url, simulator)
    again = me.session.post(
        f"{base_url}/quizzes/{QUIZ}/again",
        data={"csrf_token": me.token},
        allow_redirects=False,
        timeout=30,
    )
    if again.status_code != 303:
        return f"again answered {again.status_code}"
    state = me.session.get(f"{base_url}/quizzes/{QUIZ}/status", timeout=30).json()
    me.attempt = int(state["attempt"])
    began = time.monotonic()
    done = me.session.post(
        f"{base_url}/quizzes/{QUIZ}/attempts/{me.attempt}/finish",
        data={"csrf_token": me.token},
        allow_redirects=False,
        timeout=30,
    )
    took = time.monotonic() - began
    return took if done.status_code == 303 else f"finish answered {done.status_code}"


# A class at work: each student saves an answer about every AUTOSAVE_PACE seconds and finishes
# an attempt about every SUBMIT_PACE seconds (far busier than a real class, which thinks).
AUTOSAVE_PACE = 1.0
SUBMIT_PACE = 2.0
_pace = threading.local()


def paced(operation: Operation, every: float) -> Operation:
    """``operation`` started at most once every ``every`` seconds by each client thread."""

    def run(base_url: str, simulator: PlatformSimulator, n: int) -> str | float | None:
        now = time.monotonic()
        # A random-ish start spreads the threads over the interval.
        due = getattr(_pace, "due", now + every * (threading.get_native_id() % 97) / 97)
        time.sleep(max(0.0, due - now))
        _pace.due = max(due, time.monotonic() - every) + every
        return operation(base_url, simulator, n)

    return run


@dataclass
class Setup:
    server: GunicornServer
    simulator: PlatformSimulator
    db_kind: str


@contextmanager
def bench_setup(db_url: str | None, use_postgres: bool, workdir: Path) -> Iterator[Setup]:
    with ExitStack() as stack:
        prepared = prepare_database(stack, db_url, use_postgres, workdir)
        content = content_with_quiz(workdir)
        quiz_file = content / "quizzes" / "quiz" / f"{QUIZ}.yaml"
        quiz_file.write_text(quiz_file.read_text().replace("attempts: 2", "attempts: 0"))
        env = {
            "QADAM_DATABASE_URL": prepared.url,
            "QADAM_SECRET_KEY": "bench-secret-shared-by-the-workers",
            "QADAM_OUTBOUND_ALLOW_LOOPBACK": "1",  # the simulated platform is on 127.0.0.1
            "QADAM_CONTENT_ROOT": str(content),
            "QADAM_OUTBOX_WORKER": "0",  # scores wait in the outbox; delivery is not measured
            "GUNICORN_CMD_ARGS": f"--capture-output --error-logfile {workdir / 'gunicorn.log'}",
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
        yield Setup(server=server, simulator=prepared.simulator, db_kind=prepared.db_kind)


def print_report(phases: list[PhaseResult], setup: Setup, clients: int) -> None:
    bare = phases[0]
    processes = split_clients(clients)
    print()
    print(
        f"database: {setup.db_kind}  gunicorn: {GUNICORN_WORKERS} sync workers  "
        f"students: {clients} ({len(processes)} processes)  window: {bare.seconds:g} s"
    )
    header = f"{'':24}" + "".join(f"{p.name:>16}" for p in phases)
    print(header)
    print("-" * len(header))
    requests_per_op = {"bare POST": 1, "autosave": 1, "submit": 3, "autosave@1s": 1, "submit@2s": 3}
    rows = [
        ("completed", [f"{p.count}" for p in phases]),
        ("operations /s", [f"{p.per_second:.1f}" for p in phases]),
        ("requests /s", [f"{p.per_second * requests_per_op[p.name]:.1f}" for p in phases]),
        ("errors", [f"{p.errors}" for p in phases]),
        ("latency p50 ms", [f"{p.percentile_ms(0.5):.1f}" for p in phases]),
        ("latency p95 ms", [f"{p.percentile_ms(0.95):.1f}" for p in phases]),
        ("tool CPU ms per op", [f"{p.ms_per_op(p.server_cpu_seconds):.2f}" for p in phases]),
    ]
    for label, values in rows:
        print(f"{label:24}" + "".join(f"{v:>16}" for v in values))
    print()
    for phase in (p for p in phases[1:] if "@" not in p.name):
        per_request = phase.per_second * requests_per_op[phase.name]
        ratio = per_request / bare.per_second if bare.per_second else float("nan")
        print(
            f"ratio {phase.name}: {100 * ratio:.1f}% of the bare POST's requests/s "
            f"(saturated: every student sends again as soon as answered)"
        )
    for phase in (p for p in phases if "@" in p.name):
        print(
            f"p95 {phase.name}: {phase.percentile_ms(0.95):.1f} ms with {clients} students "
            f"at that pace ({phase.per_second * requests_per_op[phase.name]:.0f} requests/s)"
            + (", the finish request" if phase.name.startswith("submit") else "")
        )
    print(TARGET)
    for phase in phases:
        for sample in dict.fromkeys(phase.error_samples):
            print(f"{phase.name} error: {sample}")


def _reset_claims() -> bool:
    with _CLAIMED.get_lock():
        _CLAIMED.value = 0
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.quiz_throughput",
        description="Quiz autosave and submit next to a bare Flask POST, on one gunicorn server.",
    )
    parser.add_argument("--quick", action="store_true", help="2 s phases (unless --seconds)")
    parser.add_argument("--seconds", type=float, help="measured seconds per phase (default 10)")
    parser.add_argument("--clients", type=int, default=50, help="students (default 50)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--db-url", help="database URL (default: a SQLite file in a temp dir)")
    where.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL server")
    args = parser.parse_args(argv)
    seconds = args.seconds or (2.0 if args.quick else 10.0)
    with tempfile.TemporaryDirectory(prefix="qadam-bench-") as tmp:
        try:
            with bench_setup(args.db_url, args.postgres, Path(tmp)) as setup:
                launch_students(setup.server.base_url, setup.simulator, args.clients)
                phases = [
                    run_phase(
                        name,
                        operation,
                        setup.server,
                        setup.simulator,
                        clients=args.clients,
                        seconds=seconds,
                        warmup=1.0,
                    )
                    for name, operation in (
                        ("bare POST", bare_post),
                        ("autosave", autosave),
                        ("autosave@1s", paced(autosave, AUTOSAVE_PACE)),
                        ("submit", submit),
                        ("submit@2s", paced(submit, SUBMIT_PACE)),
                    )
                    if _reset_claims()
                ]
                print_report(phases, setup, args.clients)
                return 1 if any(p.errors for p in phases) else 0
        except Exception:
            traceback.print_exc()
            print("benchmark failed", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
