"""The outbox: deliver queued messages, retrying until they arrive.

Two kinds: scores for the gradebook (AGS), and aggregate packages for the risk reporting
endpoint (``QADAM_REPORTING_URL``; report messages wait while it is unset).

A message is claimed by moving its next try into the future with a compare-and-set update,
so two workers (or two processes) never send the same message at the same time. A message
the other side refuses for good (a 4xx answer) is set aside as dead, with the reason, for an
administrator to look at and replay. A package that still has not arrived after its retry
budget is set aside the same way.

A package is POSTed as ``multipart/form-data`` with three parts named after its files
(``aggregates.csv``, ``datapackage.json``, ``manifest.jws``), an ``Idempotency-Key`` header
holding the package id, and an optional bearer token. Any 2xx answer means received (a
receiver answers a repeat of a package it already has with 2xx too); 408, 425, 429 and 5xx
are tried again later; any other answer is final.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import Select, select, update

import lti
from lti.http import OutboundRefused, TimeoutSession

from ..extensions import db
from ..models import OutboxMessage, Platform, ReportPackage
from ..models.base import utcnow
from . import report_packages, resource_links
from .quizzes import SCORE_KIND
from .report_packages import REPORT_KIND

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
# How long a claimed message is left alone while one worker delivers it.
CLAIM_LEASE = timedelta(minutes=2)
# Packages: doubling waits with jitter, up to six hours apart; set aside after 20 tries
# (two to three days of trying).
REPORT_RETRY_BUDGET = 20
REPORT_LONGEST_WAIT = timedelta(hours=6)
REPORT_TIMEOUT = 60.0
# A POST must end well within a claim's lease, or another worker could send it again.
REPORT_LONGEST_TIMEOUT = CLAIM_LEASE.total_seconds() * 0.8
REPORT_TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class ReportingEndpoint:
    """Where packages go: the URL, an optional bearer token, the time a POST may take."""

    url: str
    token: str = ""
    timeout: float = REPORT_TIMEOUT


def reporting_endpoint(config: Mapping[str, Any]) -> ReportingEndpoint | None:
    """The configured reporting endpoint; None when reporting is off."""
    url = str(config.get("QADAM_REPORTING_URL") or "").strip()
    if not url:
        return None
    return ReportingEndpoint(
        url=url,
        token=str(config.get("QADAM_REPORTING_TOKEN") or ""),
        timeout=min(
            float(config.get("QADAM_REPORTING_TIMEOUT") or REPORT_TIMEOUT), REPORT_LONGEST_TIMEOUT
        ),
    )


@dataclass
class DrainReport:
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    lost: int = 0  # another worker took the message over after this one's lease ran out

    def __str__(self) -> str:
        text = f"{self.delivered} delivered, {self.retrying} to retry, {self.dead} dead"
        return text + (f", {self.lost} taken over" if self.lost else "")


def retry_delay(tries: int) -> timedelta:
    """Wait 30 s after the first failure, doubling each time, at most an hour."""
    return min(FIRST_RETRY * (2 ** max(0, tries - 1)), LONGEST_WAIT)


def report_retry_delay(tries: int, rng: Callable[[], float] = random.random) -> timedelta:
    """A doubling wait (30 s, 1 min, 2 min … at most 6 h) of which a random half is kept.

    The jitter spreads the retries of many packages (and many schools' servers) that failed
    together, so they do not all come back to the endpoint at the same moment.
    """
    ceiling = min(FIRST_RETRY * (2 ** max(0, tries - 1)), REPORT_LONGEST_WAIT)
    return ceiling / 2 + ceiling / 2 * rng()


def _due(now: datetime, only: Collection[str] | None, skip: Collection[str]) -> Select[int]:
    query = select(OutboxMessage.id).where(
        OutboxMessage.status == PENDING, OutboxMessage.next_try_at <= now
    )
    if only is not None:
        query = query.where(OutboxMessage.kind.in_(list(only)))
    if skip:
        query = query.where(OutboxMessage.kind.not_in(list(skip)))
    return query.order_by(OutboxMessage.next_try_at, OutboxMessage.id)


def due_ids(
    now: datetime,
    limit: int = 100,
    *,
    only: Collection[str] | None = None,
    skip: Collection[str] = (),
) -> list[int]:
    return list(db.session.scalars(_due(now, only, skip).limit(limit)))


def _take(message_id: int, now: datetime, lease: timedelta, claim: str) -> bool:
    taken = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == PENDING,
            OutboxMessage.next_try_at <= now,
        )
        .values(next_try_at=now + lease, claim=claim)
    ).rowcount  # type: ignore[attr-defined]
    return bool(taken == 1)


def claim_next(
    lease: timedelta = CLAIM_LEASE,
    clock: Callable[[], datetime] = utcnow,
    *,
    only: Collection[str] | None = None,
    skip: Collection[str] = (),
) -> tuple[OutboxMessage, str] | None:
    """Take the next due message for this worker; None when nothing is due.

    The time is read at the claim itself, so the lease runs from the moment the message is
    taken. On PostgreSQL the due row is locked with ``FOR UPDATE SKIP LOCKED``, so concurrent
    workers each take a different message without waiting; elsewhere a compare-and-set
    update decides (SQLite runs one writer at a time). ``only`` and ``skip`` choose kinds.
    """
    claim = secrets.token_hex(8)
    now = clock()
    if db.session.get_bind().dialect.name == "postgresql":
        candidates = list(
            db.session.scalars(_due(now, only, skip).limit(1).with_for_update(skip_locked=True))
        )
    else:
        candidates = due_ids(now, limit=10, only=only, skip=skip)
    for message_id in candidates:
        if _take(message_id, now, lease, claim):
            db.session.commit()
            message = db.session.get(OutboxMessage, message_id, populate_existing=True)
            return (message, claim) if message is not None else None
    db.session.rollback()
    return None


def drain_outbox(
    tool_conf: lti.LookupToolConf,
    *,
    clock: Callable[[], datetime] = utcnow,
    lease: timedelta = CLAIM_LEASE,
    limit: int = 500,
    reporting: ReportingEndpoint | None = None,
    only: Collection[str] | None = None,
) -> DrainReport:
    """Deliver the messages that are due (at most ``limit``); return what happened.

    Packages wait while ``reporting`` is None; ``only`` limits the pass to some kinds.
    """
    report = DrainReport()
    skip = () if reporting is not None else (REPORT_KIND,)
    for _ in range(limit):
        claimed = claim_next(lease, clock, only=only, skip=skip)
        if claimed is None:
            break
        outcome = deliver(tool_conf, *claimed, clock=clock, reporting=reporting)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _record_outcome(message_id: int, claim: str, **values: object) -> bool:
    """Write an outcome only while this worker's claim still holds; False if it was lost."""
    written = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claim == claim)
        .values(claim=None, **values)
    ).rowcount  # type: ignore[attr-defined]
    db.session.commit()
    return bool(written == 1)


