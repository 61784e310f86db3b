"""The tool as `lti` sees it: its URLs, its configuration (registrations, signing key), storage."""

from __future__ import annotations

from typing import Any

from flask import current_app, request, url_for

from lti import (
    LoginStates,
    LookupToolConf,
    StoreLaunchDataStorage,
    ToolDescription,
    ToolKey,
    generate_signing_key,
)

from .services import tool_keys
from .services.lti_store import DatabaseKeyValueStore
from .services.platforms import DatabaseRegistrationLookup


def tool_url(endpoint: str, **values: Any) -> str:
    """An absolute URL of the tool as platforms see it (``QADAM_BASE_URL``)."""
    if values:
        return current_app.config["QADAM_BASE_URL"] + url_for(endpoint, **values)
    # The login and launch URLs are needed on every launch and never change for a request
    # with the same mount point.
    key = (endpoint, current_app.config["QADAM_BASE_URL"], request.script_root if request else "")
    urls: dict[tuple[str, str, str], str] = current_app.extensions.setdefault("qadam_tool_urls", {})
    url = urls.get(key)
    if url is None:
        url = urls[key] = key[1] + url_for(endpoint)
    return url


def storage(store: DatabaseKeyValueStore | None = None) -> StoreLaunchDataStorage:
    return StoreLaunchDataStorage(store or DatabaseKeyValueStore())


def login_states() -> LoginStates:
    """Signs and opens login states with the application's secret key (and its fallbacks)."""
    keys = (*(current_app.config["SECRET_KEY_FALLBACKS"] or ()), current_app.secret_key)
    cached = current_app.extensions.get("qadam_login_states")
    if cached is None or cached[0] != keys:
        cached = current_app.extensions["qadam_login_states"] = (keys, LoginStates(keys))
    states: LoginStates = cached[1]
    return states


def tool_conf(*, signing: bool = False) -> LookupToolConf:
    """The tool configuration; with ``signing``, it carries the current signing key."""
    key = None
    if signing:
        current = tool_keys.signing_key(
            current_app.config["QADAM_KEY_ACTIVATION_DELAY"]
        ) or tool_keys.ensure_key(generate_signing_key)
        key = ToolKey(
            kid=current.kid, private_pem=current.private_pem, public_pem=current.public_pem
        )
    return LookupToolConf(DatabaseRegistrationLookup(), key)


def tool_description() -> ToolDescription:
    return ToolDescription(
        name="Qadam",
        description="Personal-safety and anti-bullying lessons, quizzes and class surveys.",
        base_url=current_app.config["QADAM_BASE_URL"],
        login_url=tool_url("lti.login"),
        launch_url=tool_url("lti.launch"),
        jwks_url=tool_url("lti.jwks"),
        logo_url=tool_url("static", filename="img/qadam.svg"),
    )
