"""Hostile text never reaches PostgreSQL: a control character in any field or query parameter
is a 422 naming the field (a NUL was a 500 on eight auth endpoints)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import pytest

pytestmark = pytest.mark.integration

Register = Callable[..., Awaitable[dict[str, Any]]]
NUL = "\u0000"


def _fields(response: httpx2.Response) -> set[str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["success"] is False and body["error"] == "validation_error"
    return {f["field"] for f in body["details"]["fields"]}


def _email() -> str:
    return f"nul-{uuid.uuid4().hex[:8]}@example.test"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/auth/register", {"email": f"a{NUL}@b.test", "full_name": "N"}, "email"),
        ("/api/auth/register", {"email": "", "full_name": f"N{NUL}"}, "full_name"),
        ("/api/auth/login", {"email": f"a{NUL}@b.test", "password": "whatever-pw"}, "email"),
        ("/api/auth/login", {"email": "", "password": f"pw{NUL}pw"}, "password"),
        ("/api/auth/forgot-password", {"email": f"a{NUL}@b.test"}, "email"),
        ("/api/auth/resend-verification", {"email": f"a@b{NUL}.test"}, "email"),
        ("/api/auth/verify-email", {"token": f"t{NUL}"}, "token"),
        ("/api/auth/reset-password", {"token": f"t{NUL}", "new_password": "x" * 10}, "token"),
        ("/api/auth/refresh", {"refresh_token": f"r{NUL}"}, "refresh_token"),
    ],
)
async def test_public_endpoint_answers_422_naming_the_field_when_text_holds_a_nul(
    client: httpx2.AsyncClient, path: str, body: dict[str, str], field: str
) -> None:
    if body.get("email") == "":
        body = {**body, "email": _email()}
    if path == "/api/auth/register":
        body = {"password": "long-enough", **body}
    assert field in _fields(await client.post(path, json=body))


async def test_email_answers_422_when_it_holds_another_control_character(
    client: httpx2.AsyncClient,
) -> None:
    for bad in ("a\x01@b.test", "a@b.te\x7fst", "a@b.test\x85", "a@b.test\n"):
        response = await client.post(
            "/api/auth/register",
            json={"email": bad, "password": "long-enough", "full_name": "N"},
        )
        assert _fields(response) == {"email"}


async def test_me_update_answers_422_when_full_name_holds_a_nul(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register()
    response = await client.patch(
        "/api/auth/me", json={"full_name": f"Evil{NUL}Name"}, headers=account["headers"]
    )
    assert _fields(response) == {"full_name"}
    me = await client.get("/api/auth/me", headers=account["headers"])
    assert me.json()["full_name"] == "Test Customer"


async def test_application_answers_422_when_a_form_field_holds_a_nul(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register(verified=True)
    response = await client.post(
        "/api/auth/organizer-applications",
        data={"organization_name": f"Acme{NUL}", "details": f"line one\nline{NUL}two"},
        files={"document": ("doc.pdf", io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "application/pdf")},
        headers=account["headers"],
    )
    assert _fields(response) == {"organization_name", "details"}


async def test_application_keeps_line_breaks_when_details_span_several_lines(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register(verified=True)
    response = await client.post(
        "/api/auth/organizer-applications",
        data={"organization_name": "Acme", "details": "line one\n\tline two"},
        headers=account["headers"],
    )
    assert response.status_code == 201, response.text
    assert response.json()["details"] == "line one\n\tline two"


async def test_reject_answers_422_when_reason_holds_a_nul(
    client: httpx2.AsyncClient, register: Register, admin_headers: dict[str, str]
) -> None:
    account = await register(verified=True)
    application = await client.post(
        "/api/auth/organizer-applications",
        data={"organization_name": "Acme", "details": "we run shows"},
        headers=account["headers"],
    )
    assert application.status_code == 201, application.text
    url = f"/api/auth/admin/organizer-applications/{application.json()['id']}/reject"
    response = await client.post(url, json={"reason": f"no{NUL}"}, headers=admin_headers)
    assert _fields(response) == {"reason"}
    still = await client.get(
        "/api/auth/admin/organizer-applications",
        params={"status": "pending", "page_size": 100},
        headers=admin_headers,
    )
    assert application.json()["id"] in {a["id"] for a in still.json()["items"]}


@pytest.mark.parametrize(
    ("path", "name"), [("/api/auth/admin/users", "q"), ("/api/auth/admin/audit-logs", "action")]
)
async def test_admin_query_answers_422_when_a_parameter_holds_a_control_character(
    client: httpx2.AsyncClient, admin_headers: dict[str, str], path: str, name: str
) -> None:
    for value in ("a\x00b", "a\x1bb", "a\u0085b"):
        response = await client.get(path, params={name: value}, headers=admin_headers)
        assert response.status_code == 422, (value, response.text)
        assert response.json()["error"] == "validation_error"
    fine = await client.get(path, params={name: "ordinary"}, headers=admin_headers)
    assert fine.status_code == 200
