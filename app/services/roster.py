"""A class's students as the platform's roster service (NRPS) lists them, read live.

Names are never stored in the database: they are kept in memory for a minute, for a bounded
number of classes, so a teacher paging through results does not ask Moodle every time.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import current_app

import lti

from ..lti_tool import tool_conf
from . import actors
from .actors import ActorRole
from .quiz_results import RosterEntry

CACHE_SECONDS = 60.0
CACHE_CLASSES = 200


class RosterCache:
    """Rosters by class, each kept ``ttl`` seconds, at most ``size`` classes (oldest go)."""

    def __init__(self, ttl: float = CACHE_SECONDS, size: int = CACHE_CLASSES) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: OrderedDict[int, tuple[float, list[RosterEntry]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, class_id: int) -> list[RosterEntry] | None:
        with self._lock:
            found = self._entries.get(class_id)
            if found is None:
                return None
            if found[0] <= time.monotonic():
                del self._entries[class_id]
                return None
            self._entries.move_to_end(class_id)
            return found[1]

    def put(self, class_id: int, roster: list[RosterEntry]) -> None:
        with self._lock:
            self._entries[class_id] = (time.monotonic() + self.ttl, roster)
            self._entries.move_to_end(class_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def cache() -> RosterCache:
    found = current_app.extensions.get("qadam_rosters")
    if found is None:
        found = current_app.extensions["qadam_rosters"] = RosterCache()
    return found


def class_roster(class_id: int) -> tuple[list[RosterEntry] | None, bool]:
    """The class's active students, or None without a roster service.

    Returns (roster or None, whether the platform failed to answer).
    """
    school_class = actors.class_for(class_id)
    if school_class is None or not school_class.roster_url:
        return None, False
    cached = cache().get(class_id)
    if cached is not None:
        return cached, False
    platform = school_class.platform
    try:
        members = lti.fetch_roster(
            tool_conf(signing=True), platform.issuer, platform.client_id, school_class.roster_url
        )
    except lti.ServiceError as exc:
        current_app.logger.warning("roster of class %s not read: %s", class_id, exc)
        return None, True
    roster = [
        RosterEntry(user_id=m.user_id, name=m.name)
        for m in members
        if m.active and actors.classify_roles(m.roles) is ActorRole.STUDENT
    ]
    cache().put(class_id, roster)
    return roster, False
