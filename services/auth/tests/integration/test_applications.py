"""Organizer applications: who may apply, the uploaded document, admin decisions, download."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import pytest

from auth_service.documents import FORM_OVERHEAD_BYTES
from shared.testing.fixtures import Outbox

pytestmark = pytest.mark.integration

Register = Callable[..., Awaitable[dict[str, Any]]]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
FIVE_MB = 5 * 1024 * 1024
APPLY = "/api/auth/organizer-applications"
ADMIN_APPS = "/api/auth/admin/organizer-applications"


def _form(name: str = "Acme Events", details: str = "We run concerts.") -> dict[str, str]:
    return {"organization_name": name, "details": details}


async def _apply(
    client: httpx2.AsyncClient,
    account: dict[str, Any],
    *,
    document: tuple[str, bytes, str] | None = None,
    data: dict[str, str] | None = None,
) -> httpx2.Response:
    files = {"document": document} if document else None
    return await client.post(APPLY, data=data or _form(), files=files, headers=account["headers"])


@pytest.mark.parametrize(
    ("content", "declared", "expected"),
    [
        (PDF, "application/octet-stream", "application/pdf"),
        (PNG, "image/jpeg", "image/png"),
        (JPEG, "text/plain", "image/jpeg"),
    ],
)
async def test_apply_answers_201_typing_the_document_by_its_bytes_when_pdf_png_or_jpeg(
    client: httpx2.AsyncClient, register: Register, content: bytes, declared: str, expected: str
) -> None:
    account = await register(verified=True)
    response = await _apply(client, account, document=("anything.bin", content, declared))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending" and body["user_id"] == account["id"]
    assert body["organization_name"] == "Acme Events" and body["details"] == "We run concerts."
    assert body["document"]["content_type"] == expected
    assert body["document"]["size"] == len(content)


async def test_apply_answers_201_without_a_document_when_none_sent(
    client: httpx2.AsyncClient, register: Register, probe: Any
) -> None:
    account = await register(verified=True)
    response = await _apply(client, account)
    assert response.status_code == 201
    assert response.json()["document"] is None
    (row,) = await probe.audit(action="organizer.applied", actor_id=uuid.UUID(account["id"]))
    assert row["details"] == {"has_document": False}


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("cv.pdf", b"<html><script>alert(1)</script></html>"),
        ("photo.png", b"GIF89a\x01\x00\x01\x00"),
        ("scan.jpg", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("doc.pdf", b"PK\x03\x04 a zip pretending"),
    ],
)
async def test_apply_answers_422_when_document_type_is_disguised_by_its_name(
    client: httpx2.AsyncClient, register: Register, filename: str, content: bytes
) -> None:
    account = await register(verified=True)
    response = await _apply(client, account, document=(filename, content, "application/pdf"))
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert body["details"]["fields"][0]["field"] == "document"
    assert body["details"]["fields"][0]["type"] == "file_type"


async def test_apply_answers_422_when_document_is_empty(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register(verified=True)
    response = await _apply(client, account, document=("empty.pdf", b"", "application/pdf"))
    assert response.status_code == 422
    assert response.json()["details"]["fields"][0]["type"] == "empty_file"


async def test_apply_answers_413_when_document_is_over_5_mb(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register(verified=True)
    big = PDF + b"0" * (FIVE_MB + 1 - len(PDF))
    response = await _apply(client, account, document=("big.pdf", big, "application/pdf"))
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    # a document of exactly 5 MB is fine
    exact = PDF + b"0" * (FIVE_MB - len(PDF))
    ok = await _apply(client, account, document=("max.pdf", exact, "application/pdf"))
    assert ok.status_code == 201, ok.text


async def test_apply_answers_413_before_parsing_when_body_is_far_too_large(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register(verified=True)
    huge = PDF + b"0" * (FIVE_MB + 200_000)
    response = await _apply(client, account, document=("huge.pdf", huge, "application/pdf"))
    assert response.status_code == 413
    body = response.json()
    assert body["error"] == "payload_too_large" and body["request_id"]
    # the middleware's answer (the route's would name the document's own limit)
    assert body["details"] == {"max_bytes": FIVE_MB + FORM_OVERHEAD_BYTES}


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({}, {"organization_name", "details"}),
        ({"organization_name": "  ", "details": "x"}, {"organization_name"}),
        ({"organization_name": "A" * 201, "details": "x"}, {"organization_name"}),
        ({"organization_name": "Acme", "details": "x" * 5001}, {"details"}),
    ],
)
async def test_apply_answers_422_per_field_when_form_invalid(
    client: httpx2.AsyncClient, register: Register, data: dict[str, str], fields: set[str]
) -> None:
    account = await register(verified=True)
    response = await client.post(APPLY, data=data, headers=account["headers"])
    assert response.status_code == 422
    assert {f["field"] for f in response.json()["details"]["fields"]} == fields


async def test_apply_answers_403_when_email_unverified(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register()
    response = await _apply(client, account)
    assert response.status_code == 403 and response.json()["error"] == "email_not_verified"


async def test_apply_answers_409_when_an_application_is_already_pending(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register(verified=True)
    assert (await _apply(client, account)).status_code == 201
    again = await _apply(client, account)
    assert again.status_code == 409 and again.json()["error"] == "already_exists"


async def test_apply_answers_401_when_anonymous(client: httpx2.AsyncClient) -> None:
    response = await client.post(APPLY, data=_form())
    assert response.status_code == 401


async def test_approval_makes_the_applicant_an_organizer_and_tells_them_when_admin_approves(
    client: httpx2.AsyncClient,
    register: Register,
    admin_headers: dict[str, str],
    probe: Any,
    outbox: Outbox,
) -> None:
    account = await register(verified=True)
    application = (await _apply(client, account)).json()
    response = await client.post(
        f"{ADMIN_APPS}/{application['id']}/approve", json={}, headers=admin_headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "approved" and body["decided_by"] and body["decided_at"]
    # the role lives in the database; the next token carries it
    refreshed = await client.post(
        "/api/auth/refresh", json={"refresh_token": account["refresh_token"]}
    )
    me = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    )
    assert me.json()["role"] == "organizer"
    (sent,) = await outbox("organizer.decided", user_id=account["id"])
    message = sent["data"]
    assert message["approved"] is True and message["application_id"] == application["id"]
    twice = await client.post(f"{ADMIN_APPS}/{application['id']}/reject", headers=admin_headers)
    assert twice.status_code == 409 and twice.json()["error"] == "invalid_state"
    assert await probe.audit(
        action="organizer.approved", target=f"organizer_application:{application['id']}"
    )


async def test_rejected_applicant_may_apply_again_when_admin_rejected(
    client: httpx2.AsyncClient, register: Register, admin_headers: dict[str, str], outbox: Outbox
) -> None:
    account = await register(verified=True)
    application = (await _apply(client, account)).json()
    rejected = await client.post(
        f"{ADMIN_APPS}/{application['id']}/reject",
        json={"reason": "Tell us more about your venues."},
        headers=admin_headers,
    )
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["reason"] == "Tell us more about your venues."
    (sent,) = await outbox("organizer.decided", user_id=account["id"])
    message = sent["data"]
    assert message["approved"] is False and message["reason"] == "Tell us more about your venues."
    again = await _apply(client, account, data=_form(details="Three venues, 10 years."))
    assert again.status_code == 201 and again.json()["id"] != application["id"]


async def test_admin_lists_applications_filtered_by_status_when_asked(
    client: httpx2.AsyncClient, register: Register, admin_headers: dict[str, str]
) -> None:
    account = await register(verified=True)
    application = (await _apply(client, account)).json()
    pending = await client.get(
        ADMIN_APPS, params={"status": "pending", "page_size": 100}, headers=admin_headers
    )
    assert pending.status_code == 200
    body = pending.json()
    assert {"items", "page", "page_size", "total"} <= set(body)
    assert all(item["status"] == "pending" for item in body["items"])
    mine = next(item for item in body["items"] if item["id"] == application["id"])
    assert mine["email"] == account["email"]
    approved = await client.get(ADMIN_APPS, params={"status": "approved"}, headers=admin_headers)
    assert application["id"] not in {item["id"] for item in approved.json()["items"]}
    bad = await client.get(ADMIN_APPS, params={"status": "maybe"}, headers=admin_headers)
    assert bad.status_code == 422


async def test_admin_downloads_the_document_as_an_attachment_when_one_was_uploaded(
    client: httpx2.AsyncClient, register: Register, admin_headers: dict[str, str]
) -> None:
    account = await register(verified=True)
    application = (await _apply(client, account, document=('"evil".html', PNG, "text/html"))).json()
    response = await client.get(f"{ADMIN_APPS}/{application['id']}/document", headers=admin_headers)
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    disposition = response.headers["content-disposition"]
    assert disposition == f'attachment; filename="organizer-application-{application["id"]}.png"'
    assert "no-store" in response.headers["cache-control"]


async def test_document_download_answers_403_to_the_applicant_and_404_when_none(
    client: httpx2.AsyncClient, register: Register, admin_headers: dict[str, str]
) -> None:
    account = await register(verified=True)
    application = (await _apply(client, account, document=("a.pdf", PDF, "x/y"))).json()
    own = await client.get(f"{ADMIN_APPS}/{application['id']}/document", headers=account["headers"])
    assert own.status_code == 403
    missing = await client.get(f"{ADMIN_APPS}/{uuid.uuid4()}/document", headers=admin_headers)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ADMIN_APPS),
        ("POST", f"{ADMIN_APPS}/{uuid.uuid4()}/approve"),
        ("POST", f"{ADMIN_APPS}/{uuid.uuid4()}/reject"),
    ],
)
async def test_admin_application_routes_answer_403_when_caller_is_a_customer(
    client: httpx2.AsyncClient, register: Register, method: str, path: str
) -> None:
    account = await register()
    response = await client.request(method, path, headers=account["headers"])
    assert response.status_code == 403 and response.json()["error"] == "forbidden"


async def test_decisions_answer_404_or_422_when_application_unknown_or_reason_too_long(
    client: httpx2.AsyncClient, admin_headers: dict[str, str]
) -> None:
    missing = await client.post(f"{ADMIN_APPS}/{uuid.uuid4()}/approve", headers=admin_headers)
    assert missing.status_code == 404
    bad_id = await client.post(f"{ADMIN_APPS}/not-a-uuid/approve", headers=admin_headers)
    assert bad_id.status_code == 422
    long = await client.post(
        f"{ADMIN_APPS}/{uuid.uuid4()}/reject", json={"reason": "x" * 1001}, headers=admin_headers
    )
    assert long.status_code == 422
    assert long.json()["details"]["fields"][0]["field"] == "reason"
