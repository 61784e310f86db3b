"""PyJWT's decoder, with its check of each base64url segment done in one C call first.

PyJWT 2.15 checks every character of a token's segments against the base64url alphabet in a
Python generator (its fix for GHSA-hxm8-2xgr-2p9m): about 3,000 steps and a tenth of a
launch's CPU for a Moodle id_token. Here a segment that is plainly canonical (only alphabet
characters, no padding, a length base64 allows, and re-encoding its bytes gives it back)
is decoded at once. Anything else goes to PyJWT's own check, which decides and words the
error, so no token is accepted that PyJWT alone would refuse.
"""

from __future__ import annotations

import base64

import jwt
from jwt.api_jws import PyJWS

_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def decode_segment(segment: bytes, name: str) -> bytes:
    """What ``PyJWS._decode_base64url_segment`` returns for ``segment``, or its error."""
    if len(segment) % 4 != 1 and not segment.translate(None, _ALPHABET):
        decoded = base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4))
        if base64.urlsafe_b64encode(decoded).rstrip(b"=") == segment:
            return decoded
    return _upstream_decode_segment(segment, name)


_upstream_decode_segment = PyJWS._decode_base64url_segment


class _JWS(PyJWS):
    _decode_base64url_segment = staticmethod(decode_segment)


class TokenDecoder(jwt.PyJWT):
    """``jwt.PyJWT`` whose signature layer reads segments with :func:`decode_segment`."""

    def __init__(self) -> None:
        super().__init__()
        self._jws = _JWS(options=self._get_sig_options())
