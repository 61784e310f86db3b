"""Profile the tool's side of a launch, in process: login, launch and the landing page.

Run from the project root::

    .venv/bin/python -m tests.bench.profile_launch [--launches N] [--profile] [--content DIR]

It serves the launches through the Flask test client, but measures (CPU time) and profiles
(cProfile) only inside the application's WSGI callable, so the figures leave the client out.
Without ``--profile`` it prints the CPU milliseconds per request of each kind; with it, the
functions that cost the most across the measured launches.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app import create_app
from tests.bench.launch_throughput import prepare_database
from tests.conftest import app_config
from tests.support.servers import ROOT

ROLES = ("learner", "instructor")


class Meter:
    """Wrap a WSGI app: CPU seconds per request kind, and an optional profile of them all."""

    def __init__(self, wsgi_app: Callable[..., Any], profile: bool, only: str = "") -> None:
        self.wsgi_app = wsgi_app
        self.only = only
        self.profiler = cProfile.Profile() if profile else None
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.on = False

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if not self.on:
            return self.wsgi_app(environ, start_response)  # type: ignore[no-any-return]
        began = time.process_time()
        profiled = self.profiler and environ["PATH_INFO"].startswith(self.only)
        if profiled:
            self.profiler.enable()
        try:
            # Consume the body here, so rendering is inside the measurement.
            return list(self.wsgi_app(environ, start_response))
        finally:
            if profiled:
                self.profiler.disable()
            self.cpu[environ["PATH_INFO"]].append(time.process_time() - began)


def print_profile(profiler: cProfile.Profile, *, by_cumulative: int, by_own_time: int) -> None:
    """The functions that cost the most: with what they call, then on their own."""
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(by_cumulative)
    stats.sort_stats("tottime").print_stats(by_own_time)
    print(out.getvalue())


def run(launches: int, profile: bool, content: Path, only: str = "") -> None:
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="qadam-prof-") as tmp:
        prepared = prepare_database(stack, None, False, Path(tmp))
        app = create_app(
            {
                **app_config(prepared.url, Path(tmp) / "instance", QADAM_BASE_URL="http://t"),
                "TESTING": False,
                "QADAM_CONTENT_ROOT": str(content),
            }
        )
        prepared.simulator.tool_base = "http://t"
        meter = Meter(app.wsgi_app, profile, only)
        app.wsgi_app = meter  # type: ignore[method-assign]
        client = app.test_client()
        for n in range(launches + 20):  # the first 20 warm up (caches, the JWKS fetch)
            meter.on = n >= 20
            client.delete_cookie("qadam_session")
            response = prepared.simulator.launch(client, ROLES[n % len(ROLES)], locale="en")
            assert response.status_code == 303, response.get_data(as_text=True)[:300]
            landing = client.get(
                urlsplit(response.headers["Location"]).path
                + "?"
                + (urlsplit(response.headers["Location"]).query)
            )
            assert landing.status_code == 200, landing.status_code
        print(f"{launches} launches, content: {content}")
        total = 0.0
        for path, times in sorted(meter.cpu.items()):
            each = 1000 * sum(times) / len(times)
            total += each * len(times) / launches
            print(f"  {path:<16} {len(times):>5} requests  {each:6.2f} ms CPU each")
        print(f"  per launch (login + launch + landing): {total:.2f} ms CPU")
        if meter.profiler:
            print_profile(meter.profiler, by_cumulative=45, by_own_time=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.profile_launch")
    parser.add_argument("--launches", type=int, default=400)
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary")
    parser.add_argument("--only", default="", help="profile only paths starting with this")
    parser.add_argument("--content", type=Path, default=ROOT, help="content root (lessons/ …)")
    args = parser.parse_args(argv)
    run(args.launches, args.profile, args.content, args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
