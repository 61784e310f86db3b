"""Fail fast when the proxy setting and the public address disagree.

With an ``https://`` base URL, Qadam's cookies are ``Secure; SameSite=None`` and the LTI state
cookie and the cookie check depend on Flask seeing the request as secure. Behind a proxy that
ends HTTPS, that needs ``QADAM_TRUSTED_PROXIES``; without it every launch inside Moodle's
frame would fail with nothing in the logs to say why.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from .problems import PlainProblem


class ConfigurationError(RuntimeError):
    """The configuration cannot work; the message says what to change."""


def check_config(app: Flask) -> None:
    if app.config["QADAM_TRUSTED_PROXIES"] and not app.config["SESSION_COOKIE_SECURE"]:
        raise ConfigurationError(
            "QADAM_TRUSTED_PROXIES is set, so Qadam runs behind a proxy, but QADAM_BASE_URL "
            f"({app.config['QADAM_BASE_URL']}) is not an https:// address. Moodle opens Qadam "
            "inside its page, which browsers allow only over HTTPS: set QADAM_BASE_URL to the "
            "https:// address people use, or QADAM_TRUSTED_PROXIES=0 if there is no proxy."
        )


def _refuse_insecure_request() -> ResponseReturnValue | None:
    if not current_app.config["SESSION_COOKIE_SECURE"] or request.is_secure:
        return None
    if request.endpoint in ("home.healthz", "static"):
        return None
    current_app.logger.error(
        "request over plain HTTP (X-Forwarded-Proto: %s) while QADAM_BASE_URL is %s: set "
        "QADAM_TRUSTED_PROXIES to the number of proxies in front of Qadam, or serve HTTPS",
        request.headers.get("X-Forwarded-Proto", "-"),
        current_app.config["QADAM_BASE_URL"],
    )
    raise PlainProblem(
        500,
        _(
            "Qadam is set up for HTTPS, but this request reached it over plain HTTP. The "
            "person who runs Qadam needs to set QADAM_TRUSTED_PROXIES (see the README)."
        ),
    )


def init_app(app: Flask) -> None:
    check_config(app)
    app.before_request(_refuse_insecure_request)
