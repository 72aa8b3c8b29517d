"""The auth app on the real servers: its own database, namespace, key file and admin."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI

from auth_service.main import create_app
from auth_service.settings import Settings
from shared.testing.app import running_app, service_settings

ADMIN_EMAIL = "root@auth.test"
ADMIN_PASSWORD = "root-test-password"

Account = dict[str, Any]


@pytest.fixture(scope="session")
async def auth_settings(
    infra: Any, make_database: Any, make_namespace: Any, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    url = await make_database("auth")
    settings: Settings = service_settings(
        Settings,
        infra=infra,
        database_url=url,
        namespace=make_namespace("auth"),
        JWT_PRIVATE_KEY_PATH=tmp_path_factory.mktemp("keys") / "jwt_ed25519.pem",
        ADMIN_EMAIL=ADMIN_EMAIL,
        ADMIN_PASSWORD=ADMIN_PASSWORD,
    )
    return settings


@pytest.fixture(scope="session")
async def auth_app(auth_settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx2.AsyncClient]]:
    async with running_app(create_app, auth_settings) as (app, client):
        yield app, client


@pytest.fixture
def app(auth_app: tuple[FastAPI, httpx2.AsyncClient]) -> FastAPI:
    return auth_app[0]


@pytest.fixture
def client(auth_app: tuple[FastAPI, httpx2.AsyncClient]) -> httpx2.AsyncClient:
    return auth_app[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def register(client: httpx2.AsyncClient) -> Callable[..., Awaitable[Account]]:
    """Register a fresh customer and sign in; the account with its tokens and headers."""

    async def make(*, full_name: str = "Test Customer", login: bool = True) -> Account:
        email = f"user-{uuid.uuid4().hex[:10]}@example.test"
        password = "a-good-password"
        response = await client.post(
            "/api/auth/register",
            json={"email": email, "password": password, "full_name": full_name},
        )
        assert response.status_code == 201, response.text
        account: Account = {**response.json(), "password": password}
        if login:
            tokens = await client.post(
                "/api/auth/login", json={"email": email, "password": password}
            )
            assert tokens.status_code == 200, tokens.text
            account |= tokens.json()
            account["headers"] = bearer(account["access_token"])
        return account

    return make


@pytest.fixture
async def admin_headers(client: httpx2.AsyncClient) -> dict[str, str]:
    response = await client.post(
        "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])
