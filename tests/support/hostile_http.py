"""Hostile HTTP servers on loopback: one that drips its answer a byte at a time, one that
never stops sending. Each serves every connection in a thread until stopped."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"


class HostileServer:
    """A raw socket server; ``answer(conn)`` writes whatever it wants after the request."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = int(self.listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}/"
        self.stopped = threading.Event()
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stopped.set()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the waiting accept()
        self.listener.close()
        self.thread.join(timeout=5)

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                self.answer(conn)
            except OSError:
                return

    def answer(self, conn: socket.socket) -> None:
        raise NotImplementedError


class DripServer(HostileServer):
    """Sends the status line and headers (or, with ``drip_headers``, those too) one byte per
    ``interval`` seconds, then a JSON body the same way, for as long as the client listens."""

    def __init__(self, *, interval: float = 1.0, drip_headers: bool = False) -> None:
        super().__init__()
        self.interval = interval
        self.drip_headers = drip_headers

    def answer(self, conn: socket.socket) -> None:
        payload = b'{"keys": [' + b" " * 10_000 + b"]}"
        if not self.drip_headers:
            conn.sendall(HEADERS)
        else:
            payload = HEADERS + payload
        for byte in payload:
            if self.stopped.is_set():
                return
            conn.sendall(bytes([byte]))
            time.sleep(self.interval)


class TlsDripServer(DripServer):
    """Starts a TLS answer (a handshake record's header) and drips the rest."""

    def answer(self, conn: socket.socket) -> None:
        for byte in b"\x16\x03\x03\x40\x00" + b"\x02" * 16_000:
            if self.stopped.is_set():
                return
            conn.sendall(bytes([byte]))
            time.sleep(self.interval)


class FloodServer(HostileServer):
    """Sends headers with no (or a falsely small) length, then bytes without end."""

    def __init__(self, *, claimed_length: int | None = None) -> None:
        super().__init__()
        self.claimed_length = claimed_length

    def answer(self, conn: socket.socket) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
        if self.claimed_length is not None:
            head += b"Transfer-Encoding: chunked\r\nContent-Length: %d\r\n" % self.claimed_length
        conn.sendall(head + b"\r\n")
        block = b"x" * 65536
        while not self.stopped.is_set():
            if self.claimed_length is not None:
                conn.sendall(b"%x\r\n" % len(block) + block + b"\r\n")
            else:
                conn.sendall(block)