def deliver(
    tool_conf: lti.LookupToolConf,
    message: OutboxMessage,
    claim: str,
    *,
    clock: Callable[[], datetime] = utcnow,
    reporting: ReportingEndpoint | None = None,
) -> str:
    """Send one claimed message and record the outcome: delivered, retrying, dead or lost."""
    message_id, tries, kind = message.id, message.tries + 1, message.kind
    try:
        if kind == SCORE_KIND:
            _send_score(tool_conf, message, clock)
        elif kind == REPORT_KIND:
            _send_package(reporting, message)
        else:
            raise lti.ServiceError(f"unknown message kind {kind}", status=None, permanent=True)
    except Exception as exc:
        # Anything but a platform's answer (a malformed message, a bug) will not mend itself:
        # the message is set aside with the reason, and the other messages go on.
        db.session.rollback()
        permanent = not isinstance(exc, lti.ServiceError) or exc.permanent
        error = str(exc) if isinstance(exc, lti.ServiceError) else f"{type(exc).__name__}: {exc}"
        values: dict[str, object]
        if kind == REPORT_KIND and not permanent and tries >= REPORT_RETRY_BUDGET:
            permanent, error = True, f"gave up after {tries} tries; the last: {error}"
        if permanent:
            outcome, values = "dead", {"status": DEAD}
        else:
            # The back-off counts from the failure, not from when the pass began.
            wait = report_retry_delay(tries) if kind == REPORT_KIND else retry_delay(tries)
            outcome, values = "retrying", {"next_try_at": clock() + wait}
        if not _record_outcome(message_id, claim, tries=tries, last_error=error[:2000], **values):
            return "lost"
        return outcome
    if not _record_outcome(
        message_id,
        claim,
        tries=tries,
        status=DELIVERED,
        delivered_at=clock(),
        last_error="",
    ):
        return "lost"
    return "delivered"


