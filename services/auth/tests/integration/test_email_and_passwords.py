"""Email verification, resend, forgot / reset password and change password."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import pytest

from auth_service.main import create_app
from auth_service.settings import Settings
from shared.testing.app import running_app
from shared.testing.fixtures import Outbox

pytestmark = pytest.mark.integration

Register = Callable[..., Awaitable[dict[str, Any]]]
MailedToken = Callable[[str, str], Awaitable[str]]


async def _me(client: httpx2.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/api/auth/me", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _login(client: httpx2.AsyncClient, email: str, password: str) -> httpx2.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


async def _refresh(client: httpx2.AsyncClient, token: str) -> httpx2.Response:
    return await client.post("/api/auth/refresh", json={"refresh_token": token})


# --- verification ---------------------------------------------------------------------


async def test_verify_email_marks_the_account_verified_once_when_token_valid(
    probe: Any, client: httpx2.AsyncClient, register: Register, mailed_token: MailedToken
) -> None:
    account = await register()
    token = await mailed_token("user.registered", account["id"])
    first = await client.post("/api/auth/verify-email", json={"token": token})
    assert first.status_code == 204 and first.content == b""
    assert (await _me(client, account["headers"]))["email_verified"] is True
    again = await client.post("/api/auth/verify-email", json={"token": token})
    assert again.status_code == 400 and again.json()["error"] == "invalid_token"
    (row,) = await probe.audit(action="user.email_verified", actor_id=uuid.UUID(account["id"]))
    assert row["target"] == f"user:{account['id']}"


async def test_verify_email_answers_400_when_token_unknown(client: httpx2.AsyncClient) -> None:
    response = await client.post("/api/auth/verify-email", json={"token": "x" * 43})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_token"


async def test_verify_email_answers_400_when_token_expired(
    probe: Any, client: httpx2.AsyncClient, register: Register, mailed_token: MailedToken
) -> None:
    account = await register(login=False)
    token = await mailed_token("user.registered", account["id"])
    await probe.execute(
        "UPDATE account_token SET expires_at = now() - interval '1 second' WHERE user_id = :id",
        id=account["id"],
    )
    response = await client.post("/api/auth/verify-email", json={"token": token})
    assert response.status_code == 400 and response.json()["error"] == "invalid_token"


@pytest.mark.parametrize(
    ("path", "body", "fields"),
    [
        ("/api/auth/verify-email", {}, {"token"}),
        ("/api/auth/verify-email", {"token": ""}, {"token"}),
        ("/api/auth/verify-email", {"token": "t" * 513}, {"token"}),
        ("/api/auth/resend-verification", {"email": "nope"}, {"email"}),
        ("/api/auth/forgot-password", {}, {"email"}),
        (
            "/api/auth/reset-password",
            {"token": "", "new_password": "short"},
            {"token", "new_password"},
        ),
        ("/api/auth/reset-password", {"token": "t", "new_password": "x" * 129}, {"new_password"}),
        ("/api/auth/verify-email", {"token": "t", "extra": 1}, {"extra"}),
    ],
)
async def test_anonymous_account_endpoints_answer_422_per_field_when_input_invalid(
    client: httpx2.AsyncClient, path: str, body: dict[str, Any], fields: set[str]
) -> None:
    response = await client.post(path, json=body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["error"] == "validation_error"
    assert {f["field"] for f in payload["details"]["fields"]} == fields


async def test_resend_answers_202_and_publishes_a_new_token_when_account_unverified(
    client: httpx2.AsyncClient, register: Register, outbox: Outbox, mailed_token: MailedToken
) -> None:
    account = await register(login=False)
    first = await mailed_token("user.registered", account["id"])
    response = await client.post(
        "/api/auth/resend-verification", json={"email": account["email"].upper()}
    )
    assert response.status_code == 202 and response.content == b""
    (sent,) = await outbox("user.verification_requested", user_id=account["id"])
    message = sent["data"]
    assert message["email"] == account["email"] and message["expires_at"]
    second = message["verification_token"]
    assert second != first
    # the newer token supersedes the older one
    old = await client.post("/api/auth/verify-email", json={"token": first})
    assert old.status_code == 400
    assert (await client.post("/api/auth/verify-email", json={"token": second})).status_code == 204


async def test_resend_answers_202_without_a_message_when_email_unknown_or_verified(
    client: httpx2.AsyncClient, register: Register, outbox: Outbox
) -> None:
    verified = await register(login=False, verified=True)
    unknown = await client.post(
        "/api/auth/resend-verification", json={"email": f"ghost-{uuid.uuid4().hex}@example.test"}
    )
    known = await client.post("/api/auth/resend-verification", json={"email": verified["email"]})
    assert unknown.status_code == known.status_code == 202
    assert unknown.content == known.content == b""
    assert await outbox("user.verification_requested", user_id=verified["id"]) == []


async def test_one_email_of_each_kind_per_cool_down_when_requests_repeat(
    settings: Settings, register: Register, outbox: Outbox, probe: Any
) -> None:
    account = await register(login=False)
    cooling = settings.model_copy(
        update={
            "ACCOUNT_EMAIL_INTERVAL_SECONDS": 600,
            "REDIS_PREFIX": f"{settings.REDIS_PREFIX}cool-{uuid.uuid4().hex[:6]}:",
        }
    )
    async with running_app(create_app, cooling) as (_app, client):
        for path in ["/api/auth/resend-verification"] * 2 + ["/api/auth/forgot-password"] * 2:
            response = await client.post(path, json={"email": account["email"]})
            assert response.status_code == 202 and response.content == b""
    # one verification and one reset email: the kinds cool down apart
    assert len(await outbox("user.verification_requested", user_id=account["id"])) == 1
    assert len(await outbox("user.password_reset_requested", user_id=account["id"])) == 1
    requested = await probe.audit(
        action="user.password_reset_requested", actor_id=uuid.UUID(account["id"])
    )
    assert len(requested) == 1  # a request the cool-down swallowed is not audited either


# --- forgot / reset -------------------------------------------------------------------


async def test_forgot_password_answers_202_alike_when_account_exists_or_not(
    probe: Any, client: httpx2.AsyncClient, register: Register, outbox: Outbox
) -> None:
    account = await register(login=False)
    known = await client.post("/api/auth/forgot-password", json={"email": account["email"]})
    unknown = await client.post(
        "/api/auth/forgot-password", json={"email": f"ghost-{uuid.uuid4().hex}@example.test"}
    )
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content == b""
    (sent,) = await outbox("user.password_reset_requested", user_id=account["id"])
    message = sent["data"]
    assert message["email"] == account["email"] and len(message["reset_token"]) >= 43
    # the token itself is never stored, only its hash
    assert not await probe.rows(
        "SELECT 1 FROM account_token WHERE token_hash = :t", t=message["reset_token"]
    )


async def test_reset_password_sets_the_password_and_ends_every_session_when_token_valid(
    probe: Any, client: httpx2.AsyncClient, register: Register, mailed_token: MailedToken
) -> None:
    account = await register()
    second = (await _login(client, account["email"], account["password"])).json()
    await client.post("/api/auth/forgot-password", json={"email": account["email"]})
    token = await mailed_token("user.password_reset_requested", account["id"])

    response = await client.post(
        "/api/auth/reset-password", json={"token": token, "new_password": "brand-new-secret"}
    )
    assert response.status_code == 204
    assert (await _refresh(client, account["refresh_token"])).status_code == 401
    assert (await _refresh(client, second["refresh_token"])).status_code == 401
    assert (await _login(client, account["email"], account["password"])).status_code == 401
    assert (await _login(client, account["email"], "brand-new-secret")).status_code == 200
    reused = await client.post(
        "/api/auth/reset-password", json={"token": token, "new_password": "another-secret"}
    )
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_token"
    assert await probe.audit(action="user.password_reset", actor_id=uuid.UUID(account["id"]))


async def test_reset_password_answers_400_when_token_expired_or_superseded(
    probe: Any, client: httpx2.AsyncClient, register: Register, mailed_token: MailedToken
) -> None:
    account = await register(login=False)
    await client.post("/api/auth/forgot-password", json={"email": account["email"]})
    first = await mailed_token("user.password_reset_requested", account["id"])
    await client.post("/api/auth/forgot-password", json={"email": account["email"]})
    second = await mailed_token("user.password_reset_requested", account["id"])
    superseded = await client.post(
        "/api/auth/reset-password", json={"token": first, "new_password": "brand-new-secret"}
    )
    assert superseded.status_code == 400
    await probe.execute(
        "UPDATE account_token SET expires_at = now() WHERE user_id = :id", id=account["id"]
    )
    expired = await client.post(
        "/api/auth/reset-password", json={"token": second, "new_password": "brand-new-secret"}
    )
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_token"
    assert (await _login(client, account["email"], account["password"])).status_code == 200


async def test_verification_token_cannot_reset_a_password_when_presented_as_reset(
    client: httpx2.AsyncClient, register: Register, mailed_token: MailedToken
) -> None:
    account = await register(login=False)
    token = await mailed_token("user.registered", account["id"])
    response = await client.post(
        "/api/auth/reset-password", json={"token": token, "new_password": "brand-new-secret"}
    )
    assert response.status_code == 400


# --- change password ------------------------------------------------------------------


async def test_change_password_keeps_this_session_and_ends_the_others_when_current_is_right(
    probe: Any, client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register()
    other = (await _login(client, account["email"], account["password"])).json()
    response = await client.post(
        "/api/auth/change-password",
        json={"current_password": account["password"], "new_password": "a-new-password"},
        headers=account["headers"],
    )
    assert response.status_code == 204
    assert (await _refresh(client, other["refresh_token"])).status_code == 401
    assert (await _refresh(client, account["refresh_token"])).status_code == 200
    assert (await _login(client, account["email"], "a-new-password")).status_code == 200
    assert (await _login(client, account["email"], account["password"])).status_code == 401
    (row,) = await probe.audit(action="user.password_changed", actor_id=uuid.UUID(account["id"]))
    assert row["details"] == {"sessions_revoked": 1}


async def test_change_password_answers_400_when_current_password_wrong(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register()
    response = await client.post(
        "/api/auth/change-password",
        json={"current_password": "not-my-password", "new_password": "a-new-password"},
        headers=account["headers"],
    )
    assert response.status_code == 400 and response.json()["error"] == "wrong_password"
    assert (await _refresh(client, account["refresh_token"])).status_code == 200


async def test_change_password_answers_422_per_field_when_input_invalid(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register()
    response = await client.post(
        "/api/auth/change-password",
        json={"current_password": "", "new_password": "short"},
        headers=account["headers"],
    )
    assert response.status_code == 422
    fields = {f["field"] for f in response.json()["details"]["fields"]}
    assert fields == {"current_password", "new_password"}


async def test_change_password_answers_401_when_anonymous(client: httpx2.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/change-password",
        json={"current_password": "whatever-1", "new_password": "whatever-2"},
        headers={"Authorization": "Bearer garbage"},
    )
    assert response.status_code == 401
