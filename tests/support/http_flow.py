"""Follow LTI hand-offs over real HTTP as a browser would (auto-submitting forms, redirects)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import requests


def hidden_form(html: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of an auto-submitting form."""
    match = re.search(r'<form method="post" action="([^"]+)"', html)
    if match is None:
        raise AssertionError("no form in page: " + html[:500])
    fields = {
        unescape(n): unescape(v)
        for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    }
    return unescape(match.group(1)), fields


def launch_over_http(
    session: requests.Session,
    simulator: Any,
    login_base: str,
    launch_base: str,
    role: str = "instructor",
    locale: str = "en",
    **claims: Any,
) -> requests.Response:
    """Login at ``login_base``, launch at ``launch_base`` (may be another server)."""
    login = session.post(
        login_base + "/lti/login", data=simulator.login_params(), allow_redirects=False
    )
    assert login.status_code == 302, login.text[:500]
    from urllib.parse import parse_qs, urlsplit

    auth = {k: v[0] for k, v in parse_qs(urlsplit(login.headers["Location"]).query).items()}
    token = simulator.sign(simulator.claims(role, nonce=auth["nonce"], locale=locale, **claims))
    return session.post(
        launch_base + "/lti/launch",
        data={"id_token": token, "state": auth["state"]},
        allow_redirects=False,
    )
