"""X-Request-ID handling and CORS."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx2
import pytest

from devstack.stack import RunningGateway
from tests.gateway.assertions import assert_error

GENERATED = re.compile(r"^[0-9a-f]{32}$")


def test_request_id_is_echoed_when_well_formed(client: httpx2.Client) -> None:
    response = client.get("/api/events", headers={"X-Request-ID": "abc.DEF-1_2"})
    assert response.headers["x-request-id"] == "abc.DEF-1_2"
    assert response.json()["request_id"] == "abc.DEF-1_2"
    assert response.headers.get_list("x-request-id") == ["abc.DEF-1_2"]


def test_request_id_is_generated_when_absent(client: httpx2.Client) -> None:
    response = client.get("/api/bookings")
    request_id = response.headers["x-request-id"]
    assert GENERATED.match(request_id)
    assert response.json()["request_id"] == request_id


@pytest.mark.parametrize("bad", ["has space", "semi;colon", "x" * 129, "é"])
def test_request_id_is_replaced_when_malformed(client: httpx2.Client, bad: str) -> None:
    response = client.get("/api/events", headers={b"X-Request-ID": bad.encode()})
    request_id = response.headers["x-request-id"]
    assert request_id != bad
    assert GENERATED.match(request_id)
    assert response.json()["request_id"] == request_id


def test_request_id_is_on_gateway_errors_when_given(client: httpx2.Client) -> None:
    response = client.get("/nope", headers={"X-Request-ID": "trace-me-404"})
    body = assert_error(response, 404, "not_found")
    assert body["request_id"] == "trace-me-404"
    dead = client.get("/api/notifications", headers={"X-Request-ID": "trace-me-502"})
    assert assert_error(dead, 502, "upstream_unavailable")["request_id"] == "trace-me-502"


def test_preflight_is_204_with_cors_headers_when_origin_allowed(client: httpx2.Client) -> None:
    response = client.options(
        "/api/events",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"].lower()
    assert response.headers["x-request-id"]


def test_no_cors_headers_when_origin_not_allowed(client: httpx2.Client) -> None:
    preflight = client.options(
        "/api/events",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert "access-control-allow-origin" not in preflight.headers
    simple = client.get("/api/events", headers={"Origin": "https://evil.example"})
    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers


def test_simple_request_gets_cors_headers_when_origin_allowed(client: httpx2.Client) -> None:
    response = client.get("/api/events", headers={"Origin": "http://127.0.0.1:3000"})
    assert response.headers["access-control-allow-origin"] == "http://127.0.0.1:3000"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "X-Request-ID" in response.headers["access-control-expose-headers"]


def test_cors_origins_are_configurable_when_rendered(
    start_gateway: Callable[..., AbstractContextManager[RunningGateway]],
    client_for: Callable[[str, str], httpx2.Client],
    source_address: str,
) -> None:
    with start_gateway(cors_origins=r"^https://app\.example\.com$") as gateway:
        client = client_for(gateway.url, source_address)
        allowed = client.get("/api/events", headers={"Origin": "https://app.example.com"})
        assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
        local = client.get("/api/events", headers={"Origin": "http://localhost:3000"})
        assert "access-control-allow-origin" not in local.headers


def test_nosniff_is_sent_once_when_the_service_sends_it_too(client: httpx2.Client) -> None:
    # The echo upstream sends X-Content-Type-Options like a service's document download.
    proxied = client.get("/api/auth/organizer-applications/x/document")
    assert proxied.status_code == 200
    assert proxied.headers.get_list("x-content-type-options") == ["nosniff"]
    error = client.get("/nope")
    assert error.headers.get_list("x-content-type-options") == ["nosniff"]
