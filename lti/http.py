"""HTTP sessions for talking to platforms: a time limit on every call and a plain user agent."""

from __future__ import annotations

from typing import Any

import requests

DEFAULT_TIMEOUT = 10.0


class TimeoutSession(requests.Session):
    """A requests session whose calls time out unless told otherwise."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self._timeout = timeout
        self.headers["User-Agent"] = "Qadam-LTI-Tool"

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, *args, **kwargs)
