"""Prefix routing, the /api/v1 alias, refused paths and upstream failures."""

from __future__ import annotations

import json
import time

import httpx2
import pytest

from devstack.stack import RunningGateway
from tests.gateway.assertions import assert_error

PREFIXES = ["/api/auth", "/api/events", "/api/bookings", "/api/payments"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_prefix_is_passed_unchanged_when_routed(client: httpx2.Client, prefix: str) -> None:
    response = client.get(f"{prefix}/some/thing", params={"page": "2"})
    assert response.status_code == 200
    echoed = response.json()
    assert echoed["path"] == f"{prefix}/some/thing"
    assert echoed["query"] == "page=2"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_bare_prefix_is_routed_when_no_trailing_slash(client: httpx2.Client, prefix: str) -> None:
    response = client.get(prefix)
    assert response.status_code == 200
    assert response.json()["path"] == prefix


@pytest.mark.parametrize("prefix", PREFIXES)
def test_v1_alias_is_rewritten_when_used(client: httpx2.Client, prefix: str) -> None:
    alias = prefix.replace("/api/", "/api/v1/")
    response = client.post(f"{alias}/abc", params={"x": "1"}, json={"a": 1})
    assert response.status_code == 200
    echoed = response.json()
    assert echoed["path"] == f"{prefix}/abc"
    assert echoed["query"] == "x=1"
    assert echoed["method"] == "POST"
    assert echoed["body_size"] == len(json.dumps({"a": 1}, separators=(",", ":")))


@pytest.mark.parametrize(
    "path", ["/api/v1/v1/events", "/api/v1/v1/auth/login", "/api/v1/v1/v1/bookings/x", "/api/v1/v1"]
)
def test_v1_alias_is_404_when_doubled(client: httpx2.Client, path: str) -> None:
    assert_error(client.get(path), 404, "not_found")
    assert_error(client.post(path, json={}), 404, "not_found")


def test_forwarding_headers_are_set_when_proxied(client: httpx2.Client) -> None:
    echoed = client.get("/api/events").json()
    headers = echoed["headers"]
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-real-ip"].startswith("127.0.0.")
    assert headers["host"].startswith("127.0.0.1:")
    assert "connection" not in headers or headers["connection"].lower() != "close"


@pytest.mark.parametrize(
    "path",
    [
        "/internal/bookings",
        "/api/bookings/internal/holds/claim",
        "/api/v1/events/internal/x",
        "/api/events/%69nternal/x",
        "/api/auth/INTERNAL/users",
    ],
)
def test_internal_paths_are_refused_when_requested(client: httpx2.Client, path: str) -> None:
    assert_error(client.get(path), 404, "not_found")
    assert_error(client.post(path, json={}), 404, "not_found")


@pytest.mark.parametrize("path", ["/metrics", "/api/events/metrics", "/api/v1/auth/metrics"])
def test_metrics_are_not_exposed_when_requested(client: httpx2.Client, path: str) -> None:
    assert_error(client.get(path), 404, "not_found")


@pytest.mark.parametrize(
    "path", ["/", "/nope", "/api", "/api/", "/api/unknown/x", "/api/eventsx", "/api/v1"]
)
def test_unknown_route_is_404_error_body_when_not_routed(client: httpx2.Client, path: str) -> None:
    assert_error(client.get(path), 404, "not_found")


def test_dead_upstream_is_502_error_body_when_refused(client: httpx2.Client) -> None:
    body = assert_error(client.get("/api/notifications"), 502, "upstream_unavailable")
    assert body["request_id"]
    assert_error(client.post("/api/v1/notifications/x", json={}), 502, "upstream_unavailable")


def test_own_health_answers_when_gateway_runs(client: httpx2.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_server_version_is_hidden_when_answering(client: httpx2.Client) -> None:
    response = client.get("/nope")
    assert response.headers.get("server", "nginx") == "nginx"


def test_access_log_is_json_when_request_served(
    client: httpx2.Client, gateway: RunningGateway
) -> None:
    request_id = "access-log-check-1"
    client.get("/api/events", headers={"X-Request-ID": request_id})
    entry = _access_log_entry(gateway, request_id)
    assert entry["status"] == 200
    assert entry["uri"] == "/api/events"


def _access_log_entry(gateway: RunningGateway, request_id: str) -> dict[str, object]:
    """The access log's entry of a request: Nginx writes it after sending the response, so the
    client may read the answer a moment before the line is there."""
    deadline = time.monotonic() + 5
    while True:
        lines = gateway.log_path.read_text().splitlines()
        for entry in (json.loads(line) for line in lines if line.startswith("{")):
            if entry["request_id"] == request_id:
                return dict(entry)
        if time.monotonic() > deadline:
            raise AssertionError(f"no access log entry for {request_id}")
        time.sleep(0.05)
