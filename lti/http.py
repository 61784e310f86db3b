"""Outbound HTTP to platforms, which are hostile territory.

Every call made through :class:`TimeoutSession`:

- goes only to http(s) URLs without user information, on every redirect hop;
- resolves the host, refuses it when any resolved address is not a public one (private,
  loopback, link-local, unique-local, multicast, reserved…), and connects to the very address
  it checked, so a DNS answer that changes between the check and the connection does not count;
- ends within a total deadline, however slowly the other side answers, and reads at most a
  fixed number of bytes of the answer.

Loopback can be allowed (never the other private ranges) with :func:`configure`, for the demo
platform and the tests, which live on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

DEFAULT_TIMEOUT = 10.0  # seconds for a whole call, redirects included
CONNECT_TIMEOUT = 3.0
SERVICE_MAX_BYTES = 1024 * 1024
MAX_REDIRECTS = 5
_CHUNK = 16 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundRefused(requests.ConnectionError):
    """The tool may not fetch this URL: a scheme, user information or address not allowed."""


class AddressNotAllowed(OutboundRefused):
    """The host is, or resolves to, an address the tool does not connect to."""


class DeadlineExceeded(requests.Timeout):
    """The other side took longer than the call's total deadline."""


class ResponseTooLarge(requests.RequestException):
    """The answer was longer than the call may read."""


@dataclass(frozen=True)
class OutboundPolicy:
    allow_loopback: bool = False


_policy = OutboundPolicy()


def configure(*, allow_loopback: bool) -> None:
    """Set the process-wide outbound policy (the application does, when it starts)."""
    global _policy
    _policy = OutboundPolicy(allow_loopback=allow_loopback)


def policy() -> OutboundPolicy:
    """The outbound policy in force."""
    return _policy


