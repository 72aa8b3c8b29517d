"""The public key set other services verify tokens with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import pytest

from shared.errors import Unauthorized
from shared.security import TokenVerifier

pytestmark = pytest.mark.integration

Register = Callable[..., Awaitable[dict[str, Any]]]


async def test_jwks_is_served_at_root_and_under_prefix_when_requested(
    client: httpx2.AsyncClient,
) -> None:
    root = await client.get("/.well-known/jwks.json")
    prefixed = await client.get("/api/auth/.well-known/jwks.json")
    assert root.status_code == prefixed.status_code == 200
    assert root.json() == prefixed.json()
    assert root.headers["cache-control"] == "public, max-age=300"
    (key,) = root.json()["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "EdDSA"
    assert key["use"] == "sig" and key["kid"] and "d" not in key


async def test_jwks_verifies_a_minted_token_when_used_by_another_service(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register()
    jwks = (await client.get("/.well-known/jwks.json")).json()
    verifier = TokenVerifier(issuer="ticketing-auth", audience="ticketing", jwks=jwks)
    principal = await verifier.verify(account["access_token"])
    assert str(principal.id) == account["id"]
    assert principal.email == account["email"] and principal.role == "customer"


async def test_jwks_rejects_a_token_when_audience_differs(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register()
    jwks = (await client.get("/.well-known/jwks.json")).json()
    verifier = TokenVerifier(issuer="ticketing-auth", audience="someone-else", jwks=jwks)
    with pytest.raises(Unauthorized):
        await verifier.verify(account["access_token"])


async def test_auth_refuses_a_token_when_signed_by_another_key(
    client: httpx2.AsyncClient, signer: Any
) -> None:
    response = await client.get("/api/auth/me", headers=signer.headers(role="admin"))
    assert response.status_code == 401
