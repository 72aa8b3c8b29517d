"""Refresh-token rotation, reuse detection and logout."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import pytest

pytestmark = pytest.mark.integration

Register = Callable[..., Awaitable[dict[str, Any]]]


async def _refresh(client: httpx2.AsyncClient, token: str) -> httpx2.Response:
    return await client.post("/api/auth/refresh", json={"refresh_token": token})


async def test_refresh_rotates_the_pair_when_token_is_live(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register()
    response = await _refresh(client, account["refresh_token"])
    assert response.status_code == 200
    pair = response.json()
    assert pair["refresh_token"] != account["refresh_token"]
    assert pair["access_token"] != account["access_token"]
    me = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {pair['access_token']}"}
    )
    assert me.json()["id"] == account["id"]


async def test_reusing_a_rotated_token_revokes_its_family_when_presented_again(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register()
    first = account["refresh_token"]
    second = (await _refresh(client, first)).json()["refresh_token"]

    reuse = await _refresh(client, first)
    assert reuse.status_code == 401 and reuse.json()["error"] == "unauthorized"
    # the thief's (or the victim's) newer token died with the family
    assert (await _refresh(client, second)).status_code == 401


async def test_reuse_leaves_other_sessions_alive_when_family_revoked(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register()
    other = await client.post(
        "/api/auth/login", json={"email": account["email"], "password": account["password"]}
    )
    first = account["refresh_token"]
    await _refresh(client, first)
    assert (await _refresh(client, first)).status_code == 401
    assert (await _refresh(client, other.json()["refresh_token"])).status_code == 200


async def test_refresh_answers_401_when_token_unknown(client: httpx2.AsyncClient) -> None:
    response = await _refresh(client, "never-issued")
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"


async def test_logout_answers_204_and_kills_the_refresh_token_when_caller_owns_it(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register()
    response = await client.post(
        "/api/auth/logout",
        json={"refresh_token": account["refresh_token"]},
        headers=account["headers"],
    )
    assert response.status_code == 204 and response.content == b""
    assert (await _refresh(client, account["refresh_token"])).status_code == 401


async def test_logout_leaves_the_token_alive_when_it_belongs_to_someone_else(
    client: httpx2.AsyncClient, register: Register
) -> None:
    victim = await register()
    attacker = await register()
    response = await client.post(
        "/api/auth/logout",
        json={"refresh_token": victim["refresh_token"]},
        headers=attacker["headers"],
    )
    assert response.status_code == 204
    assert (await _refresh(client, victim["refresh_token"])).status_code == 200


async def test_logout_answers_401_when_no_access_token(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register()
    response = await client.post(
        "/api/auth/logout", json={"refresh_token": account["refresh_token"]}
    )
    assert response.status_code == 401
    assert (await _refresh(client, account["refresh_token"])).status_code == 200
