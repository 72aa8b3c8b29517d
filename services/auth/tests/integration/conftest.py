"""The auth app on the real servers: its own database, namespace, key file and admin."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import text

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
        # Every in-process request comes from one address: throttling is tested on its own app.
        LOGIN_MAX_FAILURES_PER_IP=100_000,
        ACCOUNT_EMAIL_INTERVAL_SECONDS=0,
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


async def outbox_messages(app: FastAPI, routing_key: str, user_id: str) -> list[dict[str, Any]]:
    """The ``data`` of every ``routing_key`` message written for ``user_id``, oldest first."""
    async with app.state.runtime.sessionmaker() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT payload FROM outbox_message WHERE routing_key = :key "
                    "AND payload->'data'->>'user_id' = :id ORDER BY created_at, id"
                ),
                {"key": routing_key, "id": user_id},
            )
        ).all()
    return [row.payload["data"] for row in rows]


async def outbox_token(app: FastAPI, routing_key: str, user_id: str) -> str:
    """The newest token (verification or reset) a message carried for ``user_id``."""
    data = (await outbox_messages(app, routing_key, user_id))[-1]
    return str(data.get("verification_token") or data["reset_token"])


async def audit_rows(app: FastAPI, **where: Any) -> list[dict[str, Any]]:
    clauses = " AND ".join(f"{name} = :{name}" for name in where) or "true"
    async with app.state.runtime.sessionmaker() as session:
        rows = (
            await session.execute(
                text(f"SELECT * FROM audit_log WHERE {clauses} ORDER BY at"), where
            )
        ).mappings()
        return [dict(r) for r in rows]


class Probe:
    """Reads what the app wrote: outbox messages, one-time tokens, audit rows."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def messages(self, routing_key: str, user_id: str) -> list[dict[str, Any]]:
        return await outbox_messages(self.app, routing_key, user_id)

    async def token(self, routing_key: str, user_id: str) -> str:
        return await outbox_token(self.app, routing_key, user_id)

    async def audit(self, **where: Any) -> list[dict[str, Any]]:
        return await audit_rows(self.app, **where)

    async def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        async with self.app.state.runtime.sessionmaker() as session:
            return [dict(r) for r in (await session.execute(text(sql), params)).mappings()]

    async def execute(self, sql: str, **params: Any) -> None:
        async with self.app.state.runtime.sessionmaker() as session, session.begin():
            await session.execute(text(sql), params)


@pytest.fixture
def probe(app: FastAPI) -> Probe:
    return Probe(app)


@pytest.fixture
def register(app: FastAPI, client: httpx2.AsyncClient) -> Callable[..., Awaitable[Account]]:
    """Register a fresh customer and sign in; the account with its tokens and headers."""

    async def make(
        *, full_name: str = "Test Customer", login: bool = True, verified: bool = False
    ) -> Account:
        email = f"user-{uuid.uuid4().hex[:10]}@example.test"
        password = "a-good-password"
        response = await client.post(
            "/api/auth/register",
            json={"email": email, "password": password, "full_name": full_name},
        )
        assert response.status_code == 201, response.text
        account: Account = {**response.json(), "password": password}
        if verified:
            token = await outbox_token(app, "user.registered", account["id"])
            done = await client.post("/api/auth/verify-email", json={"token": token})
            assert done.status_code == 204, done.text
            account["email_verified"] = True
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
