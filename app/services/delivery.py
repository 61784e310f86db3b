"""The outbox: deliver queued messages (scores for the gradebook), retrying until they arrive.

A message is claimed by moving its next try into the future with a compare-and-set update,
so two workers (or two processes) never send the same message at the same time. A message
the platform refuses for good (a 4xx answer) is set aside as dead, with the reason, for an
administrator to look at and replay.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

import lti

from ..extensions import db
from ..models import OutboxMessage, Platform
from ..models.base import utcnow
from . import resource_links
from .quizzes import SCORE_KIND

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
# How long a claimed message is left alone while one worker delivers it.
CLAIM_LEASE = timedelta(minutes=2)


@dataclass
class DrainReport:
    delivered: int = 0
    retrying: int = 0
    dead: int = 0

    def __str__(self) -> str:
        return f"{self.delivered} delivered, {self.retrying} to retry, {self.dead} dead"


def retry_delay(tries: int) -> timedelta:
    """Wait 30 s after the first failure, doubling each time, at most an hour."""
    return min(FIRST_RETRY * (2 ** max(0, tries - 1)), LONGEST_WAIT)


def due_ids(now: datetime, limit: int = 100) -> list[int]:
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == PENDING, OutboxMessage.next_try_at <= now)
            .order_by(OutboxMessage.next_try_at, OutboxMessage.id)
            .limit(limit)
        )
    )


def claim(message_id: int, now: datetime) -> OutboxMessage | None:
    """Take a due message for this worker, or None if another took it first."""
    taken = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == PENDING,
            OutboxMessage.next_try_at <= now,
        )
        .values(next_try_at=now + CLAIM_LEASE)
    ).rowcount  # type: ignore[attr-defined]
    db.session.commit()
    return db.session.get(OutboxMessage, message_id) if taken == 1 else None


def drain_outbox(tool_conf: lti.LookupToolConf, *, now: datetime | None = None) -> DrainReport:
    """Deliver every message that is due; return what happened."""
    report = DrainReport()
    moment = now or utcnow()
    for message_id in due_ids(moment):
        message = claim(message_id, moment)
        if message is None:
            continue
        outcome = deliver(tool_conf, message, moment)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def deliver(tool_conf: lti.LookupToolConf, message: OutboxMessage, now: datetime) -> str:
    """Send one claimed message and record the outcome: delivered, retrying or dead."""
    try:
        if message.kind != SCORE_KIND:
            raise lti.ServiceError(
                f"unknown message kind {message.kind}", status=None, permanent=True
            )
        _send_score(tool_conf, message)
    except Exception as exc:
        # Anything but a platform's answer (a malformed message, a bug) will not mend itself:
        # the message is set aside with the reason, and the other messages go on.
        db.session.rollback()
        permanent = not isinstance(exc, lti.ServiceError) or exc.permanent
        message.tries += 1
        message.last_error = (
            str(exc) if isinstance(exc, lti.ServiceError) else f"{type(exc).__name__}: {exc}"
        )[:2000]
        if permanent:
            message.status = DEAD
            outcome = "dead"
        else:
            message.next_try_at = now + retry_delay(message.tries)
            outcome = "retrying"
        db.session.commit()
        return outcome
    message.tries += 1
    message.status = DELIVERED
    message.delivered_at = utcnow()
    message.last_error = ""
    db.session.commit()
    return "delivered"


def _send_score(tool_conf: lti.LookupToolConf, message: OutboxMessage) -> None:
    platform = db.session.get(Platform, message.platform_id) if message.platform_id else None
    if platform is None:
        raise lti.ServiceError("the platform is no longer registered", status=None, permanent=True)
    data = message.payload
    link = resource_links.link(data.get("resource_link"))
    lineitem_url = (link.lineitem_url if link else None) or data.get("lineitem_url")
    target = lti.GradeTarget(
        issuer=platform.issuer,
        client_id=platform.client_id,
        scopes=tuple(data["scopes"]),
        lineitem_url=lineitem_url,
        lineitems_url=data.get("lineitems_url"),
        resource_link_id=data["link_id"],
        resource_id=data["resource_id"],
        label=data["label"],
        score_maximum=float(data["score_maximum"]),
    )
    score = lti.Score(
        user_id=data["user_id"],
        score_given=float(data["score_given"]),
        score_maximum=float(data["score_maximum"]),
        timestamp=data["timestamp"],
    )
    used = lti.post_score(tool_conf, target, score)
    if link is not None and not link.lineitem_url and used:
        resource_links.remember_lineitem(link.id, used)


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
        .values(status=PENDING, next_try_at=utcnow(), tries=0)
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
