"""postman_collection.json: v2.1, every public operation of the five services, the journey in
order, bounded waits, and a status and shape check on every request. (newman runs it against
a whole stack in tests/clients/test_clients_postman.py.)"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from devstack.services import REPO_ROOT, SERVICES

COLLECTION = REPO_ROOT / "postman_collection.json"
CLIENTS = REPO_ROOT / "tests" / "clients"
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def collection() -> dict[str, Any]:
    return dict(json.loads(COLLECTION.read_text()))


def requests(collection: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for folder in collection["item"]:
        yield from folder["item"]


def api_requests(collection: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """All but the mail reader's (Mailpit's API, where the tokens are read)."""
    return (i for i in requests(collection) if not i["name"].startswith("Mail:"))


def scripts(item: dict[str, Any], listen: str) -> str:
    return "\n".join(
        line
        for event in item.get("event", [])
        if event["listen"] == listen
        for line in event["script"]["exec"]
    )


@pytest.fixture(scope="module")
def public_operations() -> set[tuple[str, str]]:
    """(METHOD, path) of every operation the five services document, but /internal/."""
    found = set()
    for service in SERVICES:
        main = importlib.import_module(f"{service.name}_service.main")
        for path, operations in main.create_app().openapi()["paths"].items():
            if not path.startswith("/internal/"):
                found |= {(m.upper(), path) for m in operations if m in METHODS}
    return found


def operation_of(item: dict[str, Any], operations: set[tuple[str, str]]) -> tuple[str, str]:
    """The documented operation a request calls: literal segments equal, `{{var}}` for a
    `{param}`."""
    method = item["request"]["method"]
    path = item["request"]["url"]["raw"].removeprefix("{{baseUrl}}").split("?")[0]
    segments = path.strip("/").split("/")
    for op_method, op_path in operations:
        template = op_path.strip("/").split("/")
        if (
            op_method == method
            and len(template) == len(segments)
            and all(
                t == s or (t.startswith("{") and re.fullmatch(r"\{\{\w+\}\}", s))
                for t, s in zip(template, segments, strict=True)
            )
        ):
            return op_method, op_path
    raise AssertionError(f"{item['name']}: {method} {path} is no documented operation")


def test_collection_is_v21_with_journey_folders_when_parsed(collection: dict[str, Any]) -> None:
    assert collection["info"]["schema"].endswith("/v2.1.0/collection.json")
    names = [folder["name"] for folder in collection["item"]]
    assert [int(name.split(".")[0]) for name in names] == list(range(1, len(names) + 1))
    variables = {v["key"] for v in collection["variable"]}
    assert {"baseUrl", "adminEmail", "adminPassword", "mailUrl"} <= variables


# Postman (newman) waits for an answer to end; a Server-Sent Events stream never does. It is
# tested through the gateway in tests/e2e/test_live_availability.py.
STREAMS = {("GET", "/api/events/{event_id}/live")}


def test_collection_covers_every_public_operation_when_compared_to_openapi(
    collection: dict[str, Any], public_operations: set[tuple[str, str]]
) -> None:
    called = {operation_of(item, public_operations) for item in api_requests(collection)}
    assert STREAMS.issubset(public_operations)  # still there: else drop it from STREAMS
    assert sorted(public_operations - called - STREAMS) == []
    assert len(public_operations) >= 48


def test_request_names_are_unique_when_jumped_to(collection: dict[str, Any]) -> None:
    """setNextRequest jumps by name."""
    names = [item["name"] for item in requests(collection)]
    assert len(names) == len(set(names))


def test_every_url_uses_base_url_only(collection: dict[str, Any]) -> None:
    for item in requests(collection):
        url = item["request"]["url"]
        base = "{{mailUrl}}/api/v1/" if item["name"].startswith("Mail:") else "{{baseUrl}}/api/"
        assert url["raw"].startswith(base), item["name"]
        assert url["host"] == [base.split("/")[0]], item["name"]
        assert "localhost" not in url["raw"] and "127.0.0.1" not in url["raw"]


def test_bodies_declare_json_content_type(collection: dict[str, Any]) -> None:
    for item in requests(collection):
        request = item["request"]
        if request.get("body", {}).get("mode") == "raw":
            # unquoted {{variables}} stand for numbers
            json.loads(re.sub(r"(?<!\")\{\{\w+\}\}(?!\")", "0", request["body"]["raw"]))
            headers = {h["key"].lower(): h["value"] for h in request["header"]}
            assert headers.get("content-type") == "application/json", item["name"]


def test_uploads_name_files_that_exist_when_read(collection: dict[str, Any]) -> None:
    files = [
        field["src"]
        for item in requests(collection)
        for field in item["request"].get("body", {}).get("formdata", [])
        if field.get("type") == "file"
    ]
    assert files
    for src in files:
        assert (CLIENTS / src).is_file(), src


def test_every_request_asserts_its_status_and_json_shape_when_read(
    collection: dict[str, Any],
) -> None:
    for item in requests(collection):
        tests = scripts(item, "test")
        assert re.search(r"pm\.response\.to\.have\.status\(\d{3}\)", tests), item["name"]
        statuses = {int(s) for s in re.findall(r"to\.have\.status\((\d{3})\)", tests)}
        binary = "pdf" in tests.lower() or "text/csv" in tests  # no JSON: checked otherwise
        if statuses & {200, 201} and not binary and "document" not in item["name"]:
            assert "jsonSchema(" in tests, item["name"]


def test_errors_are_checked_against_the_contract_body_when_any_request_fails(
    collection: dict[str, Any],
) -> None:
    (event,) = [e for e in collection["event"] if e["listen"] == "test"]
    text = "\n".join(event["script"]["exec"])
    for key in ("success", "error", "message", "details", "request_id"):
        assert f'"{key}"' in text
    assert "X-Request-ID" in text


def test_waits_retry_a_bounded_number_of_times_when_not_ready(collection: dict[str, Any]) -> None:
    waits = [i for i in requests(collection) if "setNextRequest" in scripts(i, "test")]
    names = {i["name"] for i in waits}
    for wanted in (
        "Wait for the booking to be confirmed",
        "Wait for the ticket PDF",
        "Wait for the booking to be refunded",
        "Wait until the logged-out access token is refused",
    ):
        assert wanted in names
    for item in waits:
        tests = scripts(item, "test")
        assert re.search(r"tries < \d+\)", tests), item["name"]  # bounded
        assert "postman.setNextRequest(pm.info.requestName)" in tests  # only to itself
        assert "setTimeout" in scripts(item, "prerequest"), item["name"]  # paced


def test_journey_steps_are_present_in_order(collection: dict[str, Any]) -> None:
    steps = [(i["request"]["method"], i["request"]["url"]["raw"]) for i in requests(collection)]
    wanted = [
        ("POST", "/api/auth/register"),
        ("POST", "/api/auth/login"),
        ("POST", "/api/auth/verify-email"),
        ("POST", "/api/auth/organizer-applications"),
        ("POST", "/approve"),
        ("POST", "/api/events"),
        ("POST", "/publish"),
        ("POST", "/holds"),
        ("POST", "/api/bookings"),
        ("POST", "/api/payments"),
        ("GET", "/api/bookings/{{bookingId}}"),
        ("POST", "/api/bookings/checkin"),
        ("GET", "/pdf"),
        ("POST", "/refund"),
        ("POST", "/api/auth/logout"),
    ]
    position = 0
    for method, fragment in wanted:
        while position < len(steps) and not (
            steps[position][0] == method and fragment in steps[position][1]
        ):
            position += 1
        assert position < len(steps), f"missing or out of order: {method} {fragment}"


def test_tokens_and_ids_are_captured(collection: dict[str, Any]) -> None:
    captured = " ".join(scripts(item, "test") for item in requests(collection))
    for variable in (
        "organizerToken",
        "buyerToken",
        "adminToken",
        "eventId",
        "holdId",
        "bookingId",
        "paymentId",
        "ticketCode",
        "verifyToken",
        "resetToken",
    ):
        assert f'collectionVariables.set("{variable}"' in captured, variable
