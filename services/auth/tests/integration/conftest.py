"""The auth app on the real servers: its own database, namespace, key file and admin."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx2
import pytest
from sqlalchemy import text

from auth_service.main import create_app
from auth_service.settings import Settings
from shared.testing.app import RunningService, service_settings
from shared.testing.app import running_service as running_service_of
from shared.testing.fixtures import Outbox

ADMIN_EMAIL = "root@auth.test"
ADMIN_PASSWORD = "root-test-password"

Account = dict[str, Any]


@pytest.fixture(scope="session")
async def settings(
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
async def running_service(settings: Settings) -> AsyncIterator[RunningService]:
    async with running_service_of(create_app, settings) as running:
        yield running


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


MailedToken = Callable[[str, str], Awaitable[str]]


@pytest.fixture
def mailed_token(outbox: Outbox) -> MailedToken:
    """``await mailed_token(routing_key, user_id)``: the newest one-time token (verification or
    reset) a message carried for the user."""

    async def newest(routing_key: str, user_id: str) -> str:
        data = (await outbox(routing_key, user_id=user_id))[-1]["data"]
        return str(data.get("verification_token") or data["reset_token"])

    return newest


class Probe:
    """Reads and writes auth's tables directly: audit rows, any query, a fix-up."""

    def __init__(self, runtime: Any) -> None:
        self.sessionmaker = runtime.sessionmaker

    async def audit(self, **where: Any) -> list[dict[str, Any]]:
        clauses = " AND ".join(f"{name} = :{name}" for name in where) or "true"
        return await self.rows(f"SELECT * FROM audit_log WHERE {clauses} ORDER BY at", **where)

    async def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        async with self.sessionmaker() as session:
            return [dict(r) for r in (await session.execute(text(sql), params)).mappings()]

    async def execute(self, sql: str, **params: Any) -> None:
        async with self.sessionmaker() as session, session.begin():
            await session.execute(text(sql), params)


@pytest.fixture
def probe(runtime: Any) -> Probe:
    return Probe(runtime)


@pytest.fixture
def register(
    client: httpx2.AsyncClient, mailed_token: MailedToken
) -> Callable[..., Awaitable[Account]]:
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
            token = await mailed_token("user.registered", account["id"])
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
