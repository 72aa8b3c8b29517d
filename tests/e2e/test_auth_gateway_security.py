"""Auth's security cases through the real gateway: token forgeries (against auth and another
service), escalation, admin routes, enumeration, refresh reuse, document uploads, validation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from tests.e2e.api_client import Actor, Cast, bearer, sign_in, verify_email

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MB = 1024 * 1024
PROTECTED = ["/api/auth/me", "/api/bookings"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(obj: dict[str, Any]) -> str:
    return _b64(json.dumps(obj, separators=(",", ":")).encode())


def _signing_key(stack: Any) -> Any:
    pem = (stack.config.keys_dir / "jwt_ed25519.pem").read_bytes()
    return serialization.load_pem_private_key(pem, password=None)


def _claims(user: Actor, **overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims = {
        "sub": user.id,
        "email": user.email,
        "role": user.user["role"],
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "jti": uuid.uuid4().hex,
        "iss": "ticketing-auth",
        "aud": "ticketing",
    }
    return {**claims, **overrides}


async def _forgeries(stack: Any, user: Actor) -> dict[str, str]:
    """Every kind of bad token, with the real signing key where a signature is needed."""
    jwks = (await user.get("/api/auth/.well-known/jwks.json")).json()
    kid = jwks["keys"][0]["kid"]
    real = user.token
    header, payload, signature = real.split(".")
    key = _signing_key(stack)
    sign = lambda **c: jwt.encode(_claims(user, **c), key, algorithm="EdDSA", headers={"kid": kid})  # noqa: E731
    hs_header = _segment({"alg": "HS256", "typ": "JWT", "kid": kid})
    hs_payload = _segment(_claims(user, role="admin"))
    hs_secret = json.dumps(jwks["keys"][0]).encode()  # "signed" with the public key
    hs_sig = _b64(
        hmac.new(hs_secret, f"{hs_header}.{hs_payload}".encode(), hashlib.sha256).digest()
    )
    none_header = _segment({"alg": "none", "typ": "JWT", "kid": kid})
    tampered = _segment({**json.loads(base64.urlsafe_b64decode(payload + "==")), "role": "admin"})
    return {
        "alg_none": f"{none_header}.{_segment(_claims(user))}.",
        "hs256_with_public_key": f"{hs_header}.{hs_payload}.{hs_sig}",
        "tampered_claims": f"{header}.{tampered}.{signature}",
        "wrong_audience": sign(aud="someone-else"),
        "wrong_issuer": sign(iss="https://evil.example"),
        "unknown_kid": jwt.encode(_claims(user), key, algorithm="EdDSA", headers={"kid": "nope"}),
        "no_kid": jwt.encode(_claims(user), key, algorithm="EdDSA"),
        "garbage": "not.a.token",
        "empty_signature": f"{header}.{payload}.",
    }


async def test_forged_tokens_are_refused_with_401_by_auth_and_booking_when_presented(
    stack: Any, cast: Cast
) -> None:
    user = await cast.person("sec")
    for path in PROTECTED:  # the real token works on both
        assert (await user.get(path)).status_code == 200
    for name, token in (await _forgeries(stack, user)).items():
        attacker = cast.actor()  # each forgery from its own address: the gateway's per-IP
        for path in PROTECTED:  # limit (burst 20) is not what this test is about
            response = await attacker.get(path, headers=bearer(token))
            assert response.status_code == 401, (name, path, response.text)
            body = response.json()
            assert body["success"] is False and body["error"] == "unauthorized", (name, path)
            assert body["request_id"]


async def test_expired_token_is_refused_with_token_expired_when_presented(
    stack: Any, cast: Cast
) -> None:
    user = await cast.person("sec")
    kid = (await user.get("/api/auth/.well-known/jwks.json")).json()["keys"][0]["kid"]
    past = datetime.now(UTC) - timedelta(hours=1)
    token = jwt.encode(
        _claims(
            user, iat=int(past.timestamp()), exp=int((past + timedelta(minutes=5)).timestamp())
        ),
        _signing_key(stack),
        algorithm="EdDSA",
        headers={"kid": kid},
    )
    for path in PROTECTED:
        response = await user.get(path, headers=bearer(token))
        assert response.status_code == 401 and response.json()["error"] == "token_expired", path


async def test_role_cannot_be_escalated_when_patching_me_or_forging_the_claim(
    stack: Any, cast: Cast
) -> None:
    user = await cast.person("sec")
    patched = await user.patch("/api/auth/me", json={"role": "admin"})
    assert patched.status_code == 422 and patched.json()["error"] == "validation_error"
    forged = (await _forgeries(stack, user))["tampered_claims"]
    for path in ("/api/auth/admin/users", "/api/bookings/admin/all"):
        response = await user.get(path, headers=bearer(forged))
        assert response.status_code == 401, path
    me = await user.get("/api/auth/me")
    assert me.json()["role"] == "customer"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/auth/admin/users"),
        ("PATCH", f"/api/auth/admin/users/{uuid.uuid4()}"),
        ("DELETE", f"/api/auth/admin/users/{uuid.uuid4()}"),
        ("GET", "/api/auth/admin/audit-logs"),
        ("GET", "/api/auth/admin/organizer-applications"),
        ("POST", f"/api/auth/admin/organizer-applications/{uuid.uuid4()}/approve"),
        ("GET", f"/api/auth/admin/organizer-applications/{uuid.uuid4()}/document"),
        ("GET", "/api/v1/auth/admin/users"),
    ],
)
async def test_customer_gets_403_on_admin_routes_when_calling_through_the_gateway(
    cast: Cast, method: str, path: str
) -> None:
    user = await cast.person("sec")
    response = await user.call(method, path, json={})
    assert response.status_code == 403 and response.json()["error"] == "forbidden"


async def test_sign_in_failures_look_the_same_when_email_unknown_or_password_wrong(
    cast: Cast,
) -> None:
    user = await cast.person("sec")
    wrong = await sign_in(user, user.email, "wrong password!")
    unknown = await sign_in(user, f"nobody-{uuid.uuid4().hex}@example.test", "wrong password!")
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda r: r.content.replace(r.json()["request_id"].encode(), b"")  # noqa: E731
    assert strip(wrong) == strip(unknown)


async def test_reused_refresh_token_revokes_its_family_when_replayed_through_the_gateway(
    cast: Cast,
) -> None:
    user = await cast.person("sec")
    first = user.refresh_token
    refresh = cast.actor()  # anonymous: a refresh token is all it takes
    rotated = await refresh.post("/api/auth/refresh", json={"refresh_token": first})
    assert rotated.status_code == 200
    replay = await refresh.post("/api/auth/refresh", json={"refresh_token": first})
    assert replay.status_code == 401 and replay.json()["error"] == "unauthorized"
    newer = await refresh.post(
        "/api/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]}
    )
    assert newer.status_code == 401


async def test_document_upload_is_checked_by_content_and_size_when_applying(
    cast: Cast, admin: Actor, mailbox: Any
) -> None:
    user = await cast.person("applicant")
    await verify_email(user, mailbox)
    form = {"organization_name": "Gate Events", "details": "Concerts."}
    url = "/api/auth/organizer-applications"

    disguised = await user.post(
        url,
        data=form,
        files={"document": ("cv.pdf", b"<html>hi</html>", "application/pdf")},
    )
    assert disguised.status_code == 422
    assert disguised.json()["details"]["fields"][0]["field"] == "document"
    empty = await user.post(url, data=form, files={"document": ("e.pdf", b"", "application/pdf")})
    assert empty.status_code == 422
    over_app = await user.post(
        url,
        data=form,
        files={"document": ("big.pdf", PDF + b"0" * (5 * MB), "application/pdf")},
    )
    assert over_app.status_code == 413
    assert over_app.json()["details"] == {"max_bytes": 5 * MB}  # the app's answer
    over_gateway = await user.post(
        url,
        data=form,
        files={"document": ("huge.pdf", PDF + b"0" * (6 * MB + 1), "application/pdf")},
    )
    assert over_gateway.status_code == 413
    assert over_gateway.json()["error"] == "payload_too_large"
    assert over_gateway.json()["details"] == {}  # nginx refused it before auth saw it

    created = await user.post(url, data=form, files={"document": ("x.txt", PDF, "text/plain")})
    assert created.status_code == 201, created.text
    application = created.json()
    assert application["status"] == "pending"
    assert application["document"]["content_type"] == "application/pdf"

    download = await admin.get(
        f"/api/auth/admin/organizer-applications/{application['id']}/document"
    )
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "nosniff" in download.headers["x-content-type-options"]


@pytest.mark.parametrize(
    ("path", "body", "fields"),
    [
        (
            "/api/auth/register",
            {"email": "x", "password": "1", "full_name": ""},
            {"email", "password", "full_name"},
        ),
        ("/api/auth/login", {"email": ""}, {"email", "password"}),
        ("/api/auth/refresh", {}, {"refresh_token"}),
        ("/api/auth/verify-email", {"token": ""}, {"token"}),
        ("/api/auth/resend-verification", {"email": "no"}, {"email"}),
        ("/api/auth/forgot-password", {"email": 5}, {"email"}),
        ("/api/auth/reset-password", {"token": "t"}, {"new_password"}),
    ],
)
async def test_anonymous_endpoints_answer_422_per_field_when_input_invalid_through_gateway(
    cast: Cast, path: str, body: dict[str, Any], fields: set[str]
) -> None:
    response = await cast.actor().post(path, json=body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["error"] == "validation_error"
    assert {f["field"] for f in payload["details"]["fields"]} == fields


async def test_signed_in_endpoints_answer_422_per_field_when_input_invalid_through_gateway(
    cast: Cast,
) -> None:
    user = await cast.person("sec")
    cases = [
        ("PATCH", "/api/auth/me", {"full_name": ""}, {"full_name"}),
        (
            "POST",
            "/api/auth/change-password",
            {"new_password": "1"},
            {"current_password", "new_password"},
        ),
        ("POST", "/api/auth/logout", {}, {"refresh_token"}),
    ]
    for method, path, body, fields in cases:
        response = await user.call(method, path, json=body)
        assert response.status_code == 422, path
        assert {f["field"] for f in response.json()["details"]["fields"]} == fields, path
    form = await user.post("/api/auth/organizer-applications", data={"details": "x"})
    assert form.status_code == 422
    assert {f["field"] for f in form.json()["details"]["fields"]} == {"organization_name"}
