"""The OIDC login's state: its nonce and parameters, signed, so a login writes nothing.

A login used to store its nonce and parameters under a random state, and the launch took that
record. Now the state itself carries them, signed with the application's secret and stamped
with the time. The launch checks the signature and the age, and is stored under its nonce
only if nothing is stored there yet (:meth:`lti.KeyValueStore.add`). So each state still
works for one launch only, and only within :data:`LOGIN_LIFETIME`.

The state travels through the browser and the platform, as the login's parameters did before,
so nothing in it is secret. The nonce is in the id_token anyway.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer
from pylti1p3.contrib.flask import FlaskCookieService

# How long a login may take before its launch arrives (the platform's consent and redirect).
LOGIN_LIFETIME = 600
# The prefix pylti1p3 gives its states.
STATE_PREFIX = "state-"
# The login parameters kept in the state, so a launch whose cookie was blocked can offer to
# start again in a new window. Their order is the order of the signed list.
LOGIN_PARAMS = (
    "iss",
    "login_hint",
    "target_link_uri",
    "lti_message_hint",
    "lti_deployment_id",
    "client_id",
)
# A state longer than this is refused unread (login parameters are short).
MAX_STATE_LENGTH = 1800
# The value of a state cookie: its name says which state it is for.
STATE_COOKIE_VALUE = "1"
_SALT = "qadam.lti.login-state"


@dataclass(frozen=True)
class OpenedLogin:
    """What a valid state says about its login."""

    nonce: str
    params: dict[str, str]


class LoginStates:
    """Issues and opens signed login states.

    ``secrets`` are the application's secret keys, oldest first and the current one last: a
    state signed with an older key still opens while a key rotation is under way.
    """

    def __init__(self, secrets_: Sequence[str | bytes], lifetime: int = LOGIN_LIFETIME) -> None:
        if not secrets_ or not all(secrets_):
            raise ValueError("login states need a secret key")
        self.lifetime = lifetime
        keys = [k.encode() if isinstance(k, str) else k for k in secrets_]
        self._serializer = URLSafeTimedSerializer(
            keys, salt=_SALT, signer_kwargs={"digest_method": hashlib.sha256}
        )

    def issue(self, params: Mapping[str, str | None]) -> tuple[str, str]:
        """A new state and its nonce, for a login with ``params``."""
        nonce = secrets.token_urlsafe(18)
        values = [nonce] + [params.get(name) or "" for name in LOGIN_PARAMS]
        return STATE_PREFIX + self._serializer.dumps(values), nonce

    def open(self, state: str) -> OpenedLogin | None:
        """The login of a state this tool issued less than ``lifetime`` ago; else None."""
        if not state.startswith(STATE_PREFIX) or len(state) > MAX_STATE_LENGTH:
            return None
        try:
            values = self._serializer.loads(state[len(STATE_PREFIX) :], max_age=self.lifetime)
        except BadData:
            return None
        if (
            not isinstance(values, list)
            or len(values) != len(LOGIN_PARAMS) + 1
            or not all(isinstance(v, str) for v in values)
            or not values[0]
        ):
            return None
        return OpenedLogin(nonce=values[0], params=dict(zip(LOGIN_PARAMS, values[1:], strict=True)))


def state_cookie_name(state: str) -> str:
    """The name of the cookie that binds ``state`` to the browser of its login.

    A digest of the state, not the state itself (as pylti1p3 would name it): a signed state is a
    few hundred characters, and the cookies of logins not finished yet are all sent back.
    """
    digest = hashlib.sha256(state.encode()).digest()[:18]
    return "lti1p3-state-" + base64.urlsafe_b64encode(digest).decode()


class StateCookies(FlaskCookieService):
    """pylti1p3's cookie service, with state cookies named by :func:`state_cookie_name`."""

    def _get_key(self, key: str) -> str:
        return state_cookie_name(key)

    def set_cookie(self, name: str, value: Any, exp: int | None = 3600) -> None:
        super().set_cookie(name, STATE_COOKIE_VALUE, exp)

    def holds(self, state: str) -> bool:
        """Whether the request carries the cookie the login of ``state`` set."""
        return bool(self.get_cookie(state) == STATE_COOKIE_VALUE)
