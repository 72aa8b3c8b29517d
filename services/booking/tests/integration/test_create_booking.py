"""POST /api/bookings: claiming the hold, the one transaction, idempotency and the seat index."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from booking_service import hot
from shared.idempotency import fingerprint
from shared.testing.hotlane import answers_taken

pytestmark = [
    pytest.mark.integration,
]


async def test_booking_is_created_pending_with_booking_created_when_hold_is_claimed(
    client: Any, customer: Any, fake_event: Any, outbox: Any, listen: Any
) -> None:
    user = customer()
    created = await listen("booking.created")
    event_id = uuid.uuid4()
    hold = fake_event.add_hold(
        user_id=user.id, event_id=event_id, seats=[("A-B-7", "vip", 8000), ("A-B-8", "vip", 8000)]
    )
    before = datetime.now(UTC)

    response = await client.post(
        "/api/bookings", json={"hold_id": hold.hold_id}, headers=user.headers
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending_payment"
    assert body["event_id"] == str(event_id)
    assert body["seats"] == [
        {"seat_id": "A-B-7", "tier": "vip", "price": 8000},
        {"seat_id": "A-B-8", "tier": "vip", "price": 8000},
    ]
    assert (body["amount"], body["currency"]) == (16000, "USD")
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert before + timedelta(seconds=890) < expires_at < before + timedelta(seconds=910)
    assert body["created_at"]
    assert body["event"]["title"] == "The Show"

    [message] = await outbox("booking.created", booking_id=body["id"])
    assert message["data"]["hold_id"] == hold.hold_id
    assert message["data"]["user_id"] == str(user.id)
    assert message["data"]["amount"] == 16000
    assert [s["seat_id"] for s in message["data"]["seats"]] == ["A-B-7", "A-B-8"]
    published = await created.get_json()
    assert published["type"] == "booking.created"
    assert published["data"]["booking_id"] == body["id"]


async def test_booking_is_409_hold_expired_when_event_does_not_know_the_hold(
    client: Any, customer: Any
) -> None:
    response = await client.post(
        "/api/bookings", json={"hold_id": str(uuid.uuid4())}, headers=customer().headers
    )
    assert response.status_code == 409
    assert response.json()["error"] == "hold_expired"


@pytest.mark.parametrize("status", [404, 409, 410])
async def test_booking_is_409_hold_expired_when_event_refuses_the_claim_as_gone(
    client: Any, customer: Any, fake_event: Any, status: int
) -> None:
    user = customer()
    hold = fake_event.add_hold(user_id=user.id)
    fake_event.claim_statuses[hold.hold_id] = status
    response = await client.post(
        "/api/bookings", json={"hold_id": hold.hold_id}, headers=user.headers
    )
    assert response.status_code == 409
    assert response.json()["error"] == "hold_expired"


@pytest.mark.parametrize("status", [401, 422, 429, 500])
async def test_booking_is_503_upstream_unavailable_when_event_answers_something_else(
    client: Any, customer: Any, fake_event: Any, status: int
) -> None:
    user = customer()
    hold = fake_event.add_hold(user_id=user.id)
    fake_event.claim_statuses[hold.hold_id] = status
    response = await client.post(
        "/api/bookings", json={"hold_id": hold.hold_id}, headers=user.headers
    )
    assert response.status_code == 503
    assert response.json()["error"] == "upstream_unavailable"
    assert fake_event.claims.count(hold.hold_id) == 1  # a final answer: not asked again


async def test_booking_is_403_when_hold_belongs_to_someone_else(
    client: Any, customer: Any, fake_event: Any
) -> None:
    hold = fake_event.add_hold(user_id=uuid.uuid4())
    response = await client.post(
        "/api/bookings", json={"hold_id": hold.hold_id}, headers=customer().headers
    )
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


async def test_booking_is_503_upstream_unavailable_when_event_is_down(
    client: Any, customer: Any, fake_event: Any
) -> None:
    user = customer()
    hold = fake_event.add_hold(user_id=user.id)
    fake_event.down = True
    try:
        response = await client.post(
            "/api/bookings", json={"hold_id": hold.hold_id}, headers=user.headers
        )
    finally:
        fake_event.down = False
    assert response.status_code == 503
    assert response.json()["error"] == "upstream_unavailable"
    assert fake_event.claims.count(hold.hold_id) == 3  # retried transient failures


async def test_booking_is_401_when_no_token(client: Any) -> None:
    response = await client.post("/api/bookings", json={"hold_id": "abc"})
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"hold_id": ""},
        {"hold_id": "../../admin"},
        {"hold_id": "x", "amount": 1},
        {"hold_id": 5},
    ],
)
async def test_booking_is_422_when_body_is_invalid(client: Any, customer: Any, body: Any) -> None:
    response = await client.post("/api/bookings", json=body, headers=customer().headers)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


async def test_same_hold_twice_is_409_already_exists_when_already_booked(
    client: Any, customer: Any, fake_event: Any
) -> None:
    user = customer()
    hold = fake_event.add_hold(user_id=user.id)
    first = await client.post("/api/bookings", json={"hold_id": hold.hold_id}, headers=user.headers)
    second = await client.post(
        "/api/bookings", json={"hold_id": hold.hold_id}, headers=user.headers
    )
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["error"] == "already_exists"
    assert second.json()["details"] == {"booking_id": first.json()["id"]}


async def test_second_booking_is_409_seats_unavailable_when_a_seat_is_already_booked(
    book: Any, customer: Any, runtime: Any
) -> None:
    event_id = uuid.uuid4()
    first = await book(customer(), event_id=event_id, seats=[("C-D-1", "standard", 2500)])
    second = await book(
        customer(),
        event_id=event_id,
        seats=[("C-D-2", "standard", 2500), ("C-D-1", "standard", 2500)],
    )
    assert first.status_code == 201
    assert second.status_code == 409, second.text
    assert second.json()["error"] == "seats_unavailable"
    assert second.json()["details"] == {"unavailable": ["C-D-1"]}
    async with runtime.sessionmaker() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM booking WHERE event_id = :e"), {"e": str(event_id)}
        )
    assert count == 1  # nothing of the refused booking was kept


async def test_same_seat_id_is_bookable_when_it_belongs_to_another_event(
    book: Any, customer: Any
) -> None:
    first = await book(customer(), seats=[("A-A-1", "vip", 8000)])
    second = await book(customer(), seats=[("A-A-1", "vip", 8000)])
    assert (first.status_code, second.status_code) == (201, 201)


async def test_general_admission_places_are_not_unique_when_seat_id_is_null(
    book: Any, customer: Any
) -> None:
    event_id = uuid.uuid4()
    floor = [(None, "floor", 3000), (None, "floor", 3000)]
    first = await book(customer(), event_id=event_id, seats=floor)
    second = await book(customer(), event_id=event_id, seats=floor)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["seats"] == [{"seat_id": None, "tier": "floor", "price": 3000}] * 2


# --- Idempotency-Key ------------------------------------------------------------------------


async def test_same_key_and_body_replays_first_response_when_retried(
    client: Any, customer: Any, fake_event: Any
) -> None:
    user = customer()
    hold = fake_event.add_hold(user_id=user.id)
    headers = {**user.headers, "Idempotency-Key": "retry-1"}
    first = await client.post("/api/bookings", json={"hold_id": hold.hold_id}, headers=headers)
    again = await client.post("/api/bookings", json={"hold_id": hold.hold_id}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert fake_event.claims.count(hold.hold_id) == 1


async def test_key_is_scoped_per_user_when_two_users_use_the_same_key(
    book: Any, customer: Any
) -> None:
    first = await book(customer(), key="shared-key")
    second = await book(customer(), key="shared-key")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


async def test_same_key_is_409_idempotency_conflict_when_body_differs(
    client: Any, customer: Any, fake_event: Any
) -> None:
    user = customer()
    headers = {**user.headers, "Idempotency-Key": "k-diff"}
    one, two = fake_event.add_hold(user_id=user.id), fake_event.add_hold(user_id=user.id)
    first = await client.post("/api/bookings", json={"hold_id": one.hold_id}, headers=headers)
    other = await client.post("/api/bookings", json={"hold_id": two.hold_id}, headers=headers)
    assert first.status_code == 201
    assert other.status_code == 409
    assert other.json()["error"] == "idempotency_conflict"
    assert two.hold_id not in fake_event.claims


async def test_concurrent_requests_with_same_key_create_exactly_one_booking(
    client: Any, customer: Any, fake_event: Any, runtime: Any
) -> None:
    user = customer()
    hold = fake_event.add_hold(user_id=user.id, delay=0.3)
    headers = {**user.headers, "Idempotency-Key": "race-1"}
    responses = await asyncio.gather(
        *(
            client.post("/api/bookings", json={"hold_id": hold.hold_id}, headers=headers)
            for _ in range(6)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}
    assert 409 in statuses  # the others arrived while the first was still running
    assert all(
        r.json()["error"] == "idempotency_conflict" for r in responses if r.status_code == 409
    )
    assert len({r.json()["id"] for r in responses if r.status_code == 201}) == 1
    assert fake_event.claims.count(hold.hold_id) == 1
    async with runtime.sessionmaker() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM booking WHERE hold_id = :h"), {"h": hold.hold_id}
        )
    assert count == 1


async def test_failed_first_attempt_frees_the_key_when_client_retries(
    client: Any, customer: Any, fake_event: Any
) -> None:
    user = customer()
    hold_id = str(uuid.uuid4())
    headers = {**user.headers, "Idempotency-Key": "after-failure"}
    failed = await client.post("/api/bookings", json={"hold_id": hold_id}, headers=headers)
    assert failed.status_code == 409 and failed.json()["error"] == "hold_expired"

    fake_event.add_hold(user_id=user.id, hold_id=hold_id)
    retried = await client.post("/api/bookings", json={"hold_id": hold_id}, headers=headers)
    assert retried.status_code == 201


async def test_stale_claim_is_taken_over_when_first_request_died(
    client: Any, customer: Any, fake_event: Any, runtime: Any, settings: Any
) -> None:
    user = customer()
    hold = fake_event.add_hold(user_id=user.id)
    async with runtime.sessionmaker() as session, session.begin():
        # what a crash between claiming the key and finishing leaves behind, a second past
        # the time after which a claim counts as stale
        await session.execute(
            text(
                "INSERT INTO idempotency_key (user_id, key, request_hash, created_at) "
                "VALUES (:u, 'crashed', :h, now() - make_interval(secs => :age))"
            ),
            {
                "u": str(user.id),
                "h": fingerprint({"hold_id": hold.hold_id}),
                "age": settings.IDEMPOTENCY_STALE_SECONDS + 1,
            },
        )
    response = await client.post(
        "/api/bookings",
        json={"hold_id": hold.hold_id},
        headers={**user.headers, "Idempotency-Key": "crashed"},
    )
    assert response.status_code == 201, response.text


async def test_key_longer_than_255_is_422(client: Any, customer: Any, fake_event: Any) -> None:
    user = customer()
    hold = fake_event.add_hold(user_id=user.id)
    response = await client.post(
        "/api/bookings",
        json={"hold_id": hold.hold_id},
        headers={**user.headers, "Idempotency-Key": "k" * 256},
    )
    assert response.status_code == 422
    assert response.json()["details"]["fields"][0]["field"] == "Idempotency-Key"
    assert hold.hold_id not in fake_event.claims


async def test_booking_keeps_the_buyer_name_from_the_token_through_the_hot_lane_and_the_route(
    customer: Any, book: Any, booking_row: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = answers_taken(monkeypatch, hot, "_answer_create")
    by_lane = (await book(customer(name="Ada Lovelace"))).json()
    unnamed = (await book(customer())).json()  # a token minted before tokens carried a name
    assert taken == [201, 201]
    monkeypatch.setattr(hot, "_CREATE", "/never")  # the lane takes nothing
    by_route = (await book(customer(name="=Grace Hopper"))).json()
    assert taken == [201, 201]  # FastAPI's route made this one

    assert (await booking_row(by_lane["id"])).buyer_name == "Ada Lovelace"
    assert (await booking_row(unnamed["id"])).buyer_name == ""
    assert (await booking_row(by_route["id"])).buyer_name == "=Grace Hopper"  # stored as given
