"""A class of 50 submits a survey on gunicorn (2 workers) and PostgreSQL while a worker is
killed with ``kill -9`` and the database server crashes and restarts. Students whose answer
did not come back press "Send" again, as a browser user would. Afterwards every submission the
student saw acknowledged (303 to the help screen) is in the ledger exactly once, and after
closing the window the responses are exactly the answered ledger rows: none held, none twice,
none lost."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from sqlalchemy import func, select

from app import create_app
from app.content_catalog import catalog
from app.extensions import db
from app.models import SurveyParticipation, SurveyResponse
from app.models.base import utc_today
from app.models.survey import SurveyHeldResponse, SurveyWindow
from app.services import surveys
from tests.conftest import CONTENT_ROOT, app_config
from tests.support.platform_simulator import PlatformSimulator
from tests.support.postgres import PostgresServer
from tests.support.servers import GunicornServer, free_port
from tests.support.survey_flow import (
    LaunchedStudent,
    acknowledged,
    answer_form,
    answers_of,
    launch_students,
    open_windows,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]

STUDENTS = 50
SURVEY_SECRET = "survey-fault-test-ledger-key"
SPREAD = 6.0  # seconds over which the class presses "Send"
CATCH = 2.0  # seconds to wait for a submission to stop mid-transaction before each fault
GIVE_UP = 40.0  # seconds after the start: a student still unacknowledged then is a failure
RETRY_PAUSE = (0.2, 0.5)  # seconds before pressing "Send" again
# When each student presses "Send", and pauses before pressing again (not a secret).
PACE = random.Random(9)  # noqa: S311


@dataclass
class Run:
    """What the class saw."""

    started: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged: set[int] = field(default_factory=set)
    retries: int = 0
    refused: list[str] = field(default_factory=list)


@pytest.fixture
def postgres(request: pytest.FixtureRequest) -> Iterator[PostgresServer]:
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("crashes and restarts a PostgreSQL server: run with --db=postgresql")
    # Commits acknowledged only once their WAL is written: a crash must not lose them.
    server = PostgresServer(durable=True).start()
    yield server
    server.stop()


def submit_until_acknowledged(
    server: GunicornServer, student: LaunchedStudent, window_id: int, delay: float, run: Run
) -> None:
    """Wait ``delay``, press "Send", and press it again while no answer comes back."""
    time.sleep(delay)
    body = answer_form(student.csrf_token, answers_of(student.number))
    with student.session() as session:
        while time.monotonic() - run.started < GIVE_UP:
            try:
                response = session.post(
                    f"{server.base_url}/surveys/{window_id}/answers",
                    data=body,
                    allow_redirects=False,
                    timeout=10,
                )
            except requests.RequestException:
                response = None
            if response is not None and acknowledged(response, window_id):
                with run.lock:
                    run.acknowledged.add(student.number)
                return
            if response is not None and response.status_code < 500:
                with run.lock:
                    run.refused.append(f"{student.number}: {response.status_code}")
                return
            with run.lock:
                run.retries += 1
            time.sleep(PACE.uniform(*RETRY_PAUSE))


# Submissions stopped between their two writes: the ledger row is written, the held
# response waits for the lock the test holds on its table.
STOPPED = (
    "SELECT client_port FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    " AND query ILIKE '%INSERT INTO survey_held_response%'"
)


def _socket_ports(pid: int) -> set[int]:
    """The local TCP ports of a process's sockets (loopback IPv4), from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports = set()
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[9] in inodes:
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


@contextlib.contextmanager
def submissions_stopped(postgres: PostgresServer, database: str, wait: float) -> Iterator[set[int]]:
    """Hold the held responses' table so that submissions stop mid-transaction; yield the
    client ports of those stopped (empty if none came within ``wait`` seconds)."""
    watch = psycopg.connect(
        f"host=127.0.0.1 port={postgres.port} user={postgres.user} dbname={database}"
    )
    try:
        watch.execute("LOCK TABLE survey_held_response IN EXCLUSIVE MODE")
        stopped: set[int] = set()
        until = time.monotonic() + wait
        while not stopped and time.monotonic() < until:
            time.sleep(0.01)
            # The activity view is read once per transaction unless told to read it again.
            watch.execute("SELECT pg_stat_clear_snapshot()")
            stopped = {row[0] for row in watch.execute(STOPPED)}
        yield stopped
    finally:
        with contextlib.suppress(psycopg.Error):
            watch.rollback()
        with contextlib.suppress(psycopg.Error):
            watch.close()


