"""The access-token signing keys, their JWKS, access tokens, and opaque tokens.

Key rotation: auth signs with ONE key (``JWT_PRIVATE_KEY_PATH``) and publishes it together with
the public halves of the keys it signed with before (``JWT_PREVIOUS_KEY_PATHS``), so tokens minted
by an old key keep verifying everywhere until that key is dropped from the list. Other services
refetch the JWKS when a token names a ``kid`` they do not know yet.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.keys import public_jwk
from shared.keys import thumbprint as jwk_thumbprint

ALGORITHM = "EdDSA"


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
        by_kid: dict[str, dict[str, str]] = {}
        for jwk in published:
            by_kid.setdefault(jwk_thumbprint(jwk), jwk)  # the same key listed twice is one key
        self._jwks = {
            "keys": [
                {**jwk, "alg": ALGORITHM, "use": "sig", "kid": kid} for kid, jwk in by_kid.items()
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
        email_verified: bool = False,
        name: str | None = None,
    ) -> AccessToken:
        claims: dict[str, Any] = {
            "sub": str(user_id),
            "email": email,
            "role": role,
            # as of issue: a user who verifies gets it with the next token (refresh)
            "email_verified": email_verified,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=self.ttl_seconds)).timestamp()),
            "jti": uuid.uuid4().hex,
            "iss": self.issuer,
            "aud": self.audience,
        }
        if session_id is not None:
            claims["sid"] = str(session_id)  # the refresh-token family this token came from
        if name is not None:
            # the full name as of issue (a change shows with the next token); verifiers take a
            # token without it, minted before the claim existed, as a name of ""
            claims["name"] = name
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
