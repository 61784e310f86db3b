"""The acting person of a request (``g.actor``), from the launch the page was opened with.

A browser may hold several launches at once (a teacher with class A in one tab and class B
in another). Each launch is kept in the session under a short random key, and every URL and
form of a page carries that key (``?launch=…``), so an action applies to the class of the page
it was made on, never to whichever launch happened last. A launch is usable for
``QADAM_LAUNCH_LIFETIME`` seconds, checked on every request.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, request, session

from .services.actors import Actor, ActorRole

F = TypeVar("F", bound=Callable[..., Any])
SESSION_KEY = "launches"
LAUNCH_PARAM = "launch"
# Launches kept per browser: enough for a few tabs, small enough for the cookie.
MAX_LAUNCHES = 6
# Endpoints that take no launch key: the protocol's own and the demo platform's.
_KEYLESS_BLUEPRINTS = frozenset({"lti", "demo"})
# Where Flask-WTF keeps the raw form token in the session (its WTF_CSRF_FIELD_NAME).
CSRF_FIELD = "csrf_token"


def remember_actor(actor: Actor, launch_locale: str) -> str:
    """Keep a new launch in the session; return its key.

    Launches of another person in this browser are dropped: on a shared classroom computer
    the next child never acts as the previous one.
    """
    now = int(time.time())
    lifetime = current_app.config["QADAM_LAUNCH_LIFETIME"]
    kept = {
        key: entry
        for key, entry in _entries().items()
        if entry.get("p") == actor.person_id and now - int(entry.get("t", 0)) < lifetime
    }
    for key in sorted(kept, key=lambda k: kept[k].get("t", 0))[: -(MAX_LAUNCHES - 1) or None]:
        kept.pop(key)
    form_token = session.get(CSRF_FIELD) if kept else None  # before the new launch is added
    key = secrets.token_urlsafe(6)
    kept[key] = {
        "p": actor.person_id,
        "f": actor.platform_id,
        "r": actor.role.value,
        "c": actor.school_class_id,
        "l": actor.launch_id,
        "k": actor.resource_link_pk,
        "s": actor.school_id,
        "cs": actor.coordinator_school_id,
        "ca": actor.coordinator_area,
        "sg": actor.safeguarding,
        "sw": actor.site_wide,
        "t": now,
        "lc": launch_locale,
    }
    if actor.band:
        kept[key]["b"] = actor.band
    session.clear()  # the language chosen earlier gives way to the launch's
    # The same person's other tabs keep their form token. A new person's is made now, in the
    # cookie the launch sets anyway, so the page the launch opens does not write the cookie a
    # second time.
    session[CSRF_FIELD] = form_token if isinstance(form_token, str) else _new_form_token()
    session[SESSION_KEY] = kept
    g.launch_key = key
    return key


def _new_form_token() -> str:
    """A raw form token, 160 random bits as 40 hex digits like Flask-WTF's own. Only the raw
    token goes in the session here: the signed copy that forms carry is made from it when a
    page shows a form, and a launch answers with a redirect."""
    return secrets.token_hex(20)


def _entries() -> dict[str, dict[str, Any]]:
    data = session.get(SESSION_KEY)
    return data if isinstance(data, dict) else {}


def _actor(entry: dict[str, Any]) -> Actor:
    return Actor(
        person_id=int(entry["p"]),
        platform_id=int(entry["f"]),
        role=ActorRole(entry["r"]),
        school_class_id=entry.get("c"),
        launch_id=str(entry["l"]),
        resource_link_pk=entry.get("k"),
        school_id=entry.get("s"),
        coordinator_school_id=entry.get("cs"),
        coordinator_area=entry.get("ca"),
        safeguarding=bool(entry.get("sg")),
        site_wide=bool(entry.get("sw")),
        band=entry.get("b"),
    )


def load_actor() -> None:
    """Set ``g.actor`` from the launch named in the request (or the latest one)."""
    g.actor = None
    g.launch_key = None
    g.launch_locale = None
    entries = _entries()
    if not entries:
        return
    lifetime = current_app.config["QADAM_LAUNCH_LIFETIME"]
    now = time.time()
    live = {k: e for k, e in entries.items() if now - float(e.get("t", 0)) < lifetime}
    if len(live) != len(entries):
        session[SESSION_KEY] = live
    wanted = request.args.get(LAUNCH_PARAM)
    if wanted is None:
        if not live:
            return
        wanted = max(live, key=lambda k: float(live[k].get("t", 0)))
    entry = live.get(wanted)
    if entry is None:
        return
    try:
        g.actor = _actor(entry)
    except (KeyError, TypeError, ValueError):
        live.pop(wanted, None)
        session[SESSION_KEY] = live
        return
    g.launch_key = wanted
    g.launch_locale = entry.get("lc")


def become_coordinator(
    school_id: int | None, *, safeguarding: bool, area_code: str | None = None
) -> None:
    """Make the current launch a coordinator of ``school_id`` or of the area ``area_code``
    (a coordinator code was accepted)."""
    entries = _entries()
    key = g.get("launch_key")
    if key in entries:
        entries[key] = {
            **entries[key],
            "r": ActorRole.COORDINATOR.value,
            "cs": school_id,
            "ca": area_code,
            "sg": safeguarding,
            "sw": False,
        }
        session[SESSION_KEY] = entries
        g.actor = _actor(entries[key])


def _add_launch_key(endpoint: str, values: dict[str, Any]) -> None:
    key = g.get("launch_key")
    if not key or LAUNCH_PARAM in values or endpoint == "static":
        return
    if endpoint.partition(".")[0] in _KEYLESS_BLUEPRINTS:
        return
    values[LAUNCH_PARAM] = key


def require_role(*roles: ActorRole) -> Callable[[F], F]:
    """Let a view run only for a launched person holding one of ``roles``."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.get("actor") is None:
                abort(401)
            if g.actor.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def init_app(app: Flask) -> None:
    app.before_request(load_actor)
    app.url_defaults(_add_launch_key)
