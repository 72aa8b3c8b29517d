"""The signing key, kid, access-token claims and refresh-token hashing."""

from __future__ import annotations

import stat
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from argon2 import PasswordHasher
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from auth_service import passwords
from auth_service.tokens import TokenSigner, hash_refresh_token, new_refresh_token
from shared.keys import load_private_key, load_public_key
from shared.keys import thumbprint as jwk_thumbprint


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
    # the chosen cost, deliberately (see passwords.py): OWASP's first configuration
    assert (hasher.memory_cost, hasher.time_cost, hasher.parallelism) == (19456, 2, 1)


async def test_old_stronger_hash_needs_rehash_when_parameters_changed() -> None:
    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash("pw-pw-pw-pw")
    assert passwords.needs_rehash(old) is True
    assert passwords.needs_rehash(await passwords.hash_password("pw-pw-pw-pw")) is False
    assert await passwords.verify_password(old, "pw-pw-pw-pw") is True


async def test_password_verifies_only_when_it_matches() -> None:
    hashed = await passwords.hash_password("s3cret-pass")
    assert hashed.startswith("$argon2id$")
    assert await passwords.verify_password(hashed, "s3cret-pass") is True
    assert await passwords.verify_password(hashed, "wrong-pass") is False
    assert await passwords.verify_password("not a hash", "s3cret-pass") is False


def test_jwks_publishes_current_then_previous_keys_when_rolling_over(tmp_path: Path) -> None:
    old = load_private_key(tmp_path / "old.pem", create=True)
    new = load_private_key(tmp_path / "new.pem", create=True)
    before = TokenSigner(old, issuer="i", audience="a", ttl_seconds=60)
    during = TokenSigner(
        new,
        issuer="i",
        audience="a",
        ttl_seconds=60,
        previous_keys=[load_public_key(tmp_path / "old.pem")],
    )
    kids = [k["kid"] for k in during.jwks["keys"]]
    assert kids == [during.kid, before.kid] and during.kid != before.kid
    assert all("d" not in k for k in during.jwks["keys"])
    # the new key signs; the old one only verifies
    token = during.mint(user_id=uuid.uuid4(), email="a@b.c", role="customer", now=datetime.now(UTC))
    assert jwt.get_unverified_header(token.token)["kid"] == during.kid


def test_same_key_listed_as_previous_is_published_once_when_misconfigured(tmp_path: Path) -> None:
    key = load_private_key(tmp_path / "k.pem", create=True)
    signer = TokenSigner(
        key, issuer="i", audience="a", ttl_seconds=60, previous_keys=[key.public_key()]
    )
    assert len(signer.jwks["keys"]) == 1


def test_public_key_loads_from_a_private_or_public_pem_when_given(tmp_path: Path) -> None:
    key = load_private_key(tmp_path / "k.pem", create=True)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "k.pub").write_bytes(public_pem)
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    expected = key.public_key().public_bytes(*raw)
    assert load_public_key(tmp_path / "k.pem").public_bytes(*raw) == expected
    assert load_public_key(tmp_path / "k.pub").public_bytes(*raw) == expected


def test_public_key_is_refused_when_file_holds_another_key_type(tmp_path: Path) -> None:
    rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "rsa.pem").write_bytes(rsa_pem)
    with pytest.raises(ValueError, match="Ed25519"):
        load_public_key(tmp_path / "rsa.pem")


def test_access_token_names_its_session_when_minted_for_one(tmp_path: Path) -> None:
    signer = _signer(tmp_path)
    sid = uuid.uuid4()
    minted = signer.mint(
        user_id=uuid.uuid4(), email="a@b.c", role="customer", now=datetime.now(UTC), session_id=sid
    )
    assert jwt.decode(minted.token, options={"verify_signature": False})["sid"] == str(sid)


def test_access_token_says_whether_the_email_is_verified_when_minted(tmp_path: Path) -> None:
    signer = _signer(tmp_path)
    now = datetime.now(UTC)

    def claims(**kwargs: Any) -> dict[str, Any]:
        token = signer.mint(user_id=uuid.uuid4(), email="a@b.c", role="customer", now=now, **kwargs)
        decoded: dict[str, Any] = jwt.decode(token.token, options={"verify_signature": False})
        return decoded

    assert claims(email_verified=True)["email_verified"] is True
    assert claims(email_verified=False)["email_verified"] is False
    assert claims()["email_verified"] is False


def test_access_token_names_the_user_only_when_minted_with_a_name(tmp_path: Path) -> None:
    signer = _signer(tmp_path)
    now = datetime.now(UTC)

    def claims(**kwargs: Any) -> dict[str, Any]:
        token = signer.mint(user_id=uuid.uuid4(), email="a@b.c", role="customer", now=now, **kwargs)
        decoded: dict[str, Any] = jwt.decode(token.token, options={"verify_signature": False})
        return decoded

    named = claims(name="=Ada Lovelace", session_id=uuid.uuid4())
    assert named["name"] == "=Ada Lovelace"  # as given: readers of the claim escape for their use
    assert set(named) == {
        "sub", "email", "role", "email_verified", "name", "sid",
        "iat", "exp", "jti", "iss", "aud",
    }  # fmt: skip
    assert "name" not in claims()
