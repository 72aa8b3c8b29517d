"""The access-token signing keys, their JWKS, access tokens, and opaque tokens.

Key rotation: auth signs with ONE key (``JWT_PRIVATE_KEY_PATH``) and publishes it together with
the public halves of the keys it signed with before (``JWT_PREVIOUS_KEY_PATHS``), so tokens minted
by an old key keep verifying everywhere until that key is dropped from the list. Other services
refetch the JWKS when a token names a ``kid`` they do not know yet.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "EdDSA"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load_private_key(path: Path, *, create: bool) -> Ed25519PrivateKey:
    """The Ed25519 key at ``path``; when missing and ``create`` (dev/test), a new one is written
    there (PKCS8 PEM, mode 600, parent folders made). Two processes racing both end up with the
    file's key."""
    if not path.exists() and create:
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process won the race; read its key below
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The Ed25519 public key in a PEM file holding either the private or the public key."""
    data = path.read_bytes()
    key: object
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except ValueError:
        key = serialization.load_pem_public_key(data)
    if isinstance(key, Ed25519PrivateKey):
        return key.public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} does not hold an Ed25519 key")
    return key


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}


def jwk_thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638: SHA-256 of the required members, sorted, without whitespace."""
    required = {name: jwk[name] for name in ("crv", "kty", "x")}
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode()).digest())


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_in: int


class TokenSigner:
    """Mints access tokens with auth's current private key and publishes the JWKS: the current
    key first, then the previous keys still honoured during a rollover."""

    def __init__(
        self,
        private_key: Ed25519PrivateKey,
        *,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        previous_keys: Sequence[Ed25519PublicKey] = (),
    ) -> None:
        self._key = private_key
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds
        current = public_jwk(private_key.public_key())
        self.kid = jwk_thumbprint(current)
        published = [current, *(public_jwk(k) for k in previous_keys)]
        keys: dict[str, dict[str, str]] = {}
        for jwk in published:
            keys.setdefault(jwk_thumbprint(jwk), jwk)  # the same key listed twice is one key
        self._jwks = {
            "keys": [
                {**jwk, "alg": ALGORITHM, "use": "sig", "kid": kid} for kid, jwk in keys.items()
            ]
        }

    @property
    def jwks(self) -> dict[str, Any]:
        return self._jwks

    def mint(
        self,
        *,
        user_id: uuid.UUID,
        email: str,
        role: str,
        now: datetime,
        session_id: uuid.UUID | None = None,
    ) -> AccessToken:
        claims: dict[str, Any] = {
            "sub": str(user_id),
            "email": email,
            "role": role,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=self.ttl_seconds)).timestamp()),
            "jti": uuid.uuid4().hex,
            "iss": self.issuer,
            "aud": self.audience,
        }
        if session_id is not None:
            claims["sid"] = str(session_id)  # the refresh-token family this token came from
        token = jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self.kid})
        return AccessToken(token=token, expires_in=self.ttl_seconds)


def new_opaque_token() -> str:
    """An opaque token (256 random bits, URL-safe); only its hash is stored."""
    return secrets.token_urlsafe(32)


def hash_opaque_token(token: str) -> str:
    """SHA-256 hex: enough for 256-bit random secrets (no salt or stretching needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


# Refresh tokens are opaque tokens too.
new_refresh_token = new_opaque_token
hash_refresh_token = hash_opaque_token
