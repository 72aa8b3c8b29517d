"""Health and docs under the gateway prefix are never shadowed by ``/{payment_id}``, and every
operation documents the error statuses it really answers, with the contract's error body."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/payments/health", "application/json"),
        ("/api/payments/health/ready", "application/json"),
        ("/api/payments/docs", "text/html"),
        ("/api/payments/openapi.json", "application/json"),
    ],
)
async def test_health_and_docs_answer_200_when_asked_under_the_prefix(
    client: Any, path: str, content_type: str
) -> None:
    response = await client.get(path)  # no token: these are public
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(content_type)


# what each operation answers besides its 2xx (the gateway's 400/414/429/5xx on top)
EXPECTED = {
    ("/api/payments", "post"): {401, 404, 409, 413, 422, 503},
    ("/api/payments", "get"): {401, 422},
    ("/api/payments/{payment_id}", "get"): {401, 404, 422},
    ("/api/payments/{payment_id}/refund", "post"): {401, 403, 404, 409, 413, 422, 503},
}


@pytest.mark.parametrize(("path", "method"), sorted(EXPECTED))
async def test_operation_documents_its_error_statuses_when_openapi_is_read(
    client: Any, path: str, method: str
) -> None:
    schema = (await client.get("/api/payments/openapi.json")).json()
    responses = schema["paths"][path][method]["responses"]
    documented = {int(code) for code in responses if int(code) >= 400}
    assert EXPECTED[(path, method)] <= documented
    for code in EXPECTED[(path, method)]:
        body = responses[str(code)]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/ErrorBody"}


async def test_payment_create_documents_key_and_replay_header_when_read(client: Any) -> None:
    operation = (await client.get("/api/payments/openapi.json")).json()["paths"]["/api/payments"]
    headers = [p["name"] for p in operation["post"]["parameters"] if p["in"] == "header"]
    assert headers == ["Idempotency-Key"]
    created = operation["post"]["responses"]["201"]
    assert list(created["headers"]) == ["Idempotent-Replayed"]
    assert created["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaymentRead"
    }
