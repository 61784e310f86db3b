"""The optional e-mail that tells designated staff a request to talk is waiting.

It says only that: no name, no class, no category. Off unless ``QADAM_TALK_NOTIFY_EMAIL`` is
set. It is sent from a thread after the request is saved, so a slow or failing mail server
never delays or breaks the child's request; a failure is logged.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

log = logging.getLogger(__name__)

Connect = Callable[..., smtplib.SMTP]


@dataclass(frozen=True)
class MailSettings:
    to: str
    host: str
    port: int
    security: str  # "starttls", "ssl" or "none"
    username: str
    password: str
    sender: str
    timeout: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings | None:
        """The settings, or None when no address is configured (the default: no e-mail)."""
        to = str(config.get("QADAM_TALK_NOTIFY_EMAIL") or "").strip()
        if not to:
            return None
        return cls(
            to=to,
            host=str(config["QADAM_SMTP_HOST"]),
            port=int(config["QADAM_SMTP_PORT"]),
            security=str(config["QADAM_SMTP_SECURITY"]),
            username=str(config["QADAM_SMTP_USERNAME"]),
            password=str(config["QADAM_SMTP_PASSWORD"]),
            sender=str(config["QADAM_SMTP_FROM"]),
            timeout=float(config["QADAM_SMTP_TIMEOUT"]),
        )


def message(settings: MailSettings, subject: str, body: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = settings.sender
    mail["To"] = settings.to
    mail["Subject"] = subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    mail.set_content(body)
    return mail


def _connect(settings: MailSettings) -> smtplib.SMTP:
    if settings.security == "ssl":
        return smtplib.SMTP_SSL(
            settings.host,
            settings.port,
            timeout=settings.timeout,
            context=ssl.create_default_context(),
        )
    return smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)


def send(settings: MailSettings, mail: EmailMessage, connect: Connect | None = None) -> None:
    """Deliver ``mail`` through the configured server; raises on failure."""
    with (connect or _connect)(settings) as smtp:
        if settings.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password)
        smtp.send_message(mail)


def send_quietly(
    settings: MailSettings, mail: EmailMessage, connect: Connect | None = None
) -> bool:
    """Deliver ``mail``; log a failure instead of raising. Returns whether it was sent."""
    try:
        send(settings, mail, connect)
    except Exception as exc:  # whatever the mail server does, the child's request stands
        log.warning("talk-request notice not sent to %s:%s: %s", settings.host, settings.port, exc)
        return False
    return True


def notify_in_background(
    settings: MailSettings, subject: str, body: str, connect: Connect | None = None
) -> threading.Thread:
    """Send the notice from a thread; return it (tests may join it)."""
    thread = threading.Thread(
        target=send_quietly,
        args=(settings, message(settings, subject, body), connect),
        name="qadam-talk-mail",
        daemon=True,
    )
    thread.start()
    return thread
