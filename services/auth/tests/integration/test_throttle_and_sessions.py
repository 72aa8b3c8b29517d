"""Sign-in throttling (Redis: progressive delays per account, a hard limit per address),
byte-identical failures, the verified-email rule, and the absolute session lifetime — on an app
instance configured for each."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI

from auth_service.main import create_app
from auth_service.settings import Settings
from shared.testing.app import running_app
from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def strict(settings: Settings) -> AsyncIterator[httpx2.AsyncClient]:
    strict_settings = settings.model_copy(
        update={
            "LOGIN_MAX_FAILURES_PER_ACCOUNT": 3,
            "LOGIN_ACCOUNT_WINDOW_SECONDS": 600,
            # long enough that the next request surely lands inside the first wait
            "LOGIN_DELAY_BASE_SECONDS": 5.0,
            "LOGIN_MAX_FAILURES_PER_IP": 1_000,
            "AUTH_REQUIRE_VERIFIED_EMAIL": True,
            "SESSION_MAX_AGE_SECONDS": 120,
            "REFRESH_TOKEN_TTL_SECONDS": 3600,
        }
    )
    async with running_app(create_app, strict_settings) as (_app, client):
        yield client


@contextlib.asynccontextmanager
async def _client_at(app: FastAPI, address: str) -> AsyncIterator[httpx2.AsyncClient]:
    """A client of the running ``app`` calling from ``address`` (what the throttle sees)."""
    transport = httpx2.ASGITransport(app=app, client=(address, 40000))
    async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _account(client: httpx2.AsyncClient) -> tuple[str, str]:
    email, password = f"t-{uuid.uuid4().hex[:10]}@example.test", "the-right-password"
    created = await client.post(
        "/api/auth/register", json={"email": email, "password": password, "full_name": "T"}
    )
    assert created.status_code == 201
    return email, password


async def _login(client: httpx2.AsyncClient, email: str, password: str) -> httpx2.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


async def test_account_waits_the_first_delay_with_retry_after_when_failures_reach_the_free_ones(
    strict: httpx2.AsyncClient,
) -> None:
    email, password = await _account(strict)
    for _ in range(3):
        assert (await _login(strict, email, "wrong-password")).status_code == 401
    throttled = await _login(strict, email, password)  # even the right password waits
    assert throttled.status_code == 429
    body = throttled.json()
    assert body["error"] == "rate_limited" and body["success"] is False
    retry_after = int(throttled.headers["retry-after"])
    assert 1 <= retry_after <= 5  # the first step of the ladder, not a 10-minute lock
    assert body["details"]["retry_after_seconds"] == retry_after


async def test_unknown_email_is_throttled_like_a_real_one_when_failures_reach_the_free_ones(
    strict: httpx2.AsyncClient,
) -> None:
    ghost = f"ghost-{uuid.uuid4().hex}@example.test"
    statuses = [(await _login(strict, ghost, "whatever-pw")).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


async def test_success_resets_the_account_counter_when_sign_in_succeeds(
    strict: httpx2.AsyncClient, probe: Any
) -> None:
    email, password = await _account(strict)
    await probe.execute("UPDATE user_account SET email_verified = true WHERE email = :e", e=email)
    for _ in range(2):
        assert (await _login(strict, email, "wrong-password")).status_code == 401
    assert (await _login(strict, email, password)).status_code == 200
    for _ in range(2):
        assert (await _login(strict, email, "wrong-password")).status_code == 401
    assert (await _login(strict, email, password)).status_code == 200


async def test_owner_signs_in_after_a_second_when_a_stranger_failed_five_times(
    app: FastAPI, register: Any
) -> None:
    """The probe's L5 with the default settings: five wrong passwords locked the owner out for
    15 minutes; now the owner waits the first step of the ladder, one second."""
    account = await register(login=False)
    async with _client_at(app, "203.0.113.5") as stranger, _client_at(app, "198.51.100.5") as owner:
        for _ in range(5):
            assert (await _login(stranger, account["email"], "not-it-at-all")).status_code == 401
        waited = await _login(owner, account["email"], account["password"])
        assert waited.status_code == 429 and waited.headers["retry-after"] == "1"
        signed_in = await eventually(
            lambda: _login(owner, account["email"], account["password"]),
            until=lambda r: r.status_code != 429,
            timeout=3,
        )
        assert signed_in.status_code == 200


async def test_stranger_waits_ever_longer_while_the_owner_waits_at_most_the_cap_when_failures_go_on(
    settings: Settings,
) -> None:
    ladder = settings.model_copy(
        update={
            "LOGIN_MAX_FAILURES_PER_ACCOUNT": 2,
            "LOGIN_DELAY_BASE_SECONDS": 0.25,
            "LOGIN_DELAY_MAX_SECONDS": 0.5,
            "LOGIN_CLIENT_DELAY_MAX_SECONDS": 60.0,
            "REDIS_PREFIX": f"{settings.REDIS_PREFIX}ladder-{uuid.uuid4().hex[:6]}:",
        }
    )
    async with running_app(create_app, ladder) as (app, client):
        email, password = await _account(client)
        async with (
            _client_at(app, "203.0.113.9") as stranger,
            _client_at(app, "198.51.100.9") as owner,
        ):
            # the stranger fails as often as the throttle lets them: 6 failures in ~4 s
            for _ in range(6):
                failed = await eventually(
                    lambda: _login(stranger, email, "wrong guess!"),
                    until=lambda r: r.status_code != 429,
                    timeout=5,
                )
                assert failed.status_code == 401
            last_failure = time.monotonic()
            stranger_waits = await _login(stranger, email, "another guess")
            assert stranger_waits.status_code == 429
            assert int(stranger_waits.headers["retry-after"]) >= 3  # 0.25 · 2⁴ s from here
            signed_in = await eventually(
                lambda: _login(owner, email, password),
                until=lambda r: r.status_code != 429,
                timeout=3,
            )
            assert signed_in.status_code == 200
            assert time.monotonic() - last_failure < 2  # the account-wide cap, 0.5 s
            # the owner's success leaves the stranger's own wait running
            assert (await _login(stranger, email, "yet another")).status_code == 429


async def test_ip_is_throttled_across_accounts_when_its_failures_reach_the_limit(
    settings: Settings,
) -> None:
    per_ip = settings.model_copy(
        update={
            "LOGIN_MAX_FAILURES_PER_IP": 4,
            "LOGIN_IP_WINDOW_SECONDS": 300,
            # its own key space: the other tests' failures share this address
            "REDIS_PREFIX": f"{settings.REDIS_PREFIX}ip-{uuid.uuid4().hex[:6]}:",
        }
    )
    async with running_app(create_app, per_ip) as (_app, client):
        statuses = [
            (
                await _login(client, f"s{i}-{uuid.uuid4().hex}@example.test", "pw-pw-pw-pw")
            ).status_code
            for i in range(5)
        ]
        assert statuses == [401, 401, 401, 401, 429]
        assert 0 < int((await _login(client, "x@y.test", "pw")).headers["retry-after"]) <= 300


async def test_failures_are_byte_identical_apart_from_request_id_when_email_unknown_or_wrong(
    client: httpx2.AsyncClient, register: Any
) -> None:
    account = await register(login=False)
    wrong = await _login(client, account["email"], "not-the-password")
    unknown = await _login(client, f"nobody-{uuid.uuid4().hex}@example.test", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    strip_id = lambda r: r.content.replace(r.json()["request_id"].encode(), b"")  # noqa: E731
    assert strip_id(wrong) == strip_id(unknown)
    headers = lambda r: {k: v for k, v in r.headers.items() if k != "x-request-id"}  # noqa: E731
    assert headers(wrong) == headers(unknown)


async def test_sign_in_answers_403_email_not_verified_when_verification_required(
    strict: httpx2.AsyncClient,
) -> None:
    email, password = await _account(strict)
    response = await _login(strict, email, password)
    assert response.status_code == 403 and response.json()["error"] == "email_not_verified"


async def test_rotation_never_extends_a_session_past_its_absolute_end_when_refreshed(
    strict: httpx2.AsyncClient, probe: Any
) -> None:
    email, password = await _account(strict)
    await probe.execute("UPDATE user_account SET email_verified = true WHERE email = :e", e=email)
    pair = (await _login(strict, email, password)).json()
    rotated = await strict.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert rotated.status_code == 200
    rows = await probe.rows(
        "SELECT t.expires_at, t.session_expires_at, t.created_at FROM refresh_token t "
        "JOIN user_account u ON u.id = t.user_id WHERE u.email = :e ORDER BY t.created_at",
        e=email,
    )
    assert len(rows) == 2 and rows[0]["session_expires_at"] == rows[1]["session_expires_at"]
    assert all(r["expires_at"] == r["session_expires_at"] for r in rows)  # capped at 120 s
    # past the absolute end, the session is over whatever the idle limit says
    await probe.execute(
        "UPDATE refresh_token SET session_expires_at = now(), expires_at = now() "
        "WHERE user_id = (SELECT id FROM user_account WHERE email = :e)",
        e=email,
    )
    ended = await strict.post(
        "/api/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]}
    )
    assert ended.status_code == 401
