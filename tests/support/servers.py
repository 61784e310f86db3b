"""Real HTTP servers for tests: the tool under gunicorn, or in a thread for the browser."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not come up")


class GunicornServer:
    """``gunicorn "app:create_app()"`` on a loopback port, configured through QADAM_* variables."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        workers: int = 2,
        port: int | None = None,
        worker_class: str = "sync",
        threads: int = 1,
        app_spec: str = "app:create_app()",
    ) -> None:
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "QADAM_BASE_URL": self.base_url,
            # The simulated platforms live on 127.0.0.1.
            "QADAM_OUTBOUND_ALLOW_LOOPBACK": "1",
            **env,
        }
        self.args = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--threads",
            str(threads),
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--log-level",
            "warning",
            "--chdir",
            str(ROOT),
            app_spec,
        ]
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> GunicornServer:
        self.process = subprocess.Popen(self.args, env=self.env, cwd=ROOT)
        try:
            wait_until_up(self.base_url + "/healthz")
            self._wait_for_workers()
        except RuntimeError:
            self.stop()
            raise
        return self

    def _wait_for_workers(self, timeout: float = 30.0) -> None:
        """Every worker forked: a preloaded worker answers at once, before the next is forked."""
        deadline = time.monotonic() + timeout
        while len(self.worker_pids()) < self.workers:
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn at {self.base_url} did not start its workers")
            time.sleep(0.05)

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(p) for p in out.split()]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class ThreadedServer:
    """A Flask app served by werkzeug in a background thread (for the browser tests)."""

    def __init__(self, app: Any, port: int) -> None:
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.base_url = f"http://127.0.0.1:{port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        wait_until_up(self.base_url + "/healthz")
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
