"""Admin user management."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import pytest

from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration

Register = Callable[..., Awaitable[dict[str, Any]]]


async def test_admin_lists_users_filtered_by_query_when_q_given(
    client: httpx2.AsyncClient, register: Register, admin_headers: dict[str, str]
) -> None:
    marker = uuid.uuid4().hex[:8]
    wanted = await register(full_name=f"Findable {marker}", login=False)
    await register(full_name="Someone Else", login=False)
    response = await client.get(f"/api/auth/admin/users?q={marker}", headers=admin_headers)
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1 and body["page"] == 1 and body["page_size"] == 20
    assert [u["id"] for u in body["items"]] == [wanted["id"]]
    assert body["items"][0]["disabled_at"] is None


async def test_admin_list_treats_like_wildcards_literally_when_in_q(
    client: httpx2.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.get("/api/auth/admin/users?q=%25", headers=admin_headers)
    assert response.status_code == 200 and response.json()["total"] == 0


async def test_admin_list_filters_by_role_and_pages_when_asked(
    client: httpx2.AsyncClient, register: Register, admin_headers: dict[str, str]
) -> None:
    await register(login=False)
    await register(login=False)
    admins = await client.get("/api/auth/admin/users?role=admin", headers=admin_headers)
    assert {u["role"] for u in admins.json()["items"]} == {"admin"}
    page = await client.get(
        "/api/auth/admin/users?role=customer&page_size=1", headers=admin_headers
    )
    body = page.json()
    assert len(body["items"]) == 1 and body["total"] >= 2 and body["page_size"] == 1


async def test_admin_list_answers_422_when_role_unknown(
    client: httpx2.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.get("/api/auth/admin/users?role=king&page=0", headers=admin_headers)
    assert response.status_code == 422
    assert {f["field"] for f in response.json()["details"]["fields"]} == {"role", "page"}


async def test_admin_routes_answer_403_when_caller_is_a_customer(
    client: httpx2.AsyncClient, register: Register
) -> None:
    customer = await register()
    listing = await client.get("/api/auth/admin/users", headers=customer["headers"])
    patch = await client.patch(
        f"/api/auth/admin/users/{customer['id']}",
        json={"role": "admin"},
        headers=customer["headers"],
    )
    assert listing.status_code == patch.status_code == 403
    assert patch.json()["error"] == "forbidden"
    me = await client.get("/api/auth/me", headers=customer["headers"])
    assert me.json()["role"] == "customer"


async def test_admin_routes_answer_401_when_anonymous(client: httpx2.AsyncClient) -> None:
    assert (await client.get("/api/auth/admin/users")).status_code == 401


async def test_admin_changes_role_when_patching_a_user(
    client: httpx2.AsyncClient, register: Register, admin_headers: dict[str, str]
) -> None:
    user = await register()
    response = await client.patch(
        f"/api/auth/admin/users/{user['id']}", json={"role": "organizer"}, headers=admin_headers
    )
    assert response.status_code == 200
    assert response.json()["role"] == "organizer" and response.json()["id"] == user["id"]
    refreshed = await client.post(
        "/api/auth/refresh", json={"refresh_token": user["refresh_token"]}
    )
    token = refreshed.json()["access_token"]
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["role"] == "organizer"


async def test_disabling_a_user_ends_their_sessions_and_sign_in_when_admin_patches(
    client: httpx2.AsyncClient, register: Register, admin_headers: dict[str, str]
) -> None:
    user = await register()
    response = await client.patch(
        f"/api/auth/admin/users/{user['id']}", json={"disabled": True}, headers=admin_headers
    )
    assert response.status_code == 200 and response.json()["disabled_at"] is not None
    assert (
        await client.post("/api/auth/refresh", json={"refresh_token": user["refresh_token"]})
    ).status_code == 401
    login = await client.post(
        "/api/auth/login", json={"email": user["email"], "password": user["password"]}
    )
    assert login.status_code == 403 and login.json()["error"] == "account_disabled"
    # the access token dies too: 403 account_disabled at most until the revocation arrives
    me = await eventually(
        lambda: client.get("/api/auth/me", headers=user["headers"]),
        until=lambda r: r.status_code != 403,
        timeout=5,
    )
    assert me.status_code == 401 and me.json()["error"] == "token_revoked"

    enabled = await client.patch(
        f"/api/auth/admin/users/{user['id']}", json={"disabled": False}, headers=admin_headers
    )
    assert enabled.json()["disabled_at"] is None
    again = await client.post(
        "/api/auth/login", json={"email": user["email"], "password": user["password"]}
    )
    assert again.status_code == 200


async def test_admin_patch_answers_409_when_admin_demotes_themself(
    client: httpx2.AsyncClient, admin_headers: dict[str, str]
) -> None:
    me = (await client.get("/api/auth/me", headers=admin_headers)).json()
    response = await client.patch(
        f"/api/auth/admin/users/{me['id']}", json={"role": "customer"}, headers=admin_headers
    )
    assert response.status_code == 409 and response.json()["error"] == "invalid_state"
    assert (await client.get("/api/auth/me", headers=admin_headers)).json()["role"] == "admin"


async def test_admin_patch_answers_404_when_user_unknown(
    client: httpx2.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.patch(
        f"/api/auth/admin/users/{uuid.uuid4()}", json={"role": "organizer"}, headers=admin_headers
    )
    assert response.status_code == 404 and response.json()["error"] == "not_found"


async def test_admin_patch_answers_422_when_fields_invalid(
    client: httpx2.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.patch(
        "/api/auth/admin/users/not-a-uuid",
        json={"role": "king", "disabled": "maybe", "email": "x@y.z"},
        headers=admin_headers,
    )
    assert response.status_code == 422
    fields = {f["field"] for f in response.json()["details"]["fields"]}
    assert fields == {"user_id", "role", "disabled", "email"}


async def test_soft_delete_ends_sessions_and_sign_in_and_frees_the_email_when_admin_deletes(
    client: httpx2.AsyncClient, register: Register, admin_headers: dict[str, str], probe: Any
) -> None:
    user = await register()
    response = await client.delete(f"/api/auth/admin/users/{user['id']}", headers=admin_headers)
    assert response.status_code == 204 and response.content == b""
    refresh = await client.post("/api/auth/refresh", json={"refresh_token": user["refresh_token"]})
    assert refresh.status_code == 401
    login = await client.post(
        "/api/auth/login", json={"email": user["email"], "password": user["password"]}
    )
    assert login.status_code == 403 and login.json()["error"] == "account_disabled"
    listed = await client.get(
        "/api/auth/admin/users", params={"q": user["email"]}, headers=admin_headers
    )
    assert listed.json()["total"] == 0
    with_deleted = await client.get(
        "/api/auth/admin/users",
        params={"q": user["email"], "include_deleted": "true"},
        headers=admin_headers,
    )
    assert with_deleted.json()["items"][0]["deleted_at"] is not None
    again = await client.delete(f"/api/auth/admin/users/{user['id']}", headers=admin_headers)
    assert again.status_code == 404
    # the address can open a new account
    reborn = await client.post(
        "/api/auth/register",
        json={"email": user["email"], "password": "another-password", "full_name": "Reborn"},
    )
    assert reborn.status_code == 201 and reborn.json()["id"] != user["id"]
    fresh = await client.post(
        "/api/auth/login", json={"email": user["email"], "password": "another-password"}
    )
    assert fresh.status_code == 200
    (row,) = await probe.audit(action="admin.user_deleted", target=f"user:{user['id']}")
    assert row["details"] == {"sessions_revoked": 1}


async def test_delete_answers_409_when_admin_deletes_themself(
    client: httpx2.AsyncClient, admin_headers: dict[str, str]
) -> None:
    me = (await client.get("/api/auth/me", headers=admin_headers)).json()
    response = await client.delete(f"/api/auth/admin/users/{me['id']}", headers=admin_headers)
    assert response.status_code == 409 and response.json()["error"] == "invalid_state"


async def test_delete_answers_403_when_caller_is_a_customer(
    client: httpx2.AsyncClient, register: Register
) -> None:
    user = await register()
    victim = await register(login=False)
    response = await client.delete(f"/api/auth/admin/users/{victim['id']}", headers=user["headers"])
    assert response.status_code == 403


async def test_audit_log_lists_account_actions_newest_first_when_admin_filters(
    client: httpx2.AsyncClient, register: Register, admin_headers: dict[str, str]
) -> None:
    user = await register()
    await client.patch(
        f"/api/auth/admin/users/{user['id']}", json={"role": "organizer"}, headers=admin_headers
    )
    response = await client.get(
        "/api/auth/admin/audit-logs", params={"actor_id": user["id"]}, headers=admin_headers
    )
    assert response.status_code == 200
    body = response.json()
    actions = [item["action"] for item in body["items"]]
    assert actions == ["user.login", "user.registered"]  # newest first
    item = body["items"][0]
    assert set(item) == {"id", "actor_id", "action", "target", "ip", "at", "details"}
    assert item["target"] == f"user:{user['id']}" and item["ip"] == "127.0.0.1"
    by_action = await client.get(
        "/api/auth/admin/audit-logs",
        params={"action": "admin.user_updated", "page_size": 1},
        headers=admin_headers,
    )
    page = by_action.json()
    assert page["page_size"] == 1 and len(page["items"]) == 1 and page["total"] >= 1
    newest = page["items"][0]
    assert newest["target"] == f"user:{user['id']}"
    assert newest["details"] == {"role": {"from": "customer", "to": "organizer"}}


async def test_audit_log_answers_403_or_422_when_customer_or_filter_invalid(
    client: httpx2.AsyncClient, register: Register, admin_headers: dict[str, str]
) -> None:
    user = await register()
    forbidden = await client.get("/api/auth/admin/audit-logs", headers=user["headers"])
    assert forbidden.status_code == 403
    bad = await client.get(
        "/api/auth/admin/audit-logs",
        params={"actor_id": "nope", "page_size": 1000},
        headers=admin_headers,
    )
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["details"]["fields"]} == {"actor_id", "page_size"}


async def test_failed_sign_in_is_audited_alike_when_email_unknown_or_password_wrong(
    client: httpx2.AsyncClient, register: Register, probe: Any
) -> None:
    user = await register(login=False)
    await client.post("/api/auth/login", json={"email": user["email"], "password": "wrong-one"})
    (row,) = await probe.audit(action="user.login_failed", actor_id=uuid.UUID(user["id"]))
    assert row["target"] == f"user:{user['id']}" and row["ip"] == "127.0.0.1"