def faults(server: GunicornServer, postgres: PostgresServer, url: str, run: Run) -> list[str]:
    """Kill -9 the worker of a submission stopped mid-transaction; later, crash PostgreSQL
    while another is stopped mid-transaction, and start it again after a second."""
    database = url.rsplit("/", 1)[1]
    time.sleep(SPREAD / 5)
    with submissions_stopped(postgres, database, CATCH) as stopped:
        workers = server.worker_pids()
        caught = [pid for pid in workers if stopped & _socket_ports(pid)]
        victim = (caught or workers)[0]
        os.kill(victim, signal.SIGKILL)
    done = [f"kill -9 worker {victim}" + (" mid-transaction" if caught else "")]
    time.sleep(max(0.0, run.started + SPREAD / 2 - time.monotonic()))
    with submissions_stopped(postgres, database, CATCH) as stopped:
        postgres.restart("immediate", down_for=1.0)
    done.append("PostgreSQL crashed" + (" mid-transaction" if stopped else "") + ", up 1 s later")
    return done


def test_every_acknowledged_submission_is_counted_exactly_once(
    postgres: PostgresServer, tmp_path: Path, httpserver: Any
) -> None:
    url = postgres.create_database("qadam_survey_faults")
    base = f"http://127.0.0.1:{free_port()}"
    simulator = PlatformSimulator(httpserver, tool_base=base)
    app = create_app(app_config(url, tmp_path / "instance", QADAM_BASE_URL=base))
    with app.app_context():
        db.create_all()
        simulator.register()
        db.engine.dispose()
    log = tmp_path / "gunicorn.log"
    env = {
        "QADAM_DATABASE_URL": url,
        "QADAM_SECRET_KEY": "survey-fault-test-secret",
        "QADAM_SURVEY_SECRET": SURVEY_SECRET,
        "QADAM_CONTENT_ROOT": str(CONTENT_ROOT),
        "QADAM_OUTBOX_WORKER": "0",
        "GUNICORN_CMD_ARGS": f"--capture-output --error-logfile {log}",
    }
    with GunicornServer(env, workers=2, port=int(base.rsplit(":", 1)[1])) as server:
        students = launch_students(server.base_url, simulator, classes=1, per_class=STUDENTS)
        [[window_id]] = open_windows(app, classes=1, waves=1)
        workers_before = set(server.worker_pids())
        run = Run()
        pressing = [
            threading.Thread(
                target=submit_until_acknowledged,
                args=(server, student, window_id, PACE.uniform(0, SPREAD), run),
            )
            for student in students
        ]
        for thread in pressing:
            thread.start()
        done = faults(server, postgres, url, run)
        for thread in pressing:
            thread.join(timeout=GIVE_UP + 15)
        workers_after = set(server.worker_pids())
    context = f"faults: {done}; retries: {run.retries}; log: {log.read_text()[-2000:]}"
    print(f"faults: {done}; presses of Send again: {run.retries}")  # shown with -s
    assert not run.refused, context
    assert run.acknowledged == {s.number for s in students}, context
    assert all("mid-transaction" in fault for fault in done), context
    assert run.retries > 0, context
    assert len(workers_after) == 2, "gunicorn started a worker for the one killed"
    assert workers_after != workers_before
    assert_counted_once(app, window_id, [s for s in students if s.number in run.acknowledged])


def assert_counted_once(app: Any, window_id: int, students: list[LaunchedStudent]) -> None:
    with app.app_context():
        ledger = db.session.execute(
            select(SurveyParticipation.participant_key, SurveyParticipation.outcome).where(
                SurveyParticipation.window_id == window_id
            )
        ).all()
        expected_keys = Counter(
            surveys.participant_key(SURVEY_SECRET.encode(), s.sub, window_id) for s in students
        )
        assert Counter(key for key, _outcome in ledger) == expected_keys
        assert {outcome for _key, outcome in ledger} == {surveys.ANSWERED}

        surveys.close_window(db.session.get(SurveyWindow, window_id), utc_today())
        held = db.session.scalar(select(func.count()).select_from(SurveyHeldResponse))
        assert held == 0
        stored = db.session.scalars(
            select(SurveyResponse.answers).where(SurveyResponse.window_id == window_id)
        ).all()
        assert len(stored) == len(ledger)
        survey = catalog().survey(db.session.get(SurveyWindow, window_id).survey_id)
        sent = [surveys.clean_answers(survey, answers_of(s.number)) for s in students]
        assert _as_items(stored) == _as_items(sent), "the answers stored are the answers sent"
        db.session.remove()
        db.engine.dispose()


def _as_items(answers: list[dict[str, int]]) -> Counter[tuple[tuple[str, int], ...]]:
    return Counter(tuple(sorted(found.items())) for found in answers)
