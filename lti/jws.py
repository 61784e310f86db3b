"""Signed manifests for report packages: compact JWS with ES256 on a P-256 key of their own.

The manifest key is not an LTI key: it signs nothing but manifests, and LTI tokens are never
signed with it. Signatures are deterministic (RFC 6979), so the same manifest signed twice
with the same key gives the same bytes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from jwcrypto.jwk import JWK

from .keys import GeneratedKey, pem_pair

ALGORITHM = "ES256"
MANIFEST_TYPE = "qadam-manifest+jws"
_COORDINATE_BYTES = 32


class ManifestSignatureError(ValueError):
    """The manifest is not a valid ES256 JWS by a published manifest key; the message says why."""


def generate_manifest_key() -> GeneratedKey:
    """Make a new P-256 key pair for ES256; its key id is the RFC 7638 thumbprint."""
    private_pem, public_pem = pem_pair(ec.generate_private_key(ec.SECP256R1()))
    jwk = manifest_public_jwk(public_pem)
    return GeneratedKey(jwk["kid"], private_pem, public_pem, jwk)


def manifest_public_jwk(public_pem: str) -> dict[str, Any]:
    """Return the public JWK of a P-256 PEM key, with ``kid``, ``alg: ES256`` and ``use: sig``."""
    key = JWK.from_pem(public_pem.encode("ascii"))
    jwk: dict[str, Any] = json.loads(key.export_public())
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("a manifest key must be an EC key on P-256")
    jwk["kid"] = key.thumbprint()
    jwk["alg"] = ALGORITHM
    jwk["use"] = "sig"
    return jwk


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign_manifest(payload: dict[str, Any], private_pem: str, kid: str) -> str:
    """Sign ``payload`` (canonical JSON) as a compact JWS, ES256, naming the key by ``kid``."""
    key = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("a manifest key must be an EC key on P-256")
    header = {"alg": ALGORITHM, "kid": kid, "typ": MANIFEST_TYPE}
    signing_input = f"{_b64(_canonical(header))}.{_b64(_canonical(payload))}".encode("ascii")
    der = key.sign(signing_input, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    raw = r.to_bytes(_COORDINATE_BYTES, "big") + s.to_bytes(_COORDINATE_BYTES, "big")
    return f"{signing_input.decode('ascii')}.{_b64(raw)}"


def verify_manifest(token: str, jwks: dict[str, Any] | Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Check the signature with the key its ``kid`` names in ``jwks``; return the payload.

    Only ES256 is accepted, whatever the header says, and only a key published for it.
    """
    keys = jwks.get("keys", []) if isinstance(jwks, dict) else list(jwks)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise ManifestSignatureError(f"not a compact JWS: {exc}") from exc
    if header.get("alg") != ALGORITHM:
        raise ManifestSignatureError(f"the manifest must be signed with {ALGORITHM}")
    found = [k for k in keys if k.get("kid") == header.get("kid") and k.get("kty") == "EC"]
    if not found or found[0].get("alg", ALGORITHM) != ALGORITHM:
        raise ManifestSignatureError(f"no published ES256 key with id {header.get('kid')!r}")
    try:
        public = jwt.PyJWK(found[0], algorithm=ALGORITHM)
        decoded = jwt.api_jws.decode_complete(token, public.key, algorithms=[ALGORITHM])
        payload = json.loads(decoded["payload"])
    except (jwt.PyJWTError, ValueError) as exc:
        raise ManifestSignatureError(f"the signature does not verify: {exc}") from exc
    if not isinstance(payload, dict):
        raise ManifestSignatureError("the manifest is not a JSON object")
    return payload
