"""A throw-away Ed25519 signer for tests of services other than auth."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm


class TestSigner:
    """Mints access tokens the way auth does, with a key only the tests know."""

    __test__ = False  # not a test class

    def __init__(self, *, issuer: str = "ticketing-auth", audience: str = "ticketing") -> None:
        self.key = Ed25519PrivateKey.generate()
        self.kid = uuid.uuid4().hex[:16]
        self.issuer = issuer
        self.audience = audience

    @property
    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(OKPAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "alg": "EdDSA", "use": "sig"})
        return {"keys": [jwk]}

    @property
    def jwks_json(self) -> str:
        return json.dumps(self.jwks)

    def token(
        self,
        *,
        user_id: uuid.UUID | None = None,
        role: str = "customer",
        email: str | None = None,
        ttl: timedelta = timedelta(minutes=10),
        **overrides: Any,
    ) -> str:
        now = datetime.now(UTC)
        uid = user_id or uuid.uuid4()
        claims: dict[str, Any] = {
            "sub": str(uid),
            "email": email or f"{uid.hex[:8]}@example.test",
            "role": role,
            "iat": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
            "iss": self.issuer,
            "aud": self.audience,
        }
        claims.update(overrides)
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": self.kid})

    def headers(self, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(**kwargs)}"}
