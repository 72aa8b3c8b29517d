"""The signing key, kid, access-token claims and refresh-token hashing."""

from __future__ import annotations

import stat
import uuid
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest
from argon2 import PasswordHasher

from auth_service import passwords
from auth_service.tokens import (
    TokenSigner,
    hash_refresh_token,
    jwk_thumbprint,
    load_private_key,
    new_refresh_token,
)


def test_thumbprint_matches_rfc8037_example_when_given_its_key() -> None:
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert jwk_thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_key_is_created_private_when_missing_and_reused_after(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "keys" / "jwt.pem"
    first = load_private_key(path, create=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in path.read_bytes()
    second = load_private_key(path, create=True)
    assert TokenSigner(first, issuer="i", audience="a", ttl_seconds=1).kid == (
        TokenSigner(second, issuer="i", audience="a", ttl_seconds=1).kid
    )


def test_key_is_not_created_when_creation_not_allowed(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_private_key(tmp_path / "missing.pem", create=False)
    assert not (tmp_path / "missing.pem").exists()


def _signer(tmp_path: Path) -> TokenSigner:
    key = load_private_key(tmp_path / "k.pem", create=True)
    return TokenSigner(key, issuer="ticketing-auth", audience="ticketing", ttl_seconds=900)


def test_access_token_carries_contract_claims_when_minted(tmp_path: Path) -> None:
    signer = _signer(tmp_path)
    user_id = uuid.uuid4()
    now = datetime.now(UTC)
    minted = signer.mint(user_id=user_id, email="a@b.test", role="organizer", now=now)
    header = jwt.get_unverified_header(minted.token)
    assert header["alg"] == "EdDSA" and header["kid"] == signer.kid
    jwk = jwt.PyJWK.from_dict(signer.jwks["keys"][0], algorithm="EdDSA")
    claims = jwt.decode(minted.token, jwk.key, algorithms=["EdDSA"], audience="ticketing")
    assert claims["sub"] == str(user_id)
    assert claims["email"] == "a@b.test" and claims["role"] == "organizer"
    assert claims["iss"] == "ticketing-auth" and claims["aud"] == "ticketing"
    assert claims["exp"] - claims["iat"] == 900 == minted.expires_in
    assert len(claims["jti"]) == 32


def test_jti_differs_when_two_tokens_are_minted_at_once(tmp_path: Path) -> None:
    signer = _signer(tmp_path)
    now = datetime.now(UTC)
    tokens = {
        signer.mint(user_id=uuid.uuid4(), email="a@b.c", role="customer", now=now).token
        for _ in range(2)
    }
    assert len(tokens) == 2


def test_jwks_publishes_only_the_public_key_when_served(tmp_path: Path) -> None:
    signer = _signer(tmp_path)
    (jwk,) = signer.jwks["keys"]
    assert jwk == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": jwk["x"],
        "alg": "EdDSA",
        "use": "sig",
        "kid": jwk_thumbprint(jwk),
    }
    assert "d" not in jwk


def test_refresh_tokens_are_random_and_hashed_with_sha256_when_issued() -> None:
    token = new_refresh_token()
    assert token != new_refresh_token() and len(token) >= 43
    digest = hash_refresh_token(token)
    assert len(digest) == 64 and digest == hash_refresh_token(token) and token not in digest


def test_password_hasher_meets_owasp_minimum_when_configured() -> None:
    hasher: PasswordHasher = passwords._hasher
    assert hasher.type.name == "ID"
    assert hasher.memory_cost >= 19456 and hasher.time_cost >= 2 and hasher.parallelism >= 1


async def test_password_verifies_only_when_it_matches() -> None:
    hashed = await passwords.hash_password("s3cret-pass")
    assert hashed.startswith("$argon2id$")
    assert await passwords.verify_password(hashed, "s3cret-pass") is True
    assert await passwords.verify_password(hashed, "wrong-pass") is False
    assert await passwords.verify_password("not a hash", "s3cret-pass") is False
