"""The optional e-mail to designated staff: it says only that a request is waiting, and a
failing mail server never breaks the child's request."""

from __future__ import annotations

import logging
import socket
import time
from email import message_from_bytes
from typing import Any

import pytest

from app.services import talk_mail
from tests.support.platform_services import Member
from tests.web.test_talk import DANA, ask, requests_in_db, simulator, student


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(autouse=True)
def _mail_log_enabled(monkeypatch: Any) -> None:
    # Alembic's logging set-up (tests/unit/test_migrations) disables loggers made before it.
    monkeypatch.setattr(talk_mail.log, "disabled", False)


class Collect:
    def __init__(self) -> None:
        self.received: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_sink() -> Any:
    from aiosmtpd.controller import Controller

    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, handler
    controller.stop()


def mail_config(port: int) -> dict[str, Any]:
    return {
        "QADAM_TALK_NOTIFY_EMAIL": "psychologist@school.example.kz",
        "QADAM_SMTP_HOST": "127.0.0.1",
        "QADAM_SMTP_PORT": port,
        "QADAM_SMTP_FROM": "qadam@school.example.kz",
        "QADAM_SMTP_TIMEOUT": 5.0,
    }


def test_the_notice_says_only_that_a_request_is_waiting(
    make_app: Any, httpserver: Any, smtp_sink: Any
) -> None:
    port, handler = smtp_sink
    app = make_app(**mail_config(port))
    platform = simulator(app, httpserver)
    platform.services.roster = [Member("student-1", DANA)]
    assert ask(student(app, platform, "student-1"), category="home").status_code == 303
    deadline = time.monotonic() + 10
    while not handler.received and time.monotonic() < deadline:
        time.sleep(0.05)
    [envelope] = handler.received
    assert envelope.rcpt_tos == ["psychologist@school.example.kz"]
    mail = message_from_bytes(envelope.content)
    body = mail.get_payload(decode=True).decode()
    assert "A child has asked to talk to someone at school." in body
    assert "Ребёнок попросил поговорить" in body, "in every language"
    everything = mail.as_string() + body
    for secret in (DANA, "Dana", "7A", "home", "Something at home", "today", "psychologist "):
        assert secret not in everything, secret


def test_no_mail_is_sent_unless_an_address_is_configured(app: Any) -> None:
    assert talk_mail.MailSettings.from_config(app.config) is None
    assert app.config["QADAM_TALK_NOTIFY_EMAIL"] == ""


def test_a_failing_mail_server_never_breaks_the_request(
    make_app: Any, httpserver: Any, monkeypatch: Any, caplog: Any
) -> None:
    app = make_app(**mail_config(free_port()))  # nothing listens there
    platform = simulator(app, httpserver)
    threads = []
    original = talk_mail.notify_in_background

    def recorded(*args: Any, **kwargs: Any) -> Any:
        threads.append(original(*args, **kwargs))
        return threads[-1]

    monkeypatch.setattr(talk_mail, "notify_in_background", recorded)
    with caplog.at_level(logging.WARNING, logger="app.services.talk_mail"):
        assert ask(student(app, platform, "student-1"), name="Aru").status_code == 303
        [thread] = threads
        thread.join(10)
    assert len(requests_in_db(app)) == 1
    assert "talk-request notice not sent to 127.0.0.1" in caplog.text
    assert "Aru" not in caplog.text


class StubSmtp:
    """Stands in for smtplib.SMTP: records what the tool asks of the server."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[str] = []
        self.sent: list[Any] = []
        self.fail = fail

    def __enter__(self) -> StubSmtp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.calls.append("quit")

    def starttls(self, context: Any = None) -> None:
        self.calls.append("starttls")

    def login(self, user: str, password: str) -> None:
        self.calls.append(f"login {user}")

    def send_message(self, mail: Any) -> None:
        if self.fail:
            raise OSError("relay refused")
        self.calls.append("send")
        self.sent.append(mail)


def settings(**changes: Any) -> talk_mail.MailSettings:
    base = talk_mail.MailSettings(
        to="staff@school.example.kz",
        host="mail.school.example.kz",
        port=587,
        security="starttls",
        username="qadam",
        password="secret",
        sender="qadam@school.example.kz",
        timeout=5,
    )
    return talk_mail.MailSettings(**{**base.__dict__, **changes})


def test_starttls_and_login_when_configured() -> None:
    stub = StubSmtp()
    mail = talk_mail.message(settings(), "Subject", "Body")
    talk_mail.send(settings(), mail, connect=lambda s: stub)
    assert stub.calls == ["starttls", "login qadam", "send", "quit"]
    assert stub.sent[0]["To"] == "staff@school.example.kz"
    plain = StubSmtp()
    talk_mail.send(settings(security="none", username=""), mail, connect=lambda s: plain)
    assert plain.calls == ["send", "quit"]


def test_a_delivery_failure_is_logged_not_raised(caplog: Any) -> None:
    failing = StubSmtp(fail=True)
    mail = talk_mail.message(settings(), "Subject", "Body")
    with caplog.at_level(logging.WARNING, logger="app.services.talk_mail"):
        assert talk_mail.send_quietly(settings(), mail, connect=lambda s: failing) is False
    assert "relay refused" in caplog.text
