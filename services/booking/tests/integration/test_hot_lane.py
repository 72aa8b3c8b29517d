"""The hot lane (``hot.py``): ``GET /api/bookings/{id}`` and ``POST /api/bookings`` answered
without FastAPI's per-request work — exactly as the routes would answer, and handed to FastAPI
whenever the lane cannot be sure (then FastAPI gets the body it read)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx2
import pytest

from booking_service import hot
from services.booking.tests.integration.conftest import Customer
from shared.observability import HTTP_REQUESTS
from shared.testing.hotlane import answers_taken

pytestmark = pytest.mark.integration

Answer = tuple[int, str, str]


def _plain(response: httpx2.Response) -> Answer:
    """Status, content type and body, without the request id (it differs every time)."""
    text = re.sub(r'"request_id":"[^"]*"', '"request_id":"…"', response.text)
    return response.status_code, response.headers.get("content-type", ""), text


async def _transcript(
    client: httpx2.AsyncClient, people: dict[str, Any], booking: str
) -> list[Any]:
    """The same requests about one booking: what the service answered to each."""
    path = f"/api/bookings/{booking}"
    requests: list[tuple[str, dict[str, str]]] = [
        (path, people["buyer"].headers),  # 200
        (path, people["admin"].headers),  # 200
        (path, people["organizer"].headers),  # 200: the event's organizer
        (path, people["stranger"].headers),  # 404
        (f"/api/bookings/{uuid.uuid4()}", people["buyer"].headers),  # 404 unknown
        (path, {}),  # 401 no token
        (path, {"Authorization": "Bearer nonsense"}),  # 401
        (path, {"Authorization": "Basic abc"}),  # 401
        ("/api/bookings/not-a-uuid", people["buyer"].headers),  # 422
        (path.upper().replace("/API/BOOKINGS/", "/api/bookings/"), people["buyer"].headers),
        (f"{path}?extra=1", people["buyer"].headers),  # 200: unknown parameters are ignored
        (f"{path}?wait=0", people["buyer"].headers),  # 200
        (f"{path}?wait=25", people["buyer"].headers),  # 200 at once: it is not pending
        (f"{path}?wait=25", people["stranger"].headers),  # 404 at once
        (f"{path}?wait=26", people["buyer"].headers),  # 422 (at most 25)
        (f"{path}?wait=-1", people["buyer"].headers),  # 422
        (f"{path}?wait=soon", people["buyer"].headers),  # 422
    ]
    return [_plain(await client.get(url, headers=headers)) for url, headers in requests]


async def test_hot_lane_answers_every_read_as_the_route_does_when_the_same_are_sent(
    client: httpx2.AsyncClient,
    customer: Any,
    signer: Any,
    confirmed_booking: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    organizer_id = uuid.uuid4()
    people = {
        "buyer": customer(),
        "admin": customer("admin"),
        "stranger": customer(),
        "organizer": Customer(organizer_id, signer.headers(user_id=organizer_id, role="organizer")),
    }
    booking = await confirmed_booking(people["buyer"], organizer_id=organizer_id)

    with_lane = await _transcript(client, people, booking["id"])
    monkeypatch.setattr(hot, "_PATH", re.compile(r"(?!)"))  # the lane takes nothing
    route_only = await _transcript(client, people, booking["id"])

    assert with_lane == route_only
    assert [status for status, _, _ in with_lane] == [
        *(200, 200, 200, 404, 404),
        *(401, 401, 401, 422, 200, 200),
        *(200, 200, 404, 422, 422, 422),
    ]
    assert with_lane[0][1] == "application/json"


def _named(response: httpx2.Response) -> Answer:
    """As :func:`_plain`, with ids, times and hold ids named instead."""
    status, content_type, text = _plain(response)
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT[0-9:.]+(Z|[+-]\d\d:\d\d)", "<time>", text)
    text = re.sub(r"A-L-[0-9a-f]{6}", "<seat>", text)
    return status, f"{content_type} {response.headers.get('idempotent-replayed')}", text


async def _bookings_transcript(
    client: httpx2.AsyncClient, customer: Any, fake_event: Any
) -> list[Any]:
    """The same creations, on holds of their own: what the service answered to each."""
    buyer, other = customer(), customer()
    seat, also = (f"A-L-{uuid.uuid4().hex[:6]}" for _ in range(2))
    event_id = uuid.uuid4()
    first = fake_event.add_hold(user_id=buyer.id, event_id=event_id, seats=[(seat, "vip", 8000)])
    same_seat = fake_event.add_hold(
        user_id=other.id, event_id=event_id, seats=[(seat, "vip", 8000)]
    )
    keyed = fake_event.add_hold(user_id=buyer.id, seats=[(also, "vip", 8000)]).hold_id
    spare = fake_event.add_hold(user_id=buyer.id).hold_id
    key = {**buyer.headers, "Idempotency-Key": f"key-{uuid.uuid4()}"}
    requests: list[tuple[dict[str, Any], dict[str, str]]] = [
        ({"hold_id": first.hold_id}, buyer.headers),  # 201
        ({"hold_id": first.hold_id}, buyer.headers),  # 409 already_exists
        ({"hold_id": first.hold_id}, other.headers),  # 403 someone else's
        ({"hold_id": same_seat.hold_id}, other.headers),  # 409 seats_unavailable
        ({"hold_id": "no-such-hold"}, buyer.headers),  # 409 hold_expired
        ({"hold_id": keyed}, key),  # 201
        ({"hold_id": keyed}, key),  # 201 replayed
        ({"hold_id": spare}, key),  # 409 idempotency_conflict
        ({"hold_id": spare}, {**buyer.headers, "Idempotency-Key": "has space"}),  # 422
        ({"hold_id": "not/a/hold"}, buyer.headers),  # 422 pattern
        ({"hold_id": spare, "x": 1}, buyer.headers),  # 422 unknown field
        ({"hold_id": spare}, {}),  # 401 no token
        ({"hold_id": spare}, {"Authorization": "Bearer nonsense"}),  # 401
    ]
    answers = []
    for body, headers in requests:
        answers.append(_named(await client.post("/api/bookings", json=body, headers=headers)))
    json_type = {**buyer.headers, "Content-Type": "application/json"}
    malformed = await client.post("/api/bookings", content=b'{"hold_id": ', headers=json_type)
    text_type = {**buyer.headers, "Content-Type": "text/plain"}
    text = await client.post("/api/bookings", content=b"{}", headers=text_type)
    return [*answers, _named(malformed), _named(text)]


async def test_hot_lane_creates_as_the_route_does_when_the_same_bookings_are_asked_for(
    client: httpx2.AsyncClient,
    customer: Any,
    fake_event: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_lane = await _bookings_transcript(client, customer, fake_event)
    monkeypatch.setattr(hot, "_CREATE", "/never")  # the lane takes nothing
    route_only = await _bookings_transcript(client, customer, fake_event)

    assert with_lane == route_only
    assert [status for status, _, _ in with_lane] == [
        *(201, 409, 403, 409, 409, 201, 201, 409),
        *(422, 422, 422, 401, 401, 422, 422),
    ]
    assert [replayed for _, replayed, _ in with_lane[5:7]] == [
        "application/json None",
        "application/json true",
    ]
    assert [text.split('"error":')[1][:20] for _, _, text in with_lane[1:5]] == [
        '"already_exists","me',
        '"forbidden","message',
        '"seats_unavailable",',
        '"hold_expired","mess',
    ]


async def test_hot_lane_takes_owned_reads_and_leaves_the_rest_to_fastapi_when_unsure(
    client: httpx2.AsyncClient, customer: Any, book: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = answers_taken(monkeypatch, hot, "_answer_read")
    buyer = customer()
    booking = (await book(buyer)).json()
    path = f"/api/bookings/{booking['id']}"

    mine = await client.get(path, headers=buyer.headers)
    theirs = await client.get(path, headers=customer().headers)
    assert (mine.status_code, theirs.status_code, taken) == (200, 404, [200, 404])

    anonymous = await client.get(path)
    head = await client.head(path, headers=buyer.headers)
    listing = await client.get("/api/bookings", headers=buyer.headers)
    sales = await client.get("/api/bookings/sales", headers=customer("admin").headers)
    assert (anonymous.status_code, head.status_code) == (401, 405)
    assert (listing.status_code, sales.status_code) == (200, 200)
    assert taken == [200, 404]  # those went to FastAPI


async def test_hot_lane_labels_its_answers_with_the_route_when_it_takes_them(
    client: httpx2.AsyncClient, customer: Any, book: Any
) -> None:
    labels = ("booking", "GET", "/api/bookings/{booking_id}", "200")
    before = HTTP_REQUESTS.labels(*labels)._value.get()
    buyer = customer()
    booking = (await book(buyer)).json()

    response = await client.get(f"/api/bookings/{booking['id']}", headers=buyer.headers)

    assert response.status_code == 200
    assert HTTP_REQUESTS.labels(*labels)._value.get() == before + 1
