"""Launch throughput next to a bare route, on the same gunicorn server with the same clients.

Run from the project root::

    .venv/bin/python -m tests.bench.launch_throughput [--quick] [--seconds N] [--clients C]
                                                      [--db-url URL | --postgres]

Four phases, each a warm-up (not counted) and then ``--seconds`` of load by ``--clients``
concurrent clients (threads spread over a few forked processes). Bare, launch and floor run
in halves of ``--seconds / 2``, in the order bare, launch, floor, floor, launch, bare, each
reported as the sum of its halves, so that load from elsewhere that comes and goes on a
shared machine falls on all alike (the ratio of each pair of bare and launch halves is
printed too):

* bare: ``GET /healthz``;
* launch: the real OIDC login + launch (two requests); a launch counts only when the tool
  answers the launch POST with 303;
* floor: the same two requests, with the same token, state and cookie, to two routes added
  for the benchmark (``floor_routes.py``) that answer as a login and a launch do (redirect,
  state cookie, session cookie) and do none of their LTI work: what the stack costs;
* launch + page: a launch, then the start page the launch redirects to.

What a client does, the same way in every phase: each operation opens a fresh
``requests`` session (so a fresh connection and an empty cookie jar), and follows no redirect
itself (:class:`ClientSession` skips preparing the request a redirect would make, which
requests does even when told not to follow). For each launch the simulated platform posts
the login initiation; reads the tool's redirect to its authorization endpoint for the state
and nonce that this login was given; builds Moodle's claims for them (from the sample claim
set, parsed from its file once) with a fresh ``iat`` and ``exp``; signs that id_token with its
RSA key (RS256); and posts it with the state to the launch URL, with the state cookie the
tool set. Nothing is signed ahead or used twice: the tool checks every launch in full
(state and its cookie, signature, issuer, audience, expiry, nonce, deployment).

The exit code is 1 if any request or launch failed, 2 if the setup failed, else 0. The ratio
is printed, never asserted: it is noisy. See README.md next to this file.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import multiprocessing
import os
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from pytest_httpserver import HTTPServer

from app import create_app
from app.extensions import db
from tests.bench import floor_routes
from tests.bench.content_copies import scaled_content
from tests.conftest import app_config
from tests.support.http_flow import launch_over_http
from tests.support.platform_simulator import PlatformSimulator
from tests.support.servers import ROOT, GunicornServer, free_port

TARGET = (
    "targets: launch throughput ≥ 25% of the bare route (the ceiling is about 50%: a launch is "
    "two requests); ≤ 4 ms of tool CPU per launch; a worker's first launch and page < 1 s"
)
# Cold starts are measured with today's content and with this many copies of it.
CONTENT_SCALES = (1, 3)
GUNICORN_WORKERS = 2
MAX_CLIENT_PROCESSES = 4
LAUNCH_ROLES = ("learner", "instructor")
CLK_TCK = os.sysconf("SC_CLK_TCK")


# One client operation: returns None when it succeeded, else a short description of the failure;
# or, to time only part of what it did, the seconds of that part.
Operation = Callable[[str, PlatformSimulator, int], str | float | None]


class ClientSession(requests.Session):
    """requests' session, minus the request it prepares for a redirect it will not follow.

    Told not to follow redirects, requests still builds the request a redirect would make
    (its proxies from the environment, cookies and authentication) for ``Response.next``,
    which nothing here reads. A launch answers with two redirects, the bare route with none:
    what is left is the same work for both.
    """

    def resolve_redirects(  # type: ignore[override]
        self, resp: Any, req: Any, *args: Any, yield_requests: bool = False, **kwargs: Any
    ) -> Any:
        if yield_requests:
            return iter(())
        return super().resolve_redirects(resp, req, *args, **kwargs)


def bare_request(base_url: str, _simulator: PlatformSimulator, _n: int) -> str | None:
    with ClientSession() as session:
        response = session.get(base_url + "/healthz", allow_redirects=False, timeout=30)
    return None if response.status_code == 200 else f"healthz answered {response.status_code}"


def one_launch(base_url: str, simulator: PlatformSimulator, n: int) -> str | None:
    role = LAUNCH_ROLES[n % len(LAUNCH_ROLES)]
    with ClientSession() as session:
        response = launch_over_http(session, simulator, base_url, base_url, role)
    if response.status_code == 303:
        return None
    return f"launch answered {response.status_code}: {response.text[:200]!r}"


def floor_launch(base_url: str, simulator: PlatformSimulator, n: int) -> str | None:
    """A launch's two requests, with its token and cookie, to routes that do no LTI work."""
    role = LAUNCH_ROLES[n % len(LAUNCH_ROLES)]
    with ClientSession() as session:
        login = session.post(
            base_url + floor_routes.LOGIN, data=simulator.login_params(), allow_redirects=False
        )
        if login.status_code != 302:
            return f"floor login answered {login.status_code}"
        auth = {k: v[0] for k, v in parse_qs(urlsplit(login.headers["Location"]).query).items()}
        token = simulator.sign(simulator.claims(role, nonce=auth["nonce"], locale="en"))
        response = session.post(
            base_url + floor_routes.LAUNCH,
            data={"id_token": token, "state": auth["state"]},
            allow_redirects=False,
        )
    return None if response.status_code == 303 else f"floor answered {response.status_code}"


