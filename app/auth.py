"""The acting person of a request (``g.actor``), set at launch and kept in the session."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, session

from .services.actors import Actor, ActorRole

F = TypeVar("F", bound=Callable[..., Any])
SESSION_KEY = "actor"


def remember_actor(actor: Actor, launch_locale: str) -> None:
    """Start a fresh session for the person of a new launch."""
    session.clear()
    session[SESSION_KEY] = {
        "person": actor.person_id,
        "platform": actor.platform_id,
        "role": actor.role.value,
        "class": actor.school_class_id,
        "launch": actor.launch_id,
        "link": actor.resource_link_pk,
    }
    session["launch_locale"] = launch_locale


def load_actor() -> None:
    data = session.get(SESSION_KEY)
    g.actor = None
    if isinstance(data, dict):
        try:
            g.actor = Actor(
                person_id=int(data["person"]),
                platform_id=int(data["platform"]),
                role=ActorRole(data["role"]),
                school_class_id=data.get("class"),
                launch_id=str(data["launch"]),
                resource_link_pk=data.get("link"),
            )
        except (KeyError, TypeError, ValueError):
            session.pop(SESSION_KEY, None)


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
