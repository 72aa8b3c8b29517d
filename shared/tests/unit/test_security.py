"""Token forgeries are refused (RFC 8725): the verifier pins EdDSA and checks every claim."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from shared.errors import TokenExpired, Unauthorized
from shared.security import TokenVerifier
from shared.testing.tokens import TestSigner


@pytest.fixture
def signer() -> TestSigner:
    return TestSigner()


@pytest.fixture
def verifier(signer: TestSigner) -> TokenVerifier:
    return TokenVerifier(issuer="ticketing-auth", audience="ticketing", jwks=signer.jwks)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def test_valid_token_gives_the_principal(signer: TestSigner, verifier: TokenVerifier) -> None:
    uid = uuid.uuid4()
    principal = await verifier.verify(signer.token(user_id=uid, role="admin", email="a@b.test"))
    assert (principal.id, principal.role, principal.email) == (uid, "admin", "a@b.test")


async def test_alg_none_is_refused(signer: TestSigner, verifier: TokenVerifier) -> None:
    header = _b64(json.dumps({"alg": "none", "kid": signer.kid}).encode())
    payload = signer.token().split(".")[1]
    with pytest.raises(Unauthorized):
        await verifier.verify(f"{header}.{payload}.")


async def test_hs256_signed_with_the_public_key_is_refused(
    signer: TestSigner, verifier: TokenVerifier
) -> None:
    public = signer.key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    claims = jwt.decode(signer.token(), options={"verify_signature": False})
    header = _b64(json.dumps({"alg": "HS256", "kid": signer.kid, "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    import hashlib
    import hmac

    sig = _b64(hmac.new(public, f"{header}.{body}".encode(), hashlib.sha256).digest())
    with pytest.raises(Unauthorized):
        await verifier.verify(f"{header}.{body}.{sig}")


async def test_tampered_claims_are_refused(signer: TestSigner, verifier: TokenVerifier) -> None:
    header, _, signature = signer.token(role="customer").split(".")
    claims = jwt.decode(signer.token(role="customer"), options={"verify_signature": False})
    claims["role"] = "admin"
    with pytest.raises(Unauthorized):
        await verifier.verify(f"{header}.{_b64(json.dumps(claims).encode())}.{signature}")


@pytest.mark.parametrize("claim", [{"aud": "someone-else"}, {"iss": "evil"}])
async def test_wrong_audience_or_issuer_is_refused(
    signer: TestSigner, verifier: TokenVerifier, claim: dict[str, str]
) -> None:
    with pytest.raises(Unauthorized):
        await verifier.verify(signer.token(**claim))


async def test_expired_token_says_token_expired(
    signer: TestSigner, verifier: TokenVerifier
) -> None:
    with pytest.raises(TokenExpired) as caught:
        await verifier.verify(signer.token(ttl=timedelta(minutes=-5)))
    assert caught.value.code == "token_expired"


async def test_unknown_kid_is_refused(verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthorized, match="unknown key"):
        await verifier.verify(TestSigner().token())


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x.y.z", "e30.e30.e30"])
async def test_garbage_is_refused(verifier: TokenVerifier, garbage: str) -> None:
    with pytest.raises(Unauthorized):
        await verifier.verify(garbage)


async def test_unknown_role_is_refused(signer: TestSigner, verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthorized):
        await verifier.verify(signer.token(role="superuser"))


async def test_missing_required_claim_is_refused(
    signer: TestSigner, verifier: TokenVerifier
) -> None:
    claims = {
        "sub": str(uuid.uuid4()),
        "email": "x@y.test",
        "role": "customer",
        "iss": "ticketing-auth",
        "aud": "ticketing",
        "iat": 1,
        "exp": 4_000_000_000,
    }  # no jti
    token = jwt.encode(claims, signer.key, algorithm="EdDSA", headers={"kid": signer.kid})
    with pytest.raises(Unauthorized):
        await verifier.verify(token)


async def test_a_verified_token_is_not_verified_again_when_seen_twice(
    signer: TestSigner, verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = signer.token()
    first = await verifier.verify(token)

    def no_second_decode(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("decoded twice")

    monkeypatch.setattr(jwt, "decode", no_second_decode)
    assert await verifier.verify(token) is first


async def test_cached_token_is_refused_once_its_key_is_no_longer_published(
    signer: TestSigner, verifier: TokenVerifier
) -> None:
    token = signer.token()
    await verifier.verify(token)
    verifier.set_jwks(TestSigner().jwks)  # a rotation that dropped the old key
    with pytest.raises(Unauthorized, match="unknown key"):
        await verifier.verify(token)


async def test_cached_token_is_refused_after_it_expires(
    signer: TestSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier = TokenVerifier(
        issuer="ticketing-auth", audience="ticketing", jwks=signer.jwks, leeway=0
    )
    token = signer.token(ttl=timedelta(seconds=60))
    await verifier.verify(token)
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)

    def decode_at_that_time(*_args: object, **_kwargs: object) -> None:
        raise jwt.ExpiredSignatureError("expired")  # what PyJWT says two minutes on

    monkeypatch.setattr(jwt, "decode", decode_at_that_time)
    with pytest.raises(TokenExpired):  # the cache did not answer for an expired token
        await verifier.verify(token)


async def test_cached_token_is_refused_once_a_jwks_refresh_drops_its_key(
    signer: TestSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier = TokenVerifier(
        issuer="ticketing-auth",
        audience="ticketing",
        jwks_url="http://auth.invalid/jwks",
        jwks=signer.jwks,
        cache_seconds=60,
    )
    token = signer.token()
    await verifier.verify(token)
    rotated = TestSigner().jwks

    class Answer:
        def raise_for_status(self) -> None:
            return None

        def json(self) -> dict[str, object]:
            return rotated

    class Http:
        async def get(self, _url: str, timeout: float) -> Answer:
            return Answer()

    verifier._http = Http()  # type: ignore[assignment]  # auth's answer after the rotation
    verifier._fetched_at -= 120  # the cached key set is older than cache_seconds
    with pytest.raises(Unauthorized, match="unknown key"):
        await verifier.verify(token)


async def test_principal_carries_the_name_claim_and_an_empty_name_when_the_token_has_none(
    signer: TestSigner, verifier: TokenVerifier
) -> None:
    named = await verifier.verify(signer.token(name="=Ada Lovelace"))
    unnamed = await verifier.verify(signer.token())  # minted before auth issued the claim

    assert named.name == "=Ada Lovelace" and unnamed.name == ""


@pytest.mark.parametrize("name", [None, 7, ["Ada"]])
async def test_token_is_refused_when_its_name_claim_is_not_text(
    signer: TestSigner, verifier: TokenVerifier, name: object
) -> None:
    with pytest.raises(Unauthorized):
        await verifier.verify(signer.token(name=name))
