"""The gateway's error body contract (API.md "Errors")."""

from __future__ import annotations

import httpx2

ERROR_KEYS = {"success", "error", "message", "details", "request_id"}


def assert_error(response: httpx2.Response, status: int, code: str) -> dict[str, object]:
    """`response` is the standard error body with this status and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, object] = response.json()
    assert set(body) == ERROR_KEYS
    assert body["success"] is False
    assert body["error"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert body["details"] == {}
    assert body["request_id"] == response.headers["x-request-id"]
    return body
