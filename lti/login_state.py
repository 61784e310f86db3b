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

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from itsdangerous import BadData, URLSafeTimedSerializer

# How long a login may take before its launch arrives (the platform's consent and redirect).
LOGIN_LIFETIME = 600
# The prefix pylti1p3 gives its states; the state cookie is named after the whole state.
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
# A state longer than this is refused unread. Login parameters are short; a state is also a
# cookie's name, and browsers keep a cookie's name and value under 4 KB together.
MAX_STATE_LENGTH = 1800
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