# -- which addresses ------------------------------------------------------------------------

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, compatible, 6to4, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if int(address) >> 32 == 0 and int(address) > 1:  # ::a.b.c.d, "IPv4-compatible"
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if any(address in net for net in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_allowed(address: IPAddress, *, allow_loopback: bool = False) -> bool:
    """Tell whether the tool may connect to ``address``."""
    return _allowed(address, allow_loopback)


def _allowed(address: IPAddress, allow_loopback: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return _allowed(embedded, allow_loopback)
        if address.is_site_local:
            return False
    if address.is_loopback:
        return allow_loopback
    return address.is_global and not (
        address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def vetted_addresses(host: str, port: int) -> list[tuple[Any, ...]]:
    """Resolve ``host`` and return its getaddrinfo entries; refuse if any address is not allowed.

    Every address must pass, not just the one used: an answer mixing a public and a private
    address is a rebinding attempt.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise _Refused(f"{host}: cannot be resolved ({exc})", resolvable=False) from exc
    allow_loopback = _policy.allow_loopback
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]
        try:
            address = ipaddress.ip_address(raw)
        except ValueError as exc:
            raise _Refused(f"{host}: unusable address {raw!r}") from exc
        if not address_allowed(address, allow_loopback=allow_loopback):
            raise _Refused(f"{host} ({address}) is not a public address")
    if not infos:
        raise _Refused(f"{host}: no address", resolvable=False)
    return infos


class _Refused(Exception):
    """Raised inside urllib3, which wraps every OSError; translated by the adapter."""

    def __init__(self, message: str, *, resolvable: bool = True) -> None:
        super().__init__(message)
        self.resolvable = resolvable


# -- the total deadline ---------------------------------------------------------------------


class _Deadline:
    """One call's deadline: when it passes, every socket the call reads from is stopped.

    Each socket is watched through a duplicate of its descriptor, which stays usable when TLS
    takes the socket over or the connection hands it to the response, and is closed when the
    call ends.
    """

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._watched: list[tuple[socket.socket, socket.socket]] = []
        self.expired = False
        self.ends_at = time.monotonic() + seconds
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._previous = _current_deadline()
        _local.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._timer.cancel()
        _local.deadline = self._previous
        with self._lock:
            watched, self._watched = self._watched, []
        for _sock, duplicate in watched:
            duplicate.close()

    def watch(self, sock: socket.socket) -> None:
        if sock.fileno() < 0:
            return
        with self._lock:
            if any(known is sock for known, _ in self._watched):
                return
            duplicate = socket.fromfd(sock.fileno(), sock.family, sock.type)
            self._watched.append((sock, duplicate))
            expired = self.expired
        if expired:
            _stop(sock, duplicate)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            watched = list(self._watched)
        for sock, duplicate in watched:
            _stop(sock, duplicate)


_local = threading.local()


def _current_deadline() -> _Deadline | None:
    return getattr(_local, "deadline", None)


def _stop(sock: socket.socket, duplicate: socket.socket) -> None:
    """Make a socket's reads fail now, from another thread.

    Shutting it down ends a read waiting for data (and a TLS handshake); a tiny timeout ends
    a read that keeps being fed a byte at a time.
    """
    with contextlib.suppress(OSError):
        duplicate.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):  # fails once TLS took the socket over: shutdown suffices
        sock.settimeout(0.001)


def _watch(sock: socket.socket | None) -> None:
    deadline = _current_deadline()
    if deadline is not None and sock is not None:
        deadline.watch(sock)


# -- connections to vetted addresses --------------------------------------------------------


class _PinnedMixin:
    """Connect to an address checked just now; Host, SNI and certificate checks keep the name."""

    _dns_host: str
    port: int
    timeout: Any
    socket_options: Any
    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        host = self._dns_host.strip("[]")
        deadline = _current_deadline()
        if deadline is not None and deadline.expired:
            raise _connection_error(self, host, TimeoutError("the call's deadline passed"))
        last: OSError | None = None
        for family, kind, proto, _name, sockaddr in vetted_addresses(host, self.port):
            try:
                return self._connect(socket.socket(family, kind, proto), sockaddr)
            except OSError as exc:
                last = exc
        raise _connection_error(self, host, last)

    def _connect(self, sock: socket.socket, sockaddr: Any) -> socket.socket:
        try:
            for option in self.socket_options or ():
                sock.setsockopt(*option)
            sock.settimeout(_connect_timeout(self.timeout))
            _watch(sock)
            sock.connect(sockaddr)
        except BaseException:
            sock.close()
            raise
        return sock

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        _watch(self.sock)  # with TLS, the socket that wraps the one connected

    def request(self, *args: Any, **kwargs: Any) -> Any:
        _watch(self.sock)  # a kept-alive connection, made by an earlier call
        return super().request(*args, **kwargs)  # type: ignore[misc]


def _connect_timeout(value: Any) -> float:
    """The connect timeout, within what is left of the call's deadline."""
    timeout = (
        min(float(value), CONNECT_TIMEOUT) if isinstance(value, int | float) else CONNECT_TIMEOUT
    )
    deadline = _current_deadline()
    if deadline is not None:
        timeout = min(timeout, deadline.ends_at - time.monotonic())
    if timeout <= 0:
        raise TimeoutError("the call's deadline passed")
    return timeout


def _connection_error(conn: Any, host: str, error: OSError | None) -> Exception:
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    if isinstance(error, TimeoutError | socket.timeout):
        return ConnectTimeoutError(conn, f"Connection to {host} timed out.")
    return NewConnectionError(conn, f"Failed to establish a new connection: {error}")


class _PinnedHTTPConnection(_PinnedMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedMixin, HTTPSConnection):
    pass


class _PinnedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


class PinnedAdapter(HTTPAdapter):
    """An adapter whose connections go only to vetted addresses, and never through a proxy."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _PinnedHTTPPool,
            "https": _PinnedHTTPSPool,
        }

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise OutboundRefused("the tool does not fetch through a proxy")

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        check_url(str(request.url))
        try:
            return super().send(request, *args, **kwargs)
        except _Refused as exc:
            if not exc.resolvable:
                raise requests.ConnectionError(str(exc), request=request) from exc
            raise AddressNotAllowed(str(exc), request=request) from exc


def check_url(url: str) -> None:
    """Refuse what the tool never fetches: other schemes, user information, no host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused(f"only http and https: {url[:200]}")
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused("no user information in URLs")
    if not parts.hostname:
        raise OutboundRefused(f"no host: {url[:200]}")


# -- the session ----------------------------------------------------------------------------


class TimeoutSession(requests.Session):
    """A requests session for platforms: vetted addresses, a total deadline, a byte cap.

    ``timeout`` is the total time for a call, redirects included; ``max_bytes`` is the most
    of an answer it reads (the headers say nothing that counts).
    """

    def __init__(
        self, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = SERVICE_MAX_BYTES
    ) -> None:
        super().__init__()
        self._timeout = timeout
        self._max_bytes = max_bytes
        self.headers["User-Agent"] = "Qadam-LTI-Tool"
        self.headers["Accept-Encoding"] = "identity"
        # No proxies and no .netrc credentials from the environment; a private CA still works.
        self.trust_env = False
        self.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )
        self.max_redirects = MAX_REDIRECTS
        adapter = PinnedAdapter(max_retries=0)
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self.hooks["response"].append(self._read_body)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs["timeout"] = (min(CONNECT_TIMEOUT, self._timeout), self._timeout)
        kwargs["stream"] = True
        with _Deadline(self._timeout) as deadline:
            try:
                return super().request(method, url, *args, **kwargs)
            except requests.RequestException as exc:
                if deadline.expired and not isinstance(exc, DeadlineExceeded):
                    raise DeadlineExceeded(f"no full answer within {self._timeout:g} s") from exc
                raise

    def _read_body(self, response: requests.Response, **kwargs: Any) -> None:
        """Read the answer in chunks, stopping past the cap or the deadline."""
        received = bytearray()
        try:
            for chunk in response.iter_content(_CHUNK):
                received += chunk
                if len(received) > self._max_bytes:
                    raise ResponseTooLarge(
                        f"answer longer than {self._max_bytes} bytes", response=response
                    )
        except requests.RequestException:
            response.close()
            raise
        deadline = _current_deadline()
        if deadline is not None and deadline.expired:
            response.close()
            raise DeadlineExceeded(f"no full answer within {self._timeout:g} s", response=response)
        response._content = bytes(received)
