"""What every request meets at booking's edge: hostile text refused (422, never a 500), the
health and docs paths never shadowed by ``/{booking_id}``, an OpenAPI that documents every
status each operation answers, and revoked sessions refused."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.contracts.auth import SessionRevokedV1
from shared.openapi import GATEWAY_STATUSES
from shared.testing.eventually import eventually

pytestmark = [pytest.mark.integration]


def _fields(response: Any) -> set[str]:
    return {f["field"] for f in response.json()["details"]["fields"]}


def _json(headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """The body as JSON escapes (``\\u0000``, a lone ``\\ud800``): what a hostile client sends."""
    return {"content": json.dumps(body), "headers": {**headers, "content-type": "application/json"}}


# --- hostile text ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["\x00", "\x1b[31m", "\u0085", "\ud800"])
async def test_create_is_422_naming_hold_id_when_it_holds_a_control_character(
    client: Any, customer: Any, bad: str
) -> None:
    response = await client.post(
        "/api/bookings", **_json(customer().headers, {"hold_id": f"hold{bad}x"})
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error" and _fields(response) == {"hold_id"}


@pytest.mark.parametrize("bad", ["\x00", "\t", "\x7f"])
async def test_checkin_is_422_naming_code_when_it_holds_a_control_character(
    client: Any, customer: Any, bad: str
) -> None:
    response = await client.post(
        "/api/bookings/checkin", **_json(customer("admin").headers, {"code": f"e30{bad}.e30"})
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error" and _fields(response) == {"code"}


async def test_create_is_422_when_body_has_unknown_field_with_a_nul(
    client: Any, customer: Any
) -> None:
    response = await client.post(
        "/api/bookings", **_json(customer().headers, {"hold_id": "h-1", "note\x00": "x"})
    )
    assert response.status_code == 422 and response.json()["error"] == "validation_error"


# --- health and docs through the service prefix ---------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/bookings/health", "application/json"),
        ("/api/bookings/health/ready", "application/json"),
        ("/api/bookings/openapi.json", "application/json"),
        ("/api/bookings/docs", "text/html"),
    ],
)
async def test_health_and_docs_answer_200_when_asked_through_the_prefix(
    client: Any, customer: Any, path: str, content_type: str, signed_in: bool
) -> None:
    """L6: these were read as a booking id (401 without a token, 422 with one)."""
    headers = customer().headers if signed_in else {}
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(content_type)


# --- OpenAPI --------------------------------------------------------------------------------

# Besides what the gateway may answer to anything (400, 414, 429, 500, 502, 503, 504).
EXPECTED_ERRORS = {
    ("post", "/api/bookings"): {401, 403, 409, 413, 422},
    ("get", "/api/bookings"): {401, 422},
    ("get", "/api/bookings/.well-known/ticket-keys"): set(),
    ("get", "/api/bookings/sales"): {401, 403},
    ("get", "/api/bookings/events/{event_id}/sales"): {401, 403, 404, 422},
    ("get", "/api/bookings/events/{event_id}/attendees.csv"): {401, 403, 404, 422},
    ("get", "/api/bookings/admin/all"): {401, 403, 422},
    ("post", "/api/bookings/checkin"): {400, 401, 403, 409, 413, 422},
    ("get", "/api/bookings/{booking_id}"): {401, 404, 422},
    ("post", "/api/bookings/{booking_id}/cancel"): {401, 403, 404, 409, 422},
    ("get", "/internal/bookings/{booking_id}"): {401, 404, 422},
}


async def test_openapi_documents_every_error_status_when_an_operation_can_answer_it(
    client: Any,
) -> None:
    """L8: every operation documented only its 2xx and 422."""
    spec = (await client.get("/openapi.json")).json()

    documented = {
        (method, path): {int(code) for code in operation["responses"] if int(code) >= 400}
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    }

    assert documented == {
        key: statuses | set(GATEWAY_STATUSES) for key, statuses in EXPECTED_ERRORS.items()
    }
    error_body = {"$ref": "#/components/schemas/ErrorBody"}
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            for code, response in operation["responses"].items():
                if int(code) >= 400:
                    assert response["content"]["application/json"]["schema"] == error_body, (
                        path,
                        code,
                    )


# --- revoked sessions -----------------------------------------------------------------------


async def test_token_is_401_token_revoked_when_its_session_was_revoked(
    client: Any, signer: Any, publish: Any
) -> None:
    """L1: logout, password change, demotion… end a session's tokens here within seconds."""
    user_id, session_id = uuid.uuid4(), uuid.uuid4()
    headers = signer.headers(user_id=user_id, sid=str(session_id))
    assert (await client.get("/api/bookings", headers=headers)).status_code == 200

    await publish(
        SessionRevokedV1(
            user_id=user_id,
            session_ids=[session_id],
            reason="logout",
            expires_at=datetime.now(UTC) + timedelta(minutes=15),
        )
    )

    async def answer() -> Any:
        return await client.get("/api/bookings", headers=headers)

    refused = await eventually(answer, until=lambda r: r.status_code == 401, timeout=5)
    assert refused.json()["error"] == "token_revoked"
    other_session = signer.headers(user_id=user_id, sid=str(uuid.uuid4()))
    assert (await client.get("/api/bookings", headers=other_session)).status_code == 200
