"""Configuration from QADAM_* environment variables, with embedded defaults."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PREFIX = "QADAM_"
LANGUAGES = ("kk", "ru", "en")


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _log_level(name: str) -> str:
    level = name.strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError(f"QADAM_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {name!r}")
    return level


def _secret_key(instance_path: Path, name: str = "secret_key") -> str:
    """Read a secret from instance/, creating it on first run (race-safe)."""
    path = instance_path / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    return path.read_text().strip()


def load_config(instance_path: Path, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return Flask config values from ``environ`` (default: the process environment)."""
    env = os.environ if environ is None else environ

    def get(name: str, default: str = "") -> str:
        return env.get(PREFIX + name, default)

    instance_path.mkdir(parents=True, exist_ok=True)
    base_url = get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    secure = urlsplit(base_url).scheme == "https"
    database_url = get("DATABASE_URL") or "sqlite:///" + str(instance_path / "qadam.sqlite3")
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url[len("postgres://") :]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    return {
        "SECRET_KEY": get("SECRET_KEY") or _secret_key(instance_path),
        # Earlier secret keys, comma-separated: cookies and login states they signed still
        # open while a rotation is under way (new ones are signed with SECRET_KEY only).
        "SECRET_KEY_FALLBACKS": [
            k.strip() for k in get("SECRET_KEY_FALLBACKS").split(",") if k.strip()
        ],
        # Keys the survey participation ledger (a hash of user and window); set it, the same
        # value, on every server, and keep it: a new one lets a person take part again.
        "QADAM_SURVEY_SECRET": get("SURVEY_SECRET") or _secret_key(instance_path, "survey_key"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # A server database's idle connections are pinged before use (app/database.py).
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "QADAM_BASE_URL": base_url,
        # INFO: refused launches, deliveries, warnings; DEBUG adds a line per launch.
        "QADAM_LOG_LEVEL": _log_level(get("LOG_LEVEL", "INFO")),
        "QADAM_DEMO": _flag(get("DEMO")),
        "QADAM_LTI_LEEWAY": int(get("LTI_LEEWAY", "15")),
        "QADAM_LAUNCH_LIFETIME": int(get("LAUNCH_LIFETIME", str(8 * 3600))),
        # The custom launch parameter a Moodle administrator sets to name a course's school.
        "QADAM_SCHOOL_PARAM": get("SCHOOL_PARAM", "qadam_school"),
        "QADAM_KEY_ACTIVATION_DELAY": int(get("KEY_ACTIVATION_DELAY", "86400")),
        "QADAM_REGISTRATION_ALLOWED_HOSTS": tuple(
            h.strip().lower() for h in get("REGISTRATION_ALLOWED_HOSTS").split(",") if h.strip()
        ),
        "QADAM_TRUSTED_PROXIES": int(get("TRUSTED_PROXIES", "0")),
        # Let the tool fetch from 127.0.0.1 / ::1 (the demo platform, tests); never other
        # private addresses.
        "QADAM_OUTBOUND_ALLOW_LOOPBACK": _flag(get("OUTBOUND_ALLOW_LOOPBACK")),
        # Deliver queued scores from a thread in each web process (off: run `flask outbox work`).
        "QADAM_OUTBOX_WORKER": _flag(get("OUTBOX_WORKER", "1")),
        "QADAM_OUTBOX_INTERVAL": float(get("OUTBOX_INTERVAL", "15")),
        # Where aggregate packages for the risk map are POSTed (off when unset: packages are
        # then handed over with `flask reports export`), an optional bearer token for it, and
        # the seconds one POST may take.
        "QADAM_REPORTING_URL": get("REPORTING_URL").strip(),
        "QADAM_REPORTING_TOKEN": get("REPORTING_TOKEN"),
        "QADAM_REPORTING_TIMEOUT": float(get("REPORTING_TIMEOUT", "60")),
        # Differentially private copies of the area figures (flask reports dp-release): the
        # privacy budget ε of one release; 0 keeps them off. Needs OpenDP (the dp extra).
        "QADAM_DP_EPSILON": float(get("DP_EPSILON", "0")),
        # Where lessons/ and quizzes/ are; the checkout itself unless told otherwise.
        "QADAM_CONTENT_ROOT": get("CONTENT_ROOT") or str(Path(__file__).resolve().parent.parent),
        "QADAM_HELP_CENTRE_NAME": get("HELP_CENTRE_NAME", "BalaQorgau"),
        "QADAM_HELP_CONTACT_CENTRE": get("HELP_CONTACT_CENTRE", "111"),
        "QADAM_HELP_CHILD_LINE": get("HELP_CHILD_LINE", "150"),
        "QADAM_HELP_EMERGENCY": get("HELP_EMERGENCY", "112"),
        "QADAM_HELP_FIRE": get("HELP_FIRE", "101"),
        "QADAM_HELP_POLICE": get("HELP_POLICE", "102"),
        "QADAM_HELP_AMBULANCE": get("HELP_AMBULANCE", "103"),
        "QADAM_HELP_GAS": get("HELP_GAS", "104"),
        # "Talk to someone": closed requests are erased this many days after closing; an
        # optional e-mail (off unless an address is set) says only that a request is waiting.
        "QADAM_TALK_RETENTION_DAYS": int(get("TALK_RETENTION_DAYS", "90")),
        "QADAM_TALK_NOTIFY_EMAIL": get("TALK_NOTIFY_EMAIL").strip(),
        "QADAM_SMTP_HOST": get("SMTP_HOST", "localhost"),
        "QADAM_SMTP_PORT": int(get("SMTP_PORT", "25")),
        # "starttls", "ssl" (SMTPS) or "none" (a relay on the same machine).
        "QADAM_SMTP_SECURITY": get("SMTP_SECURITY", "none").strip().lower(),
        "QADAM_SMTP_USERNAME": get("SMTP_USERNAME"),
        "QADAM_SMTP_PASSWORD": get("SMTP_PASSWORD"),
        "QADAM_SMTP_FROM": get("SMTP_FROM", "qadam@localhost"),
        "QADAM_SMTP_TIMEOUT": float(get("SMTP_TIMEOUT", "10")),
        "SESSION_COOKIE_NAME": "qadam_session",
        "SESSION_COOKIE_SECURE": secure,
        "SESSION_COOKIE_SAMESITE": "None" if secure else "Lax",
        "SESSION_COOKIE_PARTITIONED": secure,
        "SESSION_COOKIE_HTTPONLY": True,
        "PREFERRED_URL_SCHEME": "https" if secure else "http",
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": False,
        "BABEL_DEFAULT_LOCALE": "ru",
        "BABEL_TRANSLATION_DIRECTORIES": "translations",
        "LANGUAGES": LANGUAGES,
    }