def launch_and_page(base_url: str, simulator: PlatformSimulator, n: int) -> str | None:
    """A launch, then the start page it redirects to (what a person waits for)."""
    role = LAUNCH_ROLES[n % len(LAUNCH_ROLES)]
    with ClientSession() as session:
        response = launch_over_http(session, simulator, base_url, base_url, role)
        if response.status_code != 303:
            return f"launch answered {response.status_code}: {response.text[:200]!r}"
        page = session.get(urljoin(base_url, response.headers["Location"]), allow_redirects=False)
    return None if page.status_code == 200 else f"start page answered {page.status_code}"


# -- the client machinery, the same for every phase -----------------------------------------


@dataclass
class ClientReport:
    """What one client process saw: latencies of operations that finished inside the window."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0  # the client process's own CPU time inside the window


def _client_thread(
    operation: Operation,
    base_url: str,
    simulator: PlatformSimulator,
    window: tuple[float, float],
    report: ClientReport,
    lock: threading.Lock,
) -> None:
    start_at, stop_at = window
    for n in itertools.count():
        began = time.monotonic()
        if began >= stop_at:
            return
        timed: float | None = None
        try:
            outcome = operation(base_url, simulator, n)
        except Exception as exc:
            outcome = f"{type(exc).__name__}: {str(exc)[:200]}"
        if isinstance(outcome, float):
            timed, outcome = outcome, None
        ended = time.monotonic()
        with lock:
            if outcome is not None:
                report.errors += 1
                if len(report.error_samples) < 3:
                    report.error_samples.append(outcome)
            elif start_at <= ended <= stop_at:
                report.latencies.append(ended - began if timed is None else timed)


def _process_cpu() -> float:
    times = os.times()
    return times.user + times.system


def _sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def _client_process(
    operation: Operation,
    base_url: str,
    simulator: PlatformSimulator,
    threads: int,
    window: tuple[float, float],
    results: Queue[ClientReport],
) -> None:
    report = ClientReport()
    lock = threading.Lock()
    workers = [
        threading.Thread(
            target=_client_thread, args=(operation, base_url, simulator, window, report, lock)
        )
        for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    _sleep_until(window[0])
    cpu_before = _process_cpu()
    _sleep_until(window[1])
    report.cpu_seconds = _process_cpu() - cpu_before
    for worker in workers:
        worker.join()
    results.put(report)


def split_clients(clients: int) -> list[int]:
    """Threads per client process: up to MAX_CLIENT_PROCESSES processes, threads spread evenly."""
    processes = min(clients, MAX_CLIENT_PROCESSES)
    return [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]


def worker_cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the given processes, from /proc/<pid>/stat."""
    total = 0
    for pid in pids:
        stat = Path(f"/proc/{pid}/stat").read_text()
        # Fields after the command name (which may hold spaces) start at field 3 (state).
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # fields 14 and 15: utime, stime
    return total / CLK_TCK


