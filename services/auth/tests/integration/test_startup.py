"""The first admin, created on start-up (once) or by the management command."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from typing import Any

import httpx2
import pytest
from sqlalchemy import text

from auth_service import service
from auth_service.main import create_app
from auth_service.settings import Settings
from shared.testing.app import running_app, running_service

pytestmark = pytest.mark.integration


async def _count(runtime: Any, email: str) -> int:
    async with runtime.sessionmaker() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM user_account WHERE email = :email"), {"email": email}
        )
    return int(count or 0)


async def test_configured_admin_exists_once_when_app_starts_twice_on_one_database(
    runtime: Any, settings: Settings
) -> None:
    second_settings = settings.model_copy(update={"AUTH_REQUIRE_VERIFIED_EMAIL": True})
    async with running_service(create_app, second_settings) as second:
        assert await _count(second.runtime, settings.ADMIN_EMAIL) == 1
        login = await second.client.post(
            "/api/auth/login",
            json={
                "email": settings.ADMIN_EMAIL,
                "password": settings.ADMIN_PASSWORD.get_secret_value(),
            },
        )
        assert login.status_code == 200  # the configured admin is verified
    async with runtime.sessionmaker() as session:
        row = (
            await session.execute(
                text("SELECT role, email_verified FROM user_account WHERE email = :e"),
                {"e": settings.ADMIN_EMAIL},
            )
        ).one()
    assert row.role == "admin" and row.email_verified is True


async def test_login_answers_403_email_not_verified_when_verification_required(
    client: httpx2.AsyncClient, settings: Settings
) -> None:
    email = f"unverified-{uuid.uuid4().hex[:8]}@example.test"
    created = await client.post(
        "/api/auth/register", json={"email": email, "password": "long-enough", "full_name": "U"}
    )
    assert created.status_code == 201
    strict = settings.model_copy(update={"AUTH_REQUIRE_VERIFIED_EMAIL": True})
    async with running_app(create_app, strict) as (_, strict_client):
        wrong = await strict_client.post(
            "/api/auth/login", json={"email": email, "password": "not-the-password"}
        )
        right = await strict_client.post(
            "/api/auth/login", json={"email": email, "password": "long-enough"}
        )
    assert wrong.status_code == 401  # a wrong password never reveals the account's state
    assert right.status_code == 403 and right.json()["error"] == "email_not_verified"


async def test_ensure_admin_creates_exactly_one_when_processes_race(runtime: Any) -> None:
    email = f"race-{uuid.uuid4().hex[:8]}@example.test"
    sessionmaker = runtime.sessionmaker

    async def attempt() -> bool:
        async with sessionmaker() as session:
            return await service.ensure_admin(session, email=email, password="race-password")

    results = await asyncio.gather(*(attempt() for _ in range(4)))
    assert results.count(True) == 1
    assert await _count(runtime, email) == 1


def _manage(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env: dict[str, Any] = {
        **os.environ,
        "DATABASE_URL": settings.DATABASE_URL,
        "ENVIRONMENT": "test",
        "JWT_PRIVATE_KEY_PATH": str(settings.JWT_PRIVATE_KEY_PATH),
    }
    return subprocess.run(
        [sys.executable, "-m", "auth_service.manage", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_create_admin_command_makes_an_admin_who_can_sign_in_when_run(
    client: httpx2.AsyncClient, settings: Settings
) -> None:
    email = f"Ops-{uuid.uuid4().hex[:8]}@Example.test"
    result = await asyncio.to_thread(
        _manage, settings, "create-admin", "--email", email, "--password", "ops-password"
    )
    assert result.returncode == 0, result.stderr
    assert "created admin" in result.stdout
    login = await client.post(
        "/api/auth/login", json={"email": email.lower(), "password": "ops-password"}
    )
    assert login.status_code == 200
    token = login.json()["access_token"]
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["role"] == "admin" and me.json()["email"] == email.lower()

    again = await asyncio.to_thread(
        _manage, settings, "create-admin", "--email", email, "--password", "ops-password"
    )
    assert again.returncode == 0 and "already exists" in again.stdout


async def test_create_admin_command_fails_when_email_belongs_to_a_customer(
    client: httpx2.AsyncClient, settings: Settings
) -> None:
    email = f"cust-{uuid.uuid4().hex[:8]}@example.test"
    await client.post(
        "/api/auth/register", json={"email": email, "password": "long-enough", "full_name": "C"}
    )
    result = await asyncio.to_thread(
        _manage, settings, "create-admin", "--email", email, "--password", "ops-password"
    )
    assert result.returncode == 1 and "customer" in result.stderr


async def test_create_admin_command_refuses_a_short_password_when_given(
    settings: Settings,
) -> None:
    result = await asyncio.to_thread(
        _manage, settings, "create-admin", "--email", "a@b.test", "--password", "short"
    )
    assert result.returncode == 2 and "at least 8" in result.stderr
