"""The tool's RSA signing keys: generation and their public JWK form."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

KEY_SIZE = 2048


@dataclass(frozen=True)
class GeneratedKey:
    kid: str
    private_pem: str
    public_pem: str
    public_jwk: dict[str, Any]


def pem_pair(private_key: Any) -> tuple[str, str]:
    """A private key as unencrypted PKCS#8 PEM, and its public key as SubjectPublicKeyInfo PEM."""
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    public_pem = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    return private_pem, public_pem


def generate_signing_key(key_size: int = KEY_SIZE) -> GeneratedKey:
    """Make a new RSA key pair for RS256; its key id is the RFC 7638 thumbprint."""
    private_pem, public_pem = pem_pair(
        rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    )
    jwk = public_jwk(public_pem)
    return GeneratedKey(jwk["kid"], private_pem, public_pem, jwk)


def public_jwk(public_pem: str) -> dict[str, Any]:
    """Return the public JWK of a PEM key, with ``kid`` (thumbprint), ``alg`` and ``use``."""
    key = JWK.from_pem(public_pem.encode("ascii"))
    jwk: dict[str, Any] = json.loads(key.export_public())
    jwk["kid"] = key.thumbprint()
    jwk["alg"] = "RS256"
    jwk["use"] = "sig"
    return jwk


def key_set(jwks: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Wrap public JWKs as a JWKS document."""
    return {"keys": list(jwks)}
