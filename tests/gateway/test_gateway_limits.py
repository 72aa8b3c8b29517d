"""Body size caps and per-IP rate limits, answered with the error body."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx2

from devstack.stack import RunningGateway
from tests.gateway.assertions import assert_error

MB = 1024 * 1024


def test_body_over_1mb_is_413_when_posted(client: httpx2.Client) -> None:
    response = client.post(
        "/api/events", content=b"x" * (MB + 1), headers={"Content-Type": "application/json"}
    )
    assert_error(response, 413, "payload_too_large")


def test_body_of_1mb_passes_when_posted(client: httpx2.Client) -> None:
    response = client.post("/api/bookings", content=b"x" * (MB - 1024))
    assert response.status_code == 200
    assert response.json()["body_size"] == MB - 1024


def test_6mb_upload_passes_only_when_organizer_application(client: httpx2.Client) -> None:
    body = b"x" * (6 * MB - 4096)
    ok = client.post("/api/auth/organizer-applications", content=body)
    assert ok.status_code == 200
    assert ok.json()["body_size"] == len(body)
    ok_alias = client.post("/api/v1/auth/organizer-applications", content=body)
    assert ok_alias.status_code == 200
    assert_error(client.post("/api/auth/register", content=body), 413, "payload_too_large")
    assert_error(client.post("/api/events", content=body), 413, "payload_too_large")


def test_upload_over_6mb_is_413_when_organizer_application(client: httpx2.Client) -> None:
    response = client.post("/api/auth/organizer-applications", content=b"x" * (6 * MB + 1))
    assert_error(response, 413, "payload_too_large")


def test_burst_exceeded_is_429_with_retry_after_when_rate_limited(
    start_gateway: Callable[..., AbstractContextManager[RunningGateway]],
    client_for: Callable[[str, str], httpx2.Client],
    source_address: str,
) -> None:
    with start_gateway(rate_limit_rps=1, rate_limit_burst=3) as gateway:
        client = client_for(gateway.url, source_address)
        statuses = [client.get("/api/events").status_code for _ in range(8)]
        assert statuses[:4] == [200] * 4
        assert 429 in statuses[4:]
        limited = client.get("/api/events")
        body = assert_error(limited, 429, "rate_limited")
        assert int(limited.headers["retry-after"]) >= 1
        assert body["request_id"] == limited.headers["x-request-id"]
        # Another client address has its own budget.
        other = source_address.rsplit(".", 1)[0] + ".251"
        assert client_for(gateway.url, other).get("/api/events").status_code == 200


def test_login_has_a_stricter_limit_when_hammered(
    start_gateway: Callable[..., AbstractContextManager[RunningGateway]],
    client_for: Callable[[str, str], httpx2.Client],
    source_address: str,
) -> None:
    with start_gateway(auth_rate_limit_rpm=6, auth_rate_limit_burst=2) as gateway:
        client = client_for(gateway.url, source_address)
        login = {"email": "a@example.com", "password": "x" * 10}
        statuses = [client.post("/api/auth/login", json=login).status_code for _ in range(5)]
        assert statuses[:3] == [200] * 3
        assert statuses[-1] == 429
        limited = client.post("/api/v1/auth/register", json=login)
        assert_error(limited, 429, "rate_limited")
        assert int(limited.headers["retry-after"]) >= 1
        # Other routes keep the general (generous) limit.
        assert client.get("/api/auth/me").status_code == 200
