"""The shared HTTP edge, through a tiny app on the real servers."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.integration


async def test_ready_reports_every_dependency_when_all_answer(sample: Any) -> None:
    _, client = sample
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok", "broker": "ok"}
    assert (await client.get("/api/sample/health")).json() == {"status": "ok"}


async def test_unknown_route_is_404_with_error_body_when_path_missing(sample: Any) -> None:
    _, client = sample
    response = await client.get("/api/sample/nope/deeper", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 404
    body = response.json()
    assert body["success"] is False and body["error"] == "not_found"
    assert body["request_id"] == "abc-123"
    assert response.headers["x-request-id"] == "abc-123"


async def test_method_not_allowed_is_405_with_error_body(sample: Any) -> None:
    _, client = sample
    response = await client.delete("/api/sample/items")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


async def test_domain_conflict_keeps_code_and_details(sample: Any) -> None:
    _, client = sample
    response = await client.get("/api/sample/conflict")
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "seats_unavailable"
    assert body["details"] == {"unavailable": ["A-1"]}


async def test_500_has_error_body_without_trace_when_handler_crashes(sample: Any) -> None:
    _, client = sample
    response = await client.get("/api/sample/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "internal_error"
    assert "secret" not in response.text and "Traceback" not in response.text
    assert body["request_id"] == response.headers["x-request-id"]


async def test_validation_error_lists_each_bad_field(sample: Any) -> None:
    _, client = sample
    response = await client.get("/api/sample/items?page=0&page_size=500&q=x")
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    fields = {f["field"] for f in body["details"]["fields"]}
    assert fields == {"page", "page_size", "q"}


async def test_pagination_shapes_pages(sample: Any) -> None:
    _, client = sample
    body = (await client.get("/api/sample/items?page=3&page_size=20")).json()
    assert body == {"items": list(range(40, 57)), "page": 3, "page_size": 20, "total": 57}


async def test_malformed_request_id_is_replaced(sample: Any) -> None:
    _, client = sample
    response = await client.get("/api/sample/items", headers={"X-Request-ID": 'bad id"}'})
    assert response.status_code == 200
    assert response.headers["x-request-id"] != 'bad id"}'
    assert len(response.headers["x-request-id"]) == 32


async def test_metrics_count_requests_by_route_template(sample: Any) -> None:
    _, client = sample
    await client.get("/api/sample/items")
    text = (await client.get("/metrics")).text
    assert (
        'http_requests_total{handler="/api/sample/items",method="GET",service="sample",status="200"}'
        in text
    )
    assert "http_request_duration_seconds_bucket" in text


async def test_docs_are_served_directly_and_under_the_prefix(sample: Any) -> None:
    _, client = sample
    for path in ("/openapi.json", "/api/sample/openapi.json"):
        assert (await client.get(path)).json()["info"]["title"] == "sample"
    page = await client.get("/api/sample/docs")
    assert "/api/sample/openapi.json" in page.text


async def test_current_user_comes_from_a_valid_token(sample: Any, signer: Any) -> None:
    _, client = sample
    uid = uuid.uuid4()
    response = await client.get(
        "/api/sample/me", headers=signer.headers(user_id=uid, role="organizer")
    )
    assert response.json() == {"id": str(uid), "role": "organizer"}


async def test_missing_token_is_401(sample: Any) -> None:
    _, client = sample
    response = await client.get("/api/sample/me")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


async def test_customer_on_admin_route_is_403(sample: Any, signer: Any) -> None:
    _, client = sample
    response = await client.get("/api/sample/admin", headers=signer.headers(role="customer"))
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
