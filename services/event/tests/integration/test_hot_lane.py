"""The hot lane (``hot.py``): ``POST /api/events/{id}/holds`` answered without FastAPI's
per-request work — exactly as the route would answer, and handed to FastAPI whenever the lane
cannot be sure (then FastAPI gets the body it read)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx2
import pytest

from event_service import hot
from shared.observability import HTTP_REQUESTS
from shared.testing.hotlane import answers_taken

pytestmark = pytest.mark.integration

Answer = tuple[int, Any]


def _plain(response: httpx2.Response, names: dict[str, str]) -> Answer:
    """Status and body with what differs from run to run (ids, times) named instead."""
    text = response.text
    for value, name in names.items():
        text = text.replace(value, name)
    text = re.sub(r'"request_id":"[^"]*"', '"request_id":"…"', text)
    text = re.sub(r"\d{4}-\d\d-\d\dT[0-9:.]+(Z|[+-]\d\d:\d\d)", "<time>", text)
    text = re.sub(r"[0-9a-f]{32}_[0-9a-f]{24}", "<hold>", text)
    return response.status_code, text


async def _transcript(client: httpx2.AsyncClient, make_event: Any, buyer: Any) -> list[Answer]:
    """The same requests, on events of their own: what the service answered to each."""
    event = await make_event(max_tickets_per_buyer=3)
    draft = await make_event(publish=False)
    names = {event["id"]: "<event>", draft["id"]: "<draft>"}
    path = f"/api/events/{event['id']}/holds"
    one, two = buyer(), buyer()
    json_type = {"Content-Type": "application/json"}
    plain_text = {"Content-Type": "text/plain"}
    requests: list[tuple[str, Any, dict[str, str]]] = [
        (path, {"seat_ids": ["A-A-1", "A-A-2"]}, one["headers"]),  # 201
        (path, {"seat_ids": ["A-A-1"]}, two["headers"]),  # 409 seats_unavailable
        (path, {"seat_ids": ["A-A-3", "A-A-4"]}, one["headers"]),  # 409 buyer limit
        (path, {"tier": "floor", "quantity": 2}, two["headers"]),  # 201 general admission
        (path, {"tier": "floor", "quantity": 9}, buyer()["headers"]),  # 409 sold out
        (path, {"seat_ids": ["Z-Z-99"]}, two["headers"]),  # 422 from the use case
        (path, {"tier": "vip", "quantity": 1}, two["headers"]),  # 422 reserved tier
        (path, {"seat_ids": ["A-A-5"], "tier": "vip"}, two["headers"]),  # 422 body model
        (path, {"seat_ids": ["A-A-5"], "x": 1}, two["headers"]),  # 422 unknown field
        (path, {"seat_ids": ["A-A-5"]}, {}),  # 401 no token
        (path, {"seat_ids": ["A-A-5"]}, {"Authorization": "Bearer nonsense"}),  # 401
        (path, {"seat_ids": ["A-A-5"]}, {"Authorization": "Basic abc"}),  # 401
        (path.replace(event["id"], "not-a-uuid"), {"seat_ids": ["A-A-5"]}, two["headers"]),
        (path.replace(event["id"], event["id"].upper()), {"seat_ids": ["A-B-1"]}, one["headers"]),
        (path.replace(event["id"], str(uuid.uuid4())), {"seat_ids": ["A-A-5"]}, two["headers"]),
        (f"/api/events/{draft['id']}/holds", {"seat_ids": ["A-A-5"]}, two["headers"]),  # 404
    ]
    answers = []
    for url, body, headers in requests:
        response = await client.post(url, json=body, headers=headers)
        answers.append(_plain(response, names))
    raw = await client.post(
        path, content=b'{"seat_ids": ["A-A-6"', headers=two["headers"] | json_type
    )  # 422 malformed JSON
    text = await client.post(
        path,
        content=b'{"seat_ids": ["A-A-6"]}',
        headers=two["headers"] | plain_text,
    )
    answers += [_plain(raw, names), _plain(text, names)]
    return answers


async def test_hot_lane_answers_every_request_as_the_route_does_when_the_same_are_sent(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_lane = await _transcript(client, make_event, buyer)
    monkeypatch.setattr(hot, "_PATH", re.compile(r"(?!)"))  # the lane takes nothing
    route_only = await _transcript(client, make_event, buyer)

    assert with_lane == route_only
    statuses = [status for status, _ in with_lane]
    assert statuses[:9] == [201, 409, 409, 201, 409, 422, 422, 422, 422]
    assert statuses[9:] == [401, 401, 401, 422, 201, 404, 404, 422, 422]


async def test_hot_lane_takes_a_hold_and_leaves_the_rest_to_fastapi_when_unsure(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = answers_taken(monkeypatch, hot, "_answer")
    event = await make_event()
    path = f"/api/events/{event['id']}/holds"
    me = buyer()

    held = await client.post(path, json={"seat_ids": ["A-A-1"]}, headers=me["headers"])
    again = await client.post(path, json={"seat_ids": ["A-A-1"]}, headers=buyer()["headers"])
    assert (held.status_code, again.status_code, taken) == (201, 409, [201, 409])

    refused = await client.post(path, json={"seat_ids": ["A-A-2"], "x": 1}, headers=me["headers"])
    anonymous = await client.post(path, json={"seat_ids": ["A-A-2"]})
    big = {"seat_ids": [f"S-{n}" for n in range(30_000)]}  # over the lane's body cap
    huge = await client.post(path, json=big, headers=me["headers"])
    assert (refused.status_code, anonymous.status_code, huge.status_code) == (422, 401, 422)
    assert refused.json()["details"]["fields"][0]["field"] == "x"  # FastAPI read the body
    assert huge.json()["details"]["fields"][0]["field"] == "seat_ids"
    assert taken == [201, 409]  # those three went to FastAPI


async def test_hot_lane_labels_its_answers_with_the_route_when_it_takes_them(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any
) -> None:
    labels = ("event", "POST", "/api/events/{event_id}/holds", "201")
    before = HTTP_REQUESTS.labels(*labels)._value.get()
    event = await make_event()
    response = await client.post(
        f"/api/events/{event['id']}/holds", json={"seat_ids": ["A-A-1"]}, headers=buyer()["headers"]
    )
    assert response.status_code == 201
    assert HTTP_REQUESTS.labels(*labels)._value.get() == before + 1
