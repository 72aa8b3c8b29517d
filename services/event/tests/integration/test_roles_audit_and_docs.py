"""Who may act on an event (the roles in the caller's token, now), the messages that say who
acted, and the documentation of every status an operation answers."""

from __future__ import annotations

import uuid
from typing import Any

import httpx2
import pytest

from shared.testing.tokens import TestSigner

pytestmark = pytest.mark.integration


# --- roles ---------------------------------------------------------------------------------


async def test_a_demoted_organizer_cannot_manage_their_own_event_with_a_customer_token(
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any], signer: TestSigner
) -> None:
    draft = await make_event(publish=False)
    demoted = signer.headers(user_id=organizer["id"], role="customer")
    path = f"/api/events/{draft['id']}"
    calls = [
        ("POST", f"{path}/publish", None),
        ("PATCH", path, {"title": "Mine still?"}),
        ("POST", f"{path}/cancel", {"reason": "no"}),
        ("DELETE", path, None),
    ]
    for method, url, body in calls:
        response = await client.request(method, url, json=body, headers=demoted)
        assert response.status_code == 403, (method, url, response.text)
        assert response.json()["error"] == "forbidden"
    detail = await client.get(path, headers=organizer["headers"])
    assert (detail.json()["status"], detail.json()["title"]) == ("draft", draft["title"])
    # the same user with an organizer token again may
    response = await client.post(f"{path}/publish", headers=organizer["headers"])
    assert response.status_code == 200, response.text


# --- audit messages ----------------------------------------------------------------------------


async def test_event_actions_are_announced_with_their_actor_when_organizer_or_admin_acts(
    client: httpx2.AsyncClient,
    make_event: Any,
    organizer: dict[str, Any],
    signer: TestSigner,
    announced: Any,
) -> None:
    admin_id = uuid.uuid4()
    admin = signer.headers(user_id=admin_id, role="admin")
    event = await make_event(publish=False)
    created = await announced("event.created", event["id"])
    assert created["actor_id"] == created["organizer_id"] == str(organizer["id"])
    assert created["title"] == event["title"]

    assert (await client.post(f"/api/events/{event['id']}/publish", headers=admin)).is_success
    published = await announced("event.published", event["id"])
    assert (published["actor_id"], published["organizer_id"]) == (
        str(admin_id),
        str(organizer["id"]),
    )

    cancel = await client.post(
        f"/api/events/{event['id']}/cancel", json={"reason": "r"}, headers=organizer["headers"]
    )
    assert cancel.status_code == 200, cancel.text
    cancelled = await announced("event.cancelled", event["id"])
    assert (cancelled["actor_id"], cancelled["reason"]) == (str(organizer["id"]), "r")

    doomed = await make_event(publish=False)
    response = await client.delete(f"/api/events/{doomed['id']}", headers=admin)
    assert response.status_code == 204, response.text
    deleted = await announced("event.deleted", doomed["id"])
    assert (deleted["actor_id"], deleted["organizer_id"]) == (str(admin_id), str(organizer["id"]))
    assert deleted["title"] == doomed["title"]


# --- OpenAPI, health and docs --------------------------------------------------------------


async def test_health_docs_and_openapi_answer_200_under_the_public_prefix(
    client: httpx2.AsyncClient,
) -> None:
    for path in ("/api/events/health", "/api/events/docs", "/api/events/openapi.json"):
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text)


async def test_openapi_documents_the_statuses_each_operation_answers(
    client: httpx2.AsyncClient,
) -> None:
    paths = (await client.get("/api/events/openapi.json")).json()["paths"]

    def statuses(path: str, method: str) -> set[str]:
        return set(paths[path][method]["responses"])

    holds = statuses("/api/events/{event_id}/holds", "post")
    assert {"201", "401", "403", "404", "409", "413", "422", "429"} <= holds
    for path, method in [
        ("/api/events/{event_id}", "patch"),
        ("/api/events/{event_id}", "delete"),
        ("/api/events/{event_id}/publish", "post"),
        ("/api/events/{event_id}/cancel", "post"),
    ]:
        assert {"401", "403", "404", "409", "422"} <= statuses(path, method), (path, method)
    assert {"401", "404"} <= statuses("/api/events/{event_id}", "get")
    assert {"304", "401", "404"} <= statuses("/api/events/{event_id}/seats", "get")
    assert {"401", "403", "422"} <= statuses("/api/events", "post")
    assert "422" in statuses("/api/events", "get")
    assert paths["/api/events/{event_id}"]["delete"]["responses"]["204"]["content"] == {}
    assert {"401", "409"} <= statuses("/internal/holds/retake", "post")
    assert {"401", "403", "409"} <= statuses("/internal/holds/{hold_id}/claim", "post")
