"""A thread in each web process that delivers the outbox (scores, and aggregate packages when
a reporting endpoint is set): woken by a quiz submission, and every few seconds while
messages wait for a retry."""

from __future__ import annotations

import threading

from flask import Flask

from .extensions import db


class OutboxWorker:
    def __init__(self, app: Flask, interval: float) -> None:
        self.app = app
        self.interval = interval
        self._wake = threading.Event()
        self._started = False
        self._lock = threading.Lock()

    def wake(self) -> None:
        """Deliver now (starting the thread on first use)."""
        self.start()
        self._wake.set()

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._run, name="qadam-outbox", daemon=True).start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            self.drain_once()

    def drain_once(self) -> None:
        from .lti_tool import tool_conf
        from .models.base import utcnow
        from .services import delivery

        with self.app.app_context():
            try:
                reporting = delivery.reporting_endpoint(self.app.config)
                skip = () if reporting else (delivery.REPORT_KIND,)
                if not delivery.due_ids(utcnow(), limit=1, skip=skip):
                    return
                report = delivery.drain_outbox(tool_conf(signing=True), reporting=reporting)
                if report.delivered or report.retrying or report.dead:
                    self.app.logger.info("outbox: %s", report)
            except Exception:  # keep the thread alive whatever one pass meets
                self.app.logger.exception("outbox pass failed")
            finally:
                db.session.remove()


def init_app(app: Flask) -> None:
    if not app.config["QADAM_OUTBOX_WORKER"]:
        return
    worker = OutboxWorker(app, app.config["QADAM_OUTBOX_INTERVAL"])
    app.extensions["qadam_outbox_worker"] = worker

    @app.before_request
    def _start_worker() -> None:
        # Started by the first request, in the worker process (never before a fork).
        worker.start()
