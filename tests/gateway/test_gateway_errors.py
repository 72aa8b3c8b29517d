"""Every answer nginx writes itself is the JSON error body with X-Request-ID: refused
methods, long URIs, oversized headers, unreadable requests (API.md "Errors")."""

from __future__ import annotations

import httpx2
import pytest

from devstack.stack import RunningGateway
from tests.gateway.assertions import assert_error
from tests.gateway.raw_http import send_raw

ALLOWED = "GET, HEAD, POST, PATCH, DELETE, OPTIONS"


@pytest.mark.parametrize("method", ["PUT", "TRACE", "FOO", "PROPFIND", "MKCOL", "LINK"])
def test_unused_method_is_405_error_body_when_sent(client: httpx2.Client, method: str) -> None:
    response = client.request(method, "/api/events", headers={"X-Request-ID": "trace-405"})
    body = assert_error(response, 405, "method_not_allowed")
    assert body["request_id"] == "trace-405"
    assert response.headers.get_list("allow") == [ALLOWED]


def test_unused_method_is_refused_before_routing_when_path_is_unknown(
    client: httpx2.Client,
) -> None:
    assert_error(client.request("FOO", "/nope"), 405, "method_not_allowed")
    assert_error(client.request("PUT", "/api/v1/bookings/x"), 405, "method_not_allowed")


def test_connect_is_405_error_body_when_sent(gateway: RunningGateway, source_address: str) -> None:
    request = b"CONNECT /api/events HTTP/1.1\r\nHost: x\r\n\r\n"
    response = send_raw(gateway.port, request, source=source_address)
    assert_error(response, 405, "method_not_allowed")


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE", "OPTIONS"])
def test_used_method_is_forwarded_when_sent(client: httpx2.Client, method: str) -> None:
    response = client.request(method, "/api/bookings/x")
    assert response.status_code == 200
    assert response.json()["method"] == method
    assert "allow" not in response.headers


def test_head_is_forwarded_when_sent(client: httpx2.Client) -> None:
    response = client.head("/api/events")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"


def test_long_uri_is_414_error_body_when_sent(client: httpx2.Client) -> None:
    response = client.get("/api/events", params={"q": "a" * 9000})
    assert_error(response, 414, "uri_too_long")


@pytest.mark.parametrize("name", ["X-Big", "Cookie"])
def test_oversized_header_is_400_error_body_when_sent(client: httpx2.Client, name: str) -> None:
    headers = {"X-Request-ID": "trace-494", name: "a" * 40000}
    body = assert_error(client.get("/api/events", headers=headers), 400, "bad_request")
    assert body["request_id"] == "trace-494"


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"get /api/events HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET api/events HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /api/events%00 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /api/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /api/events HTTP/1.1\r\n\r\n",
        b"GET /api/events HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
        b"GET /api/events HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n",
        b"POST /api/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"POST /api/events HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
    ],
    ids=[
        "garbage",
        "lowercase-method",
        "relative-uri",
        "nul-in-path",
        "above-root",
        "no-host",
        "two-hosts",
        "bad-header-name",
        "two-lengths",
        "chunked-http10",
    ],
)
def test_unreadable_request_is_400_error_body_when_sent(
    gateway: RunningGateway, source_address: str, request_bytes: bytes
) -> None:
    response = send_raw(gateway.port, request_bytes, source=source_address)
    assert_error(response, 400, "bad_request")


def test_unsupported_http_version_is_505_error_body_when_sent(
    gateway: RunningGateway, source_address: str
) -> None:
    request = b"GET /api/events HTTP/2.0\r\nHost: x\r\n\r\n"
    response = send_raw(gateway.port, request, source=source_address)
    assert_error(response, 505, "http_version_not_supported")


def test_unknown_transfer_encoding_is_501_error_body_when_sent(
    gateway: RunningGateway, source_address: str
) -> None:
    request = b"POST /api/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nx"
    response = send_raw(gateway.port, request, source=source_address)
    assert_error(response, 501, "not_implemented")


@pytest.mark.parametrize("status", [400, 414, 505])
def test_error_pages_are_404_when_requested_directly(client: httpx2.Client, status: int) -> None:
    assert_error(client.get(f"/_gateway/errors/{status}"), 404, "not_found")
