"""Hostile input is a 422 with the error body at the shared edge, never a 500."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from redis import exceptions as redis_exceptions
from sqlalchemy import exc as sqlalchemy_exc

from shared.testing.tokens import TestSigner

pytestmark = pytest.mark.integration

NOTE = {"title": "ok", "text": "line one\nline two\ttabbed", "at": "2030-01-01T10:00:00+01:00"}


async def test_note_is_stored_when_text_and_time_are_sane(sample: Any) -> None:
    _, client = sample
    response = await client.post("/api/sample/notes", json=NOTE)
    assert response.status_code == 201
    assert response.json() == {"title": "ok"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "a\u0000b"),
        ("title", "two\nlines"),
        ("title", "bell\u0007"),
        ("title", "c1\u0085"),
        ("text", "nul \u0000 inside"),
        ("text", "escape \u001b[31m"),
        ("at", "0001-01-01T00:00:00+14:00"),
        ("at", "9999-12-31T23:59:59-12:00"),
        ("at", "1969-12-31T23:59:59+00:00"),
        ("at", "2030-01-01T10:00:00"),
    ],
)
async def test_body_field_is_422_naming_it_when_value_is_hostile(
    sample: Any, field: str, value: str
) -> None:
    _, client = sample
    response = await client.post("/api/sample/notes", json={**NOTE, field: value})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert {f["field"] for f in body["details"]["fields"]} == {field}


async def test_nested_control_character_is_422_when_field_is_unknown_to_types(
    sample: Any,
) -> None:
    _, client = sample
    response = await client.post("/api/sample/notes", json={**NOTE, "extra": {"k": ["\u0000"]}})
    assert response.status_code == 422


async def test_database_refusal_is_422_when_input_type_let_a_nul_through(sample: Any) -> None:
    _, client = sample
    response = await client.post("/api/sample/raw-notes", json={"note": "a\u0000b"})
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    # the session survived: the next write on the same app works
    assert (await client.post("/api/sample/raw-notes", json={"note": "fine"})).status_code == 201


@pytest.mark.parametrize(
    "query", ["q=a%00b", "q=%1F", "q=%7f", "q=%C2%85", "page=1&q=x%0Ay", "x=%00"]
)
async def test_query_with_encoded_control_character_is_422(sample: Any, query: str) -> None:
    _, client = sample
    response = await client.get(f"/api/sample/items?{query}")
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert body["request_id"] == response.headers["x-request-id"]


async def test_query_with_percent_encoded_text_passes_when_not_control(sample: Any) -> None:
    _, client = sample
    response = await client.get("/api/sample/items?q=%31%32")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["health", "openapi.json", "docs"])
async def test_service_route_never_shadows_health_and_docs(sample: Any, path: str) -> None:
    _, client = sample
    response = await client.get(f"/api/sample/{path}")
    assert response.status_code == 200


async def test_openapi_documents_each_operations_error_statuses(sample: Any) -> None:
    _, client = sample
    schema = (await client.get("/api/sample/openapi.json")).json()
    paths = schema["paths"]

    def statuses(path: str, method: str) -> set[str]:
        return set(paths[path][method]["responses"])

    gateway = {"400", "414", "429", "500", "502", "503", "504"}
    assert statuses("/api/sample/conflict", "get") == {"200"} | gateway
    assert statuses("/api/sample/me", "get") == {"200", "401"} | gateway
    assert statuses("/api/sample/admin", "get") == {"200", "401", "403"} | gateway
    assert statuses("/api/sample/{item_id}", "get") == {"200", "401", "404", "422"} | gateway
    assert statuses("/api/sample/notes", "post") == {"201", "409", "413", "422"} | gateway
    # query parameters that come through a dependency (pagination) are bad-input statuses too
    assert statuses("/api/sample/items", "get") == {"200", "422"} | gateway
    error = paths["/api/sample/me"]["get"]["responses"]["401"]
    assert error["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    components = schema["components"]["schemas"]
    assert "ErrorBody" in components and "HTTPValidationError" not in components


async def test_token_is_refused_within_seconds_when_its_session_is_revoked(
    sample: Any, signer: TestSigner
) -> None:
    _, client = sample
    session_id = uuid.uuid4()
    headers = signer.headers(sid=str(session_id))
    other = signer.headers(sid=str(uuid.uuid4()))
    assert (await client.get("/api/sample/me", headers=headers)).status_code == 200
    assert (
        await client.post("/api/sample/revoke", json={"session_id": str(session_id)})
    ).status_code == 200
    for _ in range(50):
        response = await client.get("/api/sample/me", headers=headers)
        if response.status_code == 401:
            break
        await asyncio.sleep(0.1)
    assert response.status_code == 401
    assert response.json()["error"] == "token_revoked"
    assert (await client.get("/api/sample/me", headers=other)).status_code == 200


async def test_token_is_refused_when_revoked_before_the_process_started(
    sample: Any, signer: TestSigner, revoked_before_start: uuid.UUID
) -> None:
    _, client = sample
    response = await client.get(
        "/api/sample/me", headers=signer.headers(sid=str(revoked_before_start))
    )
    assert response.status_code == 401
    assert response.json()["error"] == "token_revoked"


async def test_other_methods_on_health_get_the_apps_405_when_not_a_get(sample: Any) -> None:
    _, client = sample
    response = await client.post("/api/sample/health")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


@pytest.mark.parametrize(
    "lost",
    [
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("no answer"),
        redis_exceptions.ConnectionError("Redis went away"),
        redis_exceptions.TimeoutError("Redis did not answer"),
        sqlalchemy_exc.TimeoutError("QueuePool limit of size 20 overflow 0 reached"),
    ],
    ids=type,
)
async def test_a_connection_refused_cut_or_silent_under_a_request_is_503_with_the_error_body(
    sample: Any, signer: TestSigner, lost: Exception
) -> None:
    """While the database restarts the driver raises the socket's own error; Redis's clients
    raise theirs: not a 500."""
    app, client = sample

    async def refused() -> None:
        raise lost

    app.add_api_route("/api/sample/refused", refused, methods=["GET"])
    app.router.routes.insert(0, app.router.routes.pop())  # before the sample's /{id} routes
    try:
        headers = signer.headers(user_id=uuid.uuid4(), role="customer")
        response = await client.get("/api/sample/refused", headers=headers)
    finally:
        app.router.routes.pop(0)
    assert response.status_code == 503
    assert response.json()["error"] == "upstream_unavailable"
    assert response.headers["retry-after"] == "1"
