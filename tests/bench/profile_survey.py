"""Profile the tool's side of a survey submission, in process, on PostgreSQL.

Run from the project root::

    .venv/bin/python -m tests.bench.profile_survey [--rounds N] [--profile] [--sqlite]

Students of four grade-6 classes launch through the Flask test client (not measured), each
class gets a window for every round, then every student submits once per round
(``POST /surveys/<window>/answers``, with the CSRF token, the cookie session and the batch
moves, as in ``survey_throughput``), alternating with the bare POST (``POST /bench/bare``) of
the same app. Only the application's WSGI callable is measured: CPU time per request and the
SQL statements it sends (``before_cursor_execute``); with ``--profile``, the functions that
cost the most across the submissions.
"""

from __future__ import annotations

import argparse
import cProfile
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select

from app import create_app
from app.extensions import csrf, db
from app.models import SurveyParticipation, SurveyResponse
from app.models.survey import SurveyHeldResponse
from tests.bench.launch_throughput import prepare_database
from tests.bench.profile_launch import print_profile
from tests.conftest import app_config
from tests.support.survey_flow import answer_form, answers_of, class_context, open_windows

CLASSES, PER_CLASS = 4, 25
WARM_ROUNDS = 2


class Meter:
    """Wrap a WSGI app: CPU seconds and statements per request kind, an optional profile."""

    def __init__(self, wsgi_app: Callable[..., Any], profile: bool) -> None:
        self.wsgi_app = wsgi_app
        self.profiler = cProfile.Profile(time.process_time) if profile else None
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.statements: dict[str, int] = defaultdict(int)
        self.current: str | None = None
        self.on = False

    def count_statement(self, *_args: Any) -> None:
        if self.on and self.current:
            self.statements[self.current] += 1

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if not self.on:
            return self.wsgi_app(environ, start_response)  # type: ignore[no-any-return]
        kind = "submit" if environ["PATH_INFO"].endswith("/answers") else environ["PATH_INFO"]
        self.current = kind
        profiled = self.profiler is not None and kind == "submit"
        began = time.process_time()
        if profiled:
            self.profiler.enable()  # type: ignore[union-attr]
        try:
            # Consume the body here, so that rendering is inside the measurement.
            return list(self.wsgi_app(environ, start_response))
        finally:
            if profiled:
                self.profiler.disable()  # type: ignore[union-attr]
            self.cpu[kind].append(time.process_time() - began)
            self.current = None


def launch(app: Any, simulator: Any, number: int, class_number: int) -> tuple[Any, str]:
    """A student's test browser after the launch, and the form token of their page."""
    client = app.test_client()
    response = simulator.launch(
        client,
        "learner",
        locale="en",
        sub=f"survey-student-{number}",
        context=class_context(class_number),
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    page = client.get("/student").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None, "the student page has no form"
    return client, token[1]


def stored(app: Any) -> tuple[int, ...]:
    with app.app_context():
        counts = tuple(
            int(db.session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (SurveyParticipation, SurveyResponse, SurveyHeldResponse)
        )
        db.session.remove()
    return counts


def run(rounds: int, profile: bool, use_postgres: bool) -> None:
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="qadam-prof-") as tmp:
        prepared = prepare_database(stack, None, use_postgres, Path(tmp))
        app = create_app(
            {
                **app_config(prepared.url, Path(tmp) / "instance", QADAM_BASE_URL="http://t"),
                "TESTING": False,
                "QADAM_SURVEY_SECRET": "profile-ledger-key",
            }
        )

        @app.post("/bench/bare")
        @csrf.exempt
        def bare_post() -> tuple[str, int]:
            return "", 204

        prepared.simulator.tool_base = "http://t"
        students = [
            (c, *launch(app, prepared.simulator, c * PER_CLASS + i, c))
            for c in range(CLASSES)
            for i in range(PER_CLASS)
        ]
        windows = open_windows(app, CLASSES, rounds + WARM_ROUNDS)
        meter = Meter(app.wsgi_app, profile)
        app.wsgi_app = meter  # type: ignore[method-assign]
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", meter.count_statement)
        for round_number in range(rounds + WARM_ROUNDS):
            meter.on = round_number >= WARM_ROUNDS
            for n, (class_number, client, token) in enumerate(students):
                window = windows[class_number][round_number]
                response = client.post(
                    f"/surveys/{window}/answers", data=answer_form(token, answers_of(n))
                )
                assert response.status_code == 303, response.get_data(as_text=True)[:300]
                assert client.post("/bench/bare", data={"n": str(n)}).status_code == 204
        print(f"{prepared.db_kind}: {rounds} rounds of {len(students)} students (after warm-up)")
        for kind, times in sorted(meter.cpu.items()):
            each = 1000 * sum(times) / len(times)
            per = meter.statements[kind] / len(times)
            print(f"  {kind:<14} {len(times):>5} requests {each:6.3f} ms CPU {per:5.2f} statements")
        ledger, responses, held = stored(app)
        print(f"  stored: {ledger} ledger rows, {responses} responses + {held} held")
        if meter.profiler:
            print_profile(meter.profiler, by_cumulative=60, by_own_time=40)
        with app.app_context():
            db.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.profile_survey")
    parser.add_argument("--rounds", type=int, default=10, help="submissions per student")
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    args = parser.parse_args(argv)
    run(args.rounds, args.profile, not args.sqlite)
    return 0


if __name__ == "__main__":
    sys.exit(main())
