"""Register, sign in, and the caller's own account."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import pytest

pytestmark = pytest.mark.integration

Register = Callable[..., Awaitable[dict[str, Any]]]


async def test_register_answers_201_with_the_user_when_email_is_new(
    client: httpx2.AsyncClient,
) -> None:
    email = f"New.Person-{uuid.uuid4().hex[:8]}@Example.TEST"
    response = await client.post(
        "/api/auth/register",
        json={"email": email, "password": "long-enough", "full_name": "  New Person "},
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "full_name", "role", "email_verified", "created_at"}
    assert body["email"] == email.lower()
    assert body["full_name"] == "New Person"
    assert body["role"] == "customer" and body["email_verified"] is False
    uuid.UUID(body["id"])
    assert "password" not in response.text and "argon2" not in response.text


async def test_register_answers_409_when_email_taken_in_any_case(
    client: httpx2.AsyncClient, register: Register
) -> None:
    existing = await register(login=False)
    response = await client.post(
        "/api/auth/register",
        json={"email": existing["email"].upper(), "password": "another-one", "full_name": "Dup"},
    )
    assert response.status_code == 409
    body = response.json()
    assert body["success"] is False and body["error"] == "already_exists"


async def test_register_answers_422_naming_each_bad_field_when_input_invalid(
    client: httpx2.AsyncClient,
) -> None:
    response = await client.post(
        "/api/auth/register", json={"email": "not-an-email", "password": "short", "full_name": " "}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert {f["field"] for f in body["details"]["fields"]} == {"email", "password", "full_name"}


async def test_register_refuses_a_role_when_client_tries_to_choose_it(
    client: httpx2.AsyncClient,
) -> None:
    response = await client.post(
        "/api/auth/register",
        json={
            "email": f"x-{uuid.uuid4().hex[:8]}@example.test",
            "password": "long-enough",
            "full_name": "Sneaky",
            "role": "admin",
        },
    )
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["details"]["fields"]] == ["role"]


async def test_login_answers_a_token_pair_when_credentials_are_right(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register(login=False)
    response = await client.post(
        "/api/auth/login", json={"email": account["email"].upper(), "password": account["password"]}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    assert body["access_token"].count(".") == 2 and body["refresh_token"]


async def test_login_answers_the_same_401_when_email_unknown_or_password_wrong(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register(login=False)
    wrong = await client.post(
        "/api/auth/login", json={"email": account["email"], "password": "not-the-password"}
    )
    unknown = await client.post(
        "/api/auth/login", json={"email": "nobody@example.test", "password": "not-the-password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda r: {k: v for k, v in r.json().items() if k != "request_id"}  # noqa: E731
    assert strip(wrong) == strip(unknown)
    assert strip(wrong)["error"] == "unauthorized"


async def test_login_answers_422_when_fields_missing(client: httpx2.AsyncClient) -> None:
    response = await client.post("/api/auth/login", json={})
    assert response.status_code == 422
    assert {f["field"] for f in response.json()["details"]["fields"]} == {"email", "password"}


async def test_me_returns_the_caller_when_token_valid(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register(full_name="Me Myself")
    response = await client.get("/api/auth/me", headers=account["headers"])
    assert response.status_code == 200
    assert response.json() == {
        k: account[k] for k in ("id", "email", "full_name", "role", "email_verified", "created_at")
    }


async def test_me_answers_401_when_token_missing_or_forged(client: httpx2.AsyncClient) -> None:
    assert (await client.get("/api/auth/me")).status_code == 401
    forged = await client.get("/api/auth/me", headers={"Authorization": "Bearer a.b.c"})
    assert forged.status_code == 401 and forged.json()["error"] == "unauthorized"


async def test_patch_me_changes_full_name_when_valid(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register()
    response = await client.patch(
        "/api/auth/me", json={"full_name": "Renamed"}, headers=account["headers"]
    )
    assert response.status_code == 200 and response.json()["full_name"] == "Renamed"
    again = await client.get("/api/auth/me", headers=account["headers"])
    assert again.json()["full_name"] == "Renamed"


async def test_patch_me_answers_422_when_role_is_sent(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register()
    response = await client.patch(
        "/api/auth/me", json={"full_name": "X", "role": "admin"}, headers=account["headers"]
    )
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["details"]["fields"]] == ["role"]
    me = await client.get("/api/auth/me", headers=account["headers"])
    assert me.json()["role"] == "customer" and me.json()["full_name"] == account["full_name"]