def _send_score(
    tool_conf: lti.LookupToolConf, message: OutboxMessage, clock: Callable[[], datetime]
) -> None:
    platform = db.session.get(Platform, message.platform_id) if message.platform_id else None
    if platform is None:
        raise lti.ServiceError("the platform is no longer registered", status=None, permanent=True)
    data = message.payload
    resource_id = str(data["resource_id"])
    score = lti.Score(
        user_id=data["user_id"],
        score_given=float(data["score_given"]),
        score_maximum=float(data["score_maximum"]),
        timestamp=data["timestamp"],
    )

    link = resource_links.link(data.get("resource_link"))
    # A link's own column is the one Moodle made for its activity; it takes only the scores
    # of the activity's own lesson. Any other score finds the column of its resource.
    own = link is not None and link.lesson_id == resource_id
    lineitem_url = link.lineitem_url if own and link is not None else None
    lineitem_url = lineitem_url or data.get("lineitem_url")
    creating = False
    if not lineitem_url and link is not None:
        try:
            lineitem_url, creating = resource_links.claim_line_item(link.id, resource_id, clock())
        except resource_links.LineItemBusy:
            raise lti.ServiceError(
                "another delivery is creating this gradebook column", status=None, permanent=False
            ) from None
    target = lti.GradeTarget(
        issuer=platform.issuer,
        client_id=platform.client_id,
        scopes=tuple(data["scopes"]),
        lineitem_url=lineitem_url,
        lineitems_url=data.get("lineitems_url"),
        resource_link_id=data["link_id"] if own else None,
        resource_id=resource_id,
        label=data["label"],
        score_maximum=float(data["score_maximum"]),
    )
    try:
        used = lti.post_score(tool_conf, target, score)
    except Exception:
        if creating and link is not None:
            resource_links.release_line_item(link.id, resource_id)
        raise
    if creating and link is not None:
        resource_links.remember_line_item(link.id, resource_id, used)


def _send_package(reporting: ReportingEndpoint | None, message: OutboxMessage) -> None:
    """POST a package to the reporting endpoint; raise ServiceError unless it was received."""
    if reporting is None:
        raise lti.ServiceError(
            "reporting is off: QADAM_REPORTING_URL is unset", status=None, permanent=False
        )
    package = db.session.get(ReportPackage, str(message.payload.get("package_id")))
    if package is None:
        raise lti.ServiceError("the package is no longer stored", status=None, permanent=True)
    media = {
        report_packages.DATA_FILE: "text/csv; charset=utf-8",
        report_packages.DESCRIPTOR_FILE: "application/json",
        report_packages.MANIFEST_FILE: "application/jose",
    }
    parts = [
        (name, (name, content, media[name]))
        for name, content in report_packages.package_files(package).items()
    ]
    headers = {"Idempotency-Key": package.id, "Accept": "application/json"}
    if reporting.token:
        headers["Authorization"] = f"Bearer {reporting.token}"
    db.session.rollback()  # no transaction held open while the endpoint answers
    try:
        with TimeoutSession(timeout=reporting.timeout) as session:
            response = session.post(
                reporting.url, files=parts, headers=headers, allow_redirects=False
            )
    except OutboundRefused as exc:
        raise lti.ServiceError(
            f"reporting endpoint refused: {exc}", status=None, permanent=True
        ) from exc
    except requests.RequestException as exc:
        raise lti.ServiceError(
            f"reporting endpoint unreachable: {exc}", status=None, permanent=False
        ) from exc
    if 200 <= response.status_code < 300:
        return
    reason = " ".join(response.text[:300].split())
    raise lti.ServiceError(
        f"reporting endpoint answered {response.status_code}: {reason}",
        status=response.status_code,
        permanent=response.status_code not in REPORT_TRANSIENT_STATUSES,
    )


def messages(status: str | None = None, limit: int = 200) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    return list(db.session.scalars(query))


def replay(message_ids: Iterable[int] | None = None) -> int:
    """Queue dead messages again (all of them, or those named); return how many."""
    query = (
        update(OutboxMessage)
        .where(OutboxMessage.status == DEAD)
        .values(status=PENDING, next_try_at=utcnow(), tries=0, claim=None)
    )
    if message_ids is not None:
        query = query.where(OutboxMessage.id.in_(list(message_ids)))
    count = int(db.session.execute(query).rowcount)  # type: ignore[attr-defined]
    db.session.commit()
    return count


def pending_count() -> int:
    return int(
        db.session.scalar(
            select(db.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == PENDING)
        )
        or 0
    )
