"""The control-character refusals of the hardening that the service tests proved without the
gateway, proved again through it: an organizer's event edits and cancellation, an organizer
application and its rejection, the admin searches. Each is a 422 naming the field, and nothing
stored changes."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from tests.e2e.api_client import Actor, Cast, event_body, published_event, verify_email

pytestmark = pytest.mark.e2e

NUL = "\u0000"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _refused_fields(response: httpx2.Response) -> set[str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["success"] is False and body["error"] == "validation_error" and body["request_id"]
    return {f["field"] for f in body["details"]["fields"]}


async def test_event_edit_and_cancel_are_422_when_a_field_holds_a_nul(
    cast: Cast, admin: Actor
) -> None:
    host = await cast.organizer(admin, "nul-host")
    event = await published_event(host, event_body())
    path = f"/api/events/{event['id']}"

    patched = await host.patch(path, json={"location": f"Hall{NUL}"})
    cancelled = await host.post(f"{path}/cancel", json={"reason": f"storm{NUL}"})

    assert "location" in _refused_fields(patched)
    assert "reason" in _refused_fields(cancelled)
    stored = (await host.get(path)).json()
    assert (stored["location"], stored["status"]) == (event["location"], "published")


async def test_organizer_application_and_its_rejection_are_422_when_a_field_holds_a_nul(
    cast: Cast, admin: Actor, mailbox: Any
) -> None:
    applicant = await cast.person("nul-applicant")
    await verify_email(applicant, mailbox)
    url = "/api/auth/organizer-applications"
    document = {"document": ("doc.pdf", PDF, "application/pdf")}

    refused = await applicant.post(
        url, data={"organization_name": f"Acme{NUL}", "details": "shows"}, files=document
    )
    assert _refused_fields(refused) == {"organization_name"}
    created = await applicant.post(
        url, data={"organization_name": "Acme", "details": "shows"}, files=document
    )
    assert created.status_code == 201, created.text
    application = created.json()
    reject = f"/api/auth/admin/organizer-applications/{application['id']}/reject"

    assert _refused_fields(await admin.post(reject, json={"reason": f"no{NUL}"})) == {"reason"}
    pending = await admin.get(
        "/api/auth/admin/organizer-applications", params={"status": "pending", "page_size": 100}
    )
    assert application["id"] in {a["id"] for a in pending.json()["items"]}


@pytest.mark.parametrize(
    ("path", "name"), [("/api/auth/admin/users", "q"), ("/api/auth/admin/audit-logs", "action")]
)
async def test_admin_search_is_422_when_a_parameter_holds_a_control_character(
    admin: Actor, path: str, name: str
) -> None:
    for value in ("a\x00b", "a\x1bb"):
        response = await admin.get(path, params={name: value})
        assert response.status_code == 422, (value, response.text)
        assert response.json()["error"] == "validation_error"
    assert (await admin.get(path, params={name: "ordinary"})).status_code == 200
