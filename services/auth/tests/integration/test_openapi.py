"""Auth's OpenAPI document tells the truth: the statuses each operation answers, bodiless 202s,
and only paths the gateway serves."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
async def schema(client: httpx2.AsyncClient) -> dict[str, Any]:
    response = await client.get("/api/auth/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("post", "/api/auth/register", {201, 409, 422, 429}),
        ("post", "/api/auth/login", {200, 401, 403, 422, 429}),
        ("post", "/api/auth/refresh", {200, 401, 403}),
        ("post", "/api/auth/logout", {204, 401}),
        ("get", "/api/auth/me", {200, 401, 403}),
        ("post", "/api/auth/change-password", {204, 400, 401, 429}),
        ("post", "/api/auth/verify-email", {204, 400}),
        ("post", "/api/auth/organizer-applications", {201, 401, 403, 409, 413, 422}),
        ("post", "/api/auth/admin/organizer-applications/{application_id}/reject", {404, 409}),
        ("patch", "/api/auth/admin/users/{user_id}", {200, 401, 403, 404, 409}),
        ("delete", "/api/auth/admin/users/{user_id}", {204, 403, 404, 409}),
    ],
)
async def test_operation_documents_the_statuses_it_answers_when_schema_is_read(
    schema: dict[str, Any], method: str, path: str, statuses: set[int]
) -> None:
    responses = schema["paths"][path][method]["responses"]
    assert statuses <= {int(code) for code in responses}
    for code, response in responses.items():
        if int(code) >= 400:
            content = response["content"]["application/json"]["schema"]
            assert content == {"$ref": "#/components/schemas/ErrorBody"}


@pytest.mark.parametrize("path", ["/api/auth/forgot-password", "/api/auth/resend-verification"])
async def test_accepted_operation_has_no_body_in_schema_or_answer_when_email_is_posted(
    client: httpx2.AsyncClient, schema: dict[str, Any], path: str
) -> None:
    documented = schema["paths"][path]["post"]["responses"]
    assert "200" not in documented
    assert documented["202"].get("content", {}) == {}
    response = await client.post(path, json={"email": "nobody-at-all@example.test"})
    assert response.status_code == 202
    assert response.content == b"" and "content-type" not in response.headers


async def test_schema_lists_the_jwks_where_the_gateway_serves_it_when_read(
    client: httpx2.AsyncClient, schema: dict[str, Any]
) -> None:
    assert "/api/auth/.well-known/jwks.json" in schema["paths"]
    assert "/.well-known/jwks.json" not in schema["paths"]
    assert not [p for p in schema["paths"] if p.startswith("/internal")]
    # the root copy still serves the services that fetch it
    assert (await client.get("/.well-known/jwks.json")).status_code == 200
