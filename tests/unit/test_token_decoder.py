"""The launch's token decoder reads every segment exactly as PyJWT does, only faster."""

from __future__ import annotations

import base64
import os
from typing import Any

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jwt.api_jws import PyJWS
from jwt.exceptions import DecodeError

from lti import launch
from lti.token_decoder import TokenDecoder, decode_segment

UPSTREAM = PyJWS._decode_base64url_segment
CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/!. \n"


def outcome(check: Any, segment: bytes) -> tuple[str, Any]:
    try:
        return ("ok", check(segment, "payload"))
    except DecodeError as exc:
        return ("error", str(exc))


@settings(max_examples=3000, deadline=None)
@given(st.binary(max_size=24))
def test_any_bytes_read_as_pyjwt_reads_them(raw: bytes) -> None:
    for segment in (
        raw,
        base64.urlsafe_b64encode(raw),
        base64.urlsafe_b64encode(raw).rstrip(b"="),
        base64.b64encode(raw),
    ):
        assert outcome(decode_segment, segment) == outcome(UPSTREAM, segment)


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(list(CHARS)), max_size=20).map(bytes))
def test_near_base64_text_read_as_pyjwt_reads_it(segment: bytes) -> None:
    # Non-canonical last characters ("QR" decodes like "QQ"), junk, padding in odd places.
    assert outcome(decode_segment, segment) == outcome(UPSTREAM, segment)


@pytest.mark.parametrize(
    "segment",
    [b"", b"Q", b"QR", b"QQ", b"QQ==", b"QQ=", b"QQ===", b"!!!!", b"QUJD", b"QUJD=", b"QU+D"],
)
def test_edge_segments_read_as_pyjwt_reads_them(segment: bytes) -> None:
    assert outcome(decode_segment, segment) == outcome(UPSTREAM, segment)


def test_launches_decode_with_the_fast_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    key = os.urandom(32)
    token = jwt.encode({"sub": "3"}, key, algorithm="HS256")
    slow: list[bytes] = []

    def upstream_spy(segment: bytes, name: str) -> bytes:
        slow.append(segment)
        return UPSTREAM(segment, name)

    monkeypatch.setattr(PyJWS, "_decode_base64url_segment", staticmethod(upstream_spy))
    assert jwt.PyJWT().decode(token, key, algorithms=["HS256"]) == {"sub": "3"}
    assert len(slow) == 3, "the guard: PyJWT's own decoder reads through the spied check"
    slow.clear()
    assert TokenDecoder().decode(token, key, algorithms=["HS256"]) == {"sub": "3"}
    assert slow == [], "a canonical token never reaches PyJWT's per-character check"
    assert isinstance(launch._decoder, TokenDecoder)
    # PyJWT still checks the signature: a changed signature fails.
    forged = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(jwt.InvalidSignatureError):
        TokenDecoder().decode(forged, key, algorithms=["HS256"])
