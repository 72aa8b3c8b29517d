"""Health and docs under the gateway prefix answer 200, and each operation documents the error
statuses it answers with the contract's error body."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration

EXPECTED = {
    ("/api/notifications", "get"): {401, 422},
    ("/api/notifications/tickets/{booking_id}/pdf", "get"): {401, 404, 422},
}


@pytest.mark.parametrize(
    "path",
    ["/api/notifications/health", "/api/notifications/docs", "/api/notifications/openapi.json"],
)
async def test_health_and_docs_answer_200_when_asked_under_the_prefix(
    client: Any, path: str
) -> None:
    assert (await client.get(path)).status_code == 200


@pytest.mark.parametrize(("path", "method"), sorted(EXPECTED))
async def test_operation_documents_its_error_statuses_when_openapi_is_read(
    client: Any, path: str, method: str
) -> None:
    schema = (await client.get("/api/notifications/openapi.json")).json()
    responses = schema["paths"][path][method]["responses"]
    assert EXPECTED[(path, method)] <= {int(code) for code in responses if int(code) >= 400}
    for code in EXPECTED[(path, method)]:
        body = responses[str(code)]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/ErrorBody"}


async def test_pdf_operation_documents_a_pdf_body_when_openapi_is_read(client: Any) -> None:
    schema = (await client.get("/api/notifications/openapi.json")).json()
    ok = schema["paths"]["/api/notifications/tickets/{booking_id}/pdf"]["get"]["responses"]["200"]
    assert list(ok["content"]) == ["application/pdf"]