@dataclass
class PhaseResult:
    name: str
    seconds: float
    latencies: list[float]
    errors: int
    error_samples: list[str]
    server_cpu_seconds: float
    client_cpu_seconds: float

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    def percentile_ms(self, fraction: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def ms_per_op(self, cpu_seconds: float) -> float:
        return 1000 * cpu_seconds / self.count if self.count else float("nan")


def run_phase(
    name: str,
    operation: Operation,
    server: GunicornServer,
    simulator: PlatformSimulator,
    clients: int,
    seconds: float,
    warmup: float,
) -> PhaseResult:
    """Load the server with ``operation`` for ``warmup`` + ``seconds``; measure the latter."""
    # Forked, the children inherit the simulator and its keys (which do not pickle). The only
    # other thread here is the JWKS server's, and the children never touch it.
    context = multiprocessing.get_context("fork")
    results: Queue[ClientReport] = context.Queue()
    start_at = time.monotonic() + 0.2 + warmup  # time for the forks, then the warm-up
    window = (start_at, start_at + seconds)
    processes = [
        context.Process(
            target=_client_process,
            args=(operation, server.base_url, simulator, threads, window, results),
            daemon=True,  # a client stuck on a dead server must not keep the run alive
        )
        for threads in split_clients(clients)
    ]
    for process in processes:
        process.start()
    pids = server.worker_pids()
    _sleep_until(window[0])
    cpu_before = worker_cpu_seconds(pids)
    _sleep_until(window[1])
    cpu_after = worker_cpu_seconds(pids)
    reports = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join()
    return PhaseResult(
        name=name,
        seconds=seconds,
        latencies=[lat for report in reports for lat in report.latencies],
        errors=sum(report.errors for report in reports),
        error_samples=[sample for report in reports for sample in report.error_samples],
        server_cpu_seconds=cpu_after - cpu_before,
        client_cpu_seconds=sum(report.cpu_seconds for report in reports),
    )


# -- setup -----------------------------------------------------------------------------------


@dataclass
class Prepared:
    url: str
    base_url: str
    simulator: PlatformSimulator
    db_kind: str


@dataclass
class ColdStart:
    label: str
    lessons: int
    compiled: bool  # whether the compiled catalog was there when the server started
    server_up: float  # seconds from starting gunicorn to its first answer (app loaded, forked)
    first_launches: list[float]  # seconds, one concurrent first launch + page per worker
    worker_cpu: list[float]  # CPU seconds of each worker from its fork to after those launches
    errors: list[str]


@dataclass
class Setup:
    server: GunicornServer
    simulator: PlatformSimulator
    db_kind: str
    log_path: Path
    cold_starts: list[ColdStart]


def prepare_database(
    stack: ExitStack, db_url: str | None, use_postgres: bool, workdir: Path
) -> Prepared:
    """A database with the schema and a registered platform whose JWKS a local server serves."""
    if use_postgres:
        from tests.support.postgres import PostgresServer

        postgres = PostgresServer().start()
        stack.callback(postgres.stop)
        db_url = postgres.create_database("qadam_bench")
    url = db_url or "sqlite:///" + str(workdir / "bench.sqlite3")

    jwks_server = HTTPServer(host="127.0.0.1")
    jwks_server.start()
    stack.callback(jwks_server.stop)

    base_url = f"http://127.0.0.1:{free_port()}"
    simulator = PlatformSimulator(jwks_server, tool_base=base_url)
    app = create_app(app_config(url, workdir / "setup-instance", QADAM_BASE_URL=base_url))
    with app.app_context():
        db.create_all()
        simulator.register()
        db_kind = db.engine.dialect.name
        db.engine.dispose()
    # create_app() turned on INFO logging here too; the JWKS server's access log is noise.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return Prepared(url=url, base_url=base_url, simulator=simulator, db_kind=db_kind)


def server_env(prepared: Prepared, content: Path, log_path: Path) -> dict[str, str]:
    return {
        "QADAM_DATABASE_URL": prepared.url,
        "QADAM_SECRET_KEY": "bench-secret-shared-by-the-workers",
        "QADAM_OUTBOUND_ALLOW_LOOPBACK": "1",  # the simulated platform is on 127.0.0.1
        "QADAM_BASE_URL": prepared.base_url,
        "QADAM_CONTENT_ROOT": str(content),
        # The server's log goes to a file rather than the table.
        "GUNICORN_CMD_ARGS": f"--capture-output --error-logfile {log_path}",
    }


def app_spec(instance: Path) -> str:
    """Qadam with its instance folder (and so its compiled catalog) in the run's directory,
    and the floor's two routes (``floor_routes.py``)."""
    return f"tests.bench.floor_routes:create_app_with_floor({{'INSTANCE_PATH': {str(instance)!r}}})"


@contextmanager
def bench_setup(
    db_url: str | None, use_postgres: bool, workdir: Path, *, cold: bool = True
) -> Iterator[Setup]:
    """A database with the schema and a registered platform; the cold starts measured on it
    (unless ``cold`` is off); then gunicorn on that database for the phases."""
    with ExitStack() as stack:
        prepared = prepare_database(stack, db_url, use_postgres, workdir)
        log_path = workdir / "gunicorn.log"
        starts = cold_starts(prepared, log_path, workdir) if cold else []
        port = int(prepared.base_url.rsplit(":", 1)[1])
        server = stack.enter_context(
            GunicornServer(
                server_env(prepared, ROOT, log_path),
                workers=GUNICORN_WORKERS,
                port=port,
                app_spec=app_spec(workdir / "instance-1x"),
            )
        )
        yield Setup(
            server=server,
            simulator=prepared.simulator,
            db_kind=prepared.db_kind,
            log_path=log_path,
            cold_starts=starts,
        )


# -- cold start ------------------------------------------------------------------------------


def cold_start(
    prepared: Prepared, log_path: Path, content: Path, instance: Path, label: str
) -> ColdStart:
    """Start gunicorn, then at once one launch + start page per worker, all at the same time."""
    compiled = (instance / "content-catalog.bin").is_file()
    began = time.monotonic()
    server = GunicornServer(
        server_env(prepared, content, log_path),
        workers=GUNICORN_WORKERS,
        port=int(prepared.base_url.rsplit(":", 1)[1]),
        app_spec=app_spec(instance),
    )
    with server:
        server_up = time.monotonic() - began
        times: list[float] = [0.0] * GUNICORN_WORKERS
        errors: list[str] = []

        def first(i: int) -> None:
            start = time.monotonic()
            try:
                outcome = launch_and_page(server.base_url, prepared.simulator, i)
            except Exception as exc:
                outcome = f"{type(exc).__name__}: {exc}"
            times[i] = time.monotonic() - start
            if outcome:
                errors.append(outcome)

        threads = [threading.Thread(target=first, args=(i,)) for i in range(GUNICORN_WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        cpu = [worker_cpu_seconds([pid]) for pid in server.worker_pids()]
    lessons = sum(1 for _ in content.glob("lessons/*/*/lesson.yaml"))
    return ColdStart(label, lessons, compiled, server_up, times, cpu, errors)


def cold_starts(prepared: Prepared, log_path: Path, workdir: Path) -> list[ColdStart]:
    """For each content size: a first start (no compiled catalog yet), then a restart."""
    results = []
    for scale in CONTENT_SCALES:
        content = ROOT if scale == 1 else scaled_content(ROOT, workdir / f"content-{scale}x", scale)
        instance = workdir / f"instance-{scale}x"
        label = "today's content" if scale == 1 else f"{scale}× the content"
        for _ in ("first start", "restart"):
            results.append(cold_start(prepared, log_path, content, instance, label))
    return results


# -- report ----------------------------------------------------------------------------------


def print_cold_starts(starts: list[ColdStart]) -> None:
    if not starts:
        return
    print()
    print("cold start: gunicorn started, then at once one launch + start page per worker")
    header = (
        f"{'content':<18}{'lessons':>8}{'compiled catalog':>18}{'server up s':>13}"
        f"{'first launch+page s, per worker':>34}{'worker CPU s':>14}"
    )
    print(header)
    print("-" * len(header))
    for start in starts:
        firsts = " / ".join(f"{t:.2f}" for t in start.first_launches)
        cpu = " / ".join(f"{t:.2f}" for t in start.worker_cpu)
        ready = "there" if start.compiled else "built now"
        print(
            f"{start.label:<18}{start.lessons:>8}{ready:>18}{start.server_up:>13.2f}"
            f"{firsts:>34}{cpu:>14}"
        )
        for error in start.errors:
            print(f"  error: {error}")


def joined(one: PhaseResult, other: PhaseResult) -> PhaseResult:
    """Two runs of one phase as one."""
    return PhaseResult(
        name=one.name,
        seconds=one.seconds + other.seconds,
        latencies=one.latencies + other.latencies,
        errors=one.errors + other.errors,
        error_samples=one.error_samples + other.error_samples,
        server_cpu_seconds=one.server_cpu_seconds + other.server_cpu_seconds,
        client_cpu_seconds=one.client_cpu_seconds + other.client_cpu_seconds,
    )


def print_halves(halves: Sequence[PhaseResult]) -> None:
    """The ratio of each pair of halves (bare, other, other, bare), and their rates."""
    first, second = (
        100 * other.per_second / bare.per_second if bare.per_second else float("nan")
        for bare, other in ((halves[0], halves[1]), (halves[3], halves[2]))
    )
    print(
        f"       each half: {first:.1f}% then {second:.1f}% (per second: "
        + ", ".join(f"{p.name} {p.per_second:.0f}" for p in halves)
        + ")"
    )


def print_floor(floor: PhaseResult, bare: PhaseResult, launch: PhaseResult) -> None:
    """The floor: a launch's two requests to routes that do none of its LTI work."""
    of_bare = 100 * floor.per_second / bare.per_second if bare.per_second else float("nan")
    launch_of_floor = (
        100 * launch.per_second / floor.per_second if floor.per_second else float("nan")
    )
    print(
        f"floor (a launch's two requests, with its token and cookie, to routes with no LTI work): "
        f"{floor.per_second:.1f}/s, {of_bare:.1f}% of bare; "
        f"tool CPU {floor.ms_per_op(floor.server_cpu_seconds):.2f} ms, "
        f"client CPU {floor.ms_per_op(floor.client_cpu_seconds):.2f} ms per op"
    )
    print(f"       launches/s ÷ floor/s = {launch_of_floor:.1f}% (the rest is Qadam's LTI work)")
    for sample in dict.fromkeys(floor.error_samples):
        print(f"floor error: {sample}")


def print_report(
    phases: tuple[PhaseResult, PhaseResult, PhaseResult],
    setup: Setup,
    clients: int,
    warmup: float,
) -> None:
    bare, launch, full = phases
    ratio = launch.per_second / bare.per_second if bare.per_second else float("nan")
    bare_cpu = bare.ms_per_op(bare.server_cpu_seconds)
    launch_cpu = launch.ms_per_op(launch.server_cpu_seconds)
    full_cpu = full.ms_per_op(full.server_cpu_seconds)
    cpu_ratio = bare_cpu / launch_cpu if launch_cpu else float("nan")
    processes = split_clients(clients)
    print()
    print(
        f"machine: nproc={os.cpu_count()}  load average: {os.getloadavg()[0]:.2f}  "
        f"database: {setup.db_kind}  gunicorn: {GUNICORN_WORKERS} sync workers (preloaded)"
    )
    print(
        f"clients: {clients} ({len(processes)} processes × {'/'.join(map(str, processes))} "
        f"threads)  window: {bare.seconds:g} s per phase (bare, launch and floor in halves:"
        f" bare, launch, floor, floor, launch, bare), each after a {warmup:g} s warm-up"
    )
    print_cold_starts(setup.cold_starts)
    print()
    header = f"{'':28}{'bare GET /healthz':>20}{'launch (login+launch)':>24}{'launch + page':>16}"
    print(header)
    print("-" * len(header))
    rows: list[tuple[str, ...]] = [
        ("completed", *(f"{p.count}" for p in phases)),
        ("throughput /s", *(f"{p.per_second:.1f}" for p in phases)),
        ("errors (warm-up included)", *(f"{p.errors}" for p in phases)),
        ("latency p50 ms", *(f"{p.percentile_ms(0.50):.1f}" for p in phases)),
        ("latency p95 ms", *(f"{p.percentile_ms(0.95):.1f}" for p in phases)),
        ("tool CPU ms per op", f"{bare_cpu:.2f}", f"{launch_cpu:.2f}", f"{full_cpu:.2f}"),
        ("client CPU ms per op", *(f"{p.ms_per_op(p.client_cpu_seconds):.2f}" for p in phases)),
    ]
    for label, left, middle, right in rows:
        print(f"{label:28}{left:>20}{middle:>24}{right:>16}")
    print()
    print(
        f"tool CPU: {launch_cpu:.2f} ms per launch (login + launch), {full_cpu:.2f} ms with the "
        f"start page, beside {bare_cpu:.2f} ms per bare request"
    )
    print(f"ratio: launches/s ÷ bare req/s = {100 * ratio:.1f}%")
    print(
        f"       tool CPU per bare request ÷ per launch = {100 * cpu_ratio:.1f}% "
        "(the ratio a server with CPUs of its own would tend to)"
    )
    print(TARGET)
    print(f"the platform's JWKS was fetched {setup.simulator.jwks_fetches} time(s)")
    for phase in phases:
        for sample in dict.fromkeys(phase.error_samples):
            print(f"{phase.name} error: {sample}")
    if any(p.errors for p in phases) or any(c.errors for c in setup.cold_starts):
        log = setup.log_path.read_text(errors="replace").splitlines()
        print("server log, last lines but the launch notices:")
        print("\n".join([line for line in log if " INFO " not in line][-20:]))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.launch_throughput",
        description="LTI launch throughput next to a bare Flask route, on one gunicorn server.",
    )
    parser.add_argument("--quick", action="store_true", help="2 s phases (unless --seconds)")
    parser.add_argument("--seconds", type=float, help="measured seconds per phase (default 10)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--db-url", help="database URL (default: a SQLite file in a temp dir)")
    where.add_argument(
        "--postgres", action="store_true", help="start a throwaway PostgreSQL server and use it"
    )
    args = parser.parse_args(argv)
    if args.clients < 1:
        parser.error("--clients must be at least 1")
    if args.seconds is None:
        args.seconds = 2.0 if args.quick else 10.0
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    warmup = 0.5 if args.quick else 1.0
    with tempfile.TemporaryDirectory(prefix="qadam-bench-") as tmp:
        try:
            with bench_setup(args.db_url, args.postgres, Path(tmp)) as setup:
                measure = {"clients": args.clients, "warmup": warmup}
                half = args.seconds / 2

                def phase(name: str, operation: Operation, seconds: float) -> PhaseResult:
                    return run_phase(
                        name, operation, setup.server, setup.simulator, seconds=seconds, **measure
                    )

                # bare, launch, floor, floor, launch, bare: load from elsewhere that comes and
                # goes on a shared machine falls on all three alike (see print_halves).
                halves = (
                    phase("bare", bare_request, half),
                    phase("launch", one_launch, half),
                    phase("floor", floor_launch, half),
                    phase("floor", floor_launch, half),
                    phase("launch", one_launch, half),
                    phase("bare", bare_request, half),
                )
                phases = (
                    joined(halves[0], halves[5]),
                    joined(halves[1], halves[4]),
                    phase("launch + page", launch_and_page, args.seconds),
                )
                floor = joined(halves[2], halves[3])
                print_report(phases, setup, args.clients, warmup)
                print_halves((halves[0], halves[1], halves[4], halves[5]))
                print_floor(floor, *phases[:2])
                failed = any(p.errors for p in (*phases, floor)) or any(
                    c.errors for c in setup.cold_starts
                )
                return 1 if failed else 0
        except Exception:
            traceback.print_exc()
            print("benchmark failed", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
