"""Class surveys on a real server, for the fault test and the benchmark: students of a few
grade-6 classes launched over HTTP with their sessions ready, then waves and a window of each
wave in every class, and one student's answers as the survey page's form sends them."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import requests
from sqlalchemy import select

from app.content.schema import AgeBand
from app.content_catalog import catalog
from app.extensions import db
from app.models import SchoolClass
from app.models.base import utc_today
from app.services import lessons, surveys
from tests.support.http_flow import launch_over_http

AGE_GROUP = "grades-5-9"
# The fixture instrument's items (tests/fixtures/content/quizzes/survey/fixture-grades-5-11)
# and their options, cycled through so that the class's answers differ.
ITEMS = {
    "bullied": ("not-at-all", "once-or-twice", "two-three-a-month", "about-weekly"),
    "cyber-messages": ("not-at-all", "several-a-week", "once-or-twice"),
    "told-friend": ("yes", "no"),
}
LAUNCH_THREADS = 8


def class_context(number: int) -> dict[str, str]:
    return {"id": f"course-6-{number}", "title": f"6-{number}", "label": f"6-{number}"}


class StudentSession(requests.Session):
    """A browser session that does not prepare the request behind a redirect it was told not
    to follow. ``requests`` builds it anyway, for ``Response.next`` (copying the request,
    cookies, proxy and ``.netrc`` look-ups: about 0.3 ms of client CPU), which nothing here
    reads. A benchmark that sets a 303 (a submission) against a 204 (the bare POST) on the
    same cores would otherwise charge the submission for client work the bare POST is spared.
    """

    def resolve_redirects(self, resp: Any, req: Any, **kwargs: Any) -> Any:
        if kwargs.get("yield_requests"):
            return iter(())
        return super().resolve_redirects(resp, req, **kwargs)


@dataclass(frozen=True)
class LaunchedStudent:
    """What a student's browser holds after launching Qadam from their class's course."""

    number: int
    sub: str
    class_number: int
    cookies: dict[str, str]
    csrf_token: str

    def session(self) -> requests.Session:
        session = StudentSession()
        session.cookies.update(self.cookies)
        return session


def _launch(base_url: str, simulator: Any, number: int, class_number: int) -> LaunchedStudent:
    sub = f"survey-student-{number}"
    with requests.Session() as session:
        launched = launch_over_http(
            session,
            simulator,
            base_url,
            base_url,
            "learner",
            sub=sub,
            context=class_context(class_number),
        )
        if launched.status_code != 303:
            raise RuntimeError(f"launch answered {launched.status_code}")
        page = session.get(base_url + "/student", timeout=30).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if token is None:
            raise RuntimeError("the student page has no form")
        return LaunchedStudent(number, sub, class_number, session.cookies.get_dict(), token[1])


def launch_students(
    base_url: str, simulator: Any, classes: int, per_class: int
) -> list[LaunchedStudent]:
    """Real OIDC launches over HTTP, a few at a time; the first launch of a class makes it."""
    numbers = [(c * per_class + i, c) for c in range(classes) for i in range(per_class)]
    with ThreadPoolExecutor(LAUNCH_THREADS) as pool:
        return list(pool.map(lambda nc: _launch(base_url, simulator, *nc), numbers))


def open_windows(app: Any, classes: int, waves: int) -> list[list[int]]:
    """Make the launched classes grade 6, open ``waves`` waves of their school and start each
    in every class, through the services (the pages that do it have tests of their own).
    Returns each class's window ids, in wave order."""
    with app.app_context():
        found = [
            db.session.scalars(
                select(SchoolClass).where(SchoolClass.context_id == class_context(c)["id"])
            ).one()
            for c in range(classes)
        ]
        for school_class in found:
            lessons.set_band(school_class.id, AgeBand.BASIC)
        today = utc_today()
        instruments = surveys.default_instruments(catalog())
        windows: list[list[int]] = [[] for _ in found]
        for number in range(waves):
            wave = surveys.open_wave(
                found[0].school_id or 0,
                f"2026-wave{number}",
                today,
                today + timedelta(days=14),
                "opt-out",
                instruments,
                catalog(),
            )
            for ids, school_class in zip(windows, found, strict=True):
                ids.append(surveys.open_window(wave, school_class, AGE_GROUP, catalog(), today).id)
        db.session.remove()
        db.engine.dispose()
    return windows


def answers_of(number: int) -> dict[str, str]:
    """Student ``number``'s answers as item id → option id (item 'told-friend' skipped by
    every fifth student: any question may be skipped)."""
    chosen = {item: options[number % len(options)] for item, options in ITEMS.items()}
    if number % 5 == 4:
        del chosen["told-friend"]
    return chosen


def answer_form(csrf_token: str, answers: dict[str, str]) -> dict[str, str]:
    """The body the survey page's form posts to ``/surveys/<window>/answers``."""
    return {"csrf_token": csrf_token, **{f"a-{item}": option for item, option in answers.items()}}


def acknowledged(response: requests.Response, window_id: int) -> bool:
    """Whether the tool answered a submission with the help screen after it (303, done=1)."""
    where = response.headers.get("Location", "")
    return (
        response.status_code == 303
        and where.split("?")[0].endswith(f"/surveys/{window_id}/help")
        and "done=1" in where
    )
