"""postman_collection.json: v2.1, {{baseUrl}} only, the skeleton journey with token capture."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from devstack.services import REPO_ROOT

COLLECTION = REPO_ROOT / "postman_collection.json"
FOLDERS = ["auth", "events", "bookings", "payments", "notifications"]


@pytest.fixture(scope="module")
def collection() -> dict[str, Any]:
    return dict(json.loads(COLLECTION.read_text()))


def requests(collection: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for folder in collection["item"]:
        yield from folder["item"]


def test_collection_is_v21_with_service_folders(collection: dict[str, Any]) -> None:
    assert collection["info"]["schema"].endswith("/v2.1.0/collection.json")
    assert [folder["name"] for folder in collection["item"]] == FOLDERS
    assert any(v["key"] == "baseUrl" for v in collection["variable"])


def test_every_url_uses_base_url_only(collection: dict[str, Any]) -> None:
    for item in requests(collection):
        url = item["request"]["url"]
        assert url["raw"].startswith("{{baseUrl}}/api/"), item["name"]
        assert url["host"] == ["{{baseUrl}}"], item["name"]
        assert "localhost" not in url["raw"] and "127.0.0.1" not in url["raw"]


def test_bodies_declare_json_content_type(collection: dict[str, Any]) -> None:
    for item in requests(collection):
        request = item["request"]
        if "body" in request:
            json.loads(request["body"]["raw"])
            headers = {h["key"].lower(): h["value"] for h in request["header"]}
            assert headers.get("content-type") == "application/json", item["name"]


def test_journey_steps_are_present_in_order(collection: dict[str, Any]) -> None:
    steps = [(i["request"]["method"], i["request"]["url"]["raw"]) for i in requests(collection)]
    wanted = [
        ("POST", "/api/auth/register"),
        ("POST", "/api/auth/login"),
        ("GET", "/api/auth/me"),
        ("GET", "/api/auth/admin/users"),
        ("PATCH", "/api/auth/admin/users/"),
        ("POST", "/api/events"),
        ("POST", "/publish"),
        ("POST", "/holds"),
        ("POST", "/api/bookings"),
        ("POST", "/api/payments"),
        ("GET", "/api/bookings/{{bookingId}}"),
        ("GET", "/pdf"),
    ]
    position = 0
    for method, fragment in wanted:
        while position < len(steps) and not (
            steps[position][0] == method and fragment in steps[position][1]
        ):
            position += 1
        assert position < len(steps), f"missing or out of order: {method} {fragment}"


def test_tokens_and_ids_are_captured(collection: dict[str, Any]) -> None:
    scripts = " ".join(
        line
        for item in requests(collection)
        for event in item.get("event", [])
        for line in event["script"]["exec"]
    )
    for variable in ("accessToken", "adminToken", "eventId", "holdId", "bookingId", "paymentId"):
        assert f'collectionVariables.set("{variable}"' in scripts
