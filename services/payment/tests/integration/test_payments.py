"""POST / GET /api/payments on the real servers."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.integration

GOOD = "4242424242424242"
DECLINED = "4000000000000002"
NO_FUNDS = "4000000000009995"
PROCESSING_ERROR = "4000000000000119"


async def test_payment_succeeds_with_the_bookings_amount_when_booking_created_was_consumed(
    make_booking: Any, pay: Any, outbox: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user, amount=12345, currency="EUR")

    response = await pay(user, booking.booking_id, GOOD)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "succeeded" and body["booking_id"] == str(booking.booking_id)
    assert (body["amount"], body["currency"]) == (12345, "EUR")
    assert body["card_last4"] == "4242" and body["card_brand"] == "visa"
    assert body["failure_reason"] is None and "created_at" in body
    assert GOOD not in response.text
    [message] = await outbox("payment.succeeded", booking_id=booking.booking_id)
    assert message["data"]["payment_id"] == body["id"]
    assert (
        message["data"]["amount"],
        message["data"]["currency"],
        message["data"]["card_last4"],
    ) == (12345, "EUR", "4242")
    assert message["data"]["user_id"] == str(user)


async def test_card_number_is_never_stored_whole_when_paid(
    make_booking: Any, pay: Any, fetch: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    assert (await pay(user, booking.booking_id, GOOD)).status_code == 201
    dump = await fetch(
        "SELECT p::text FROM payment p WHERE booking_id = :id "
        "UNION ALL SELECT o.payload::text FROM outbox_message o "
        "WHERE o.payload->'data'->>'booking_id' = :sid",
        id=booking.booking_id,
        sid=str(booking.booking_id),
    )
    assert dump and all(GOOD not in row[0] for row in dump)


async def test_client_amount_is_refused_422_when_sent(make_booking: Any, pay: Any) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    response = await pay(user, booking.booking_id, GOOD, amount=1)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert [f["field"] for f in body["details"]["fields"]] == ["amount"]


async def test_declined_card_records_a_failed_payment_when_card_declined(
    make_booking: Any, pay: Any, outbox: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)

    response = await pay(user, booking.booking_id, DECLINED)

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["failure_reason"], body["retryable"]) == (
        "failed",
        "card_declined",
        False,
    )
    [message] = await outbox("payment.failed", booking_id=booking.booking_id)
    assert message["data"]["payment_id"] == body["id"]
    assert (message["data"]["reason"], message["data"]["retryable"]) == ("card_declined", False)
    assert await outbox("payment.succeeded", booking_id=booking.booking_id) == []


async def test_another_card_is_refused_at_once_when_the_first_was_declined(
    make_booking: Any, pay: Any, outbox: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    assert (await pay(user, booking.booking_id, DECLINED)).json()["status"] == "failed"

    second = await pay(user, booking.booking_id, GOOD)

    assert second.status_code == 409 and second.json()["error"] == "invalid_state"
    assert await outbox("payment.succeeded", booking_id=booking.booking_id) == []


async def test_insufficient_funds_records_a_failed_payment_when_card_has_no_funds(
    make_booking: Any, pay: Any, outbox: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    response = await pay(user, booking.booking_id, NO_FUNDS)
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["failure_reason"]) == (
        "failed",
        "insufficient_funds",
    )
    [message] = await outbox("payment.failed", booking_id=booking.booking_id)
    assert message["data"]["reason"] == "insufficient_funds"


async def test_retry_with_a_good_card_succeeds_when_first_attempt_had_a_processing_error(
    make_booking: Any, pay: Any, outbox: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)

    first = await pay(user, booking.booking_id, PROCESSING_ERROR)
    assert first.status_code == 201
    assert (first.json()["status"], first.json()["failure_reason"], first.json()["retryable"]) == (
        "failed",
        "processing_error",
        True,
    )
    [failed] = await outbox("payment.failed", booking_id=booking.booking_id)
    assert failed["data"]["retryable"] is True

    second = await pay(user, booking.booking_id, GOOD)
    assert second.status_code == 201
    assert second.json()["status"] == "succeeded"
    assert second.json()["id"] != first.json()["id"]


async def test_paying_twice_is_409_when_already_paid(make_booking: Any, pay: Any) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    assert (await pay(user, booking.booking_id, GOOD)).status_code == 201

    again = await pay(user, booking.booking_id, "5555555555554444")

    assert again.status_code == 409
    assert again.json()["error"] == "invalid_state"
    assert again.json()["details"]["payment_status"] == "succeeded"


async def test_concurrent_payments_end_with_exactly_one_success_when_racing(
    make_booking: Any, pay: Any, fetch: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)

    responses = await asyncio.gather(*(pay(user, booking.booking_id, GOOD) for _ in range(8)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 7, [r.text for r in responses]
    assert all(r.json()["error"] == "invalid_state" for r in responses if r.status_code == 409)
    rows = await fetch("SELECT status FROM payment WHERE booking_id = :id", id=booking.booking_id)
    assert [row[0] for row in rows] == ["succeeded"]


async def test_second_success_is_impossible_in_the_database_when_inserted_directly(
    make_booking: Any, pay: Any, runtime: Any
) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    user = uuid.uuid4()
    booking = await make_booking(user)
    assert (await pay(user, booking.booking_id, GOOD)).status_code == 201
    with pytest.raises(IntegrityError):
        async with runtime.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO payment (id, booking_id, user_id, amount, currency, status, "
                    "card_last4, card_brand) VALUES (:id, :b, :u, 1, 'USD', 'succeeded', "
                    "'4242', 'visa')"
                ),
                {"id": uuid.uuid4(), "b": booking.booking_id, "u": user},
            )


async def test_other_user_gets_404_when_paying_someone_elses_booking(
    make_booking: Any, pay: Any, fetch: Any
) -> None:
    owner = uuid.uuid4()
    booking = await make_booking(owner)
    response = await pay(uuid.uuid4(), booking.booking_id, GOOD)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert await fetch("SELECT 1 FROM payment WHERE booking_id = :id", id=booking.booking_id) == []


async def test_cancelled_booking_is_409_when_paid(
    make_booking: Any, pay: Any, publish: Any, cancelled_of: Any, fetch: Any
) -> None:
    from shared.testing.eventually import eventually

    user = uuid.uuid4()
    booking = await make_booking(user)
    await publish(cancelled_of(booking))

    async def status() -> Any:
        return (
            await fetch(
                "SELECT status FROM booking_copy WHERE booking_id = :id", id=booking.booking_id
            )
        )[0][0]

    await eventually(status, until=lambda s: s == "cancelled")
    response = await pay(user, booking.booking_id, GOOD)
    assert response.status_code == 409
    assert response.json()["error"] == "invalid_state"
    assert response.json()["details"]["booking_status"] == "cancelled"


async def test_luhn_failure_is_422_without_echoing_the_number_when_invalid(
    make_booking: Any, pay: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    bad = "4242424242424241"
    response = await pay(user, booking.booking_id, bad)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert [f["field"] for f in body["details"]["fields"]] == ["card_number"]
    assert bad not in response.text and "424242424242" not in response.text


async def test_missing_token_is_401_when_paying(client: Any) -> None:
    response = await client.post("/api/payments", json={})
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


async def test_booking_is_fetched_from_booking_when_its_message_has_not_arrived(
    booking_stub: Any, pay: Any, fetch: Any
) -> None:
    user, booking_id = uuid.uuid4(), uuid.uuid4()
    booking_stub[1][str(booking_id)] = {
        "id": str(booking_id),
        "user_id": str(user),
        "event_id": str(uuid.uuid4()),
        "status": "pending_payment",
        "amount": 4200,
        "currency": "GBP",
        "expires_at": "2099-01-01T00:00:00+00:00",
    }

    response = await pay(user, booking_id, GOOD)

    assert response.status_code == 201, response.text
    assert (response.json()["amount"], response.json()["currency"]) == (4200, "GBP")
    rows = await fetch(
        "SELECT status, amount, currency FROM booking_copy WHERE booking_id = :id", id=booking_id
    )
    assert [tuple(r) for r in rows] == [("pending_payment", 4200, "GBP")]


async def test_booking_fetched_is_409_when_booking_says_it_is_not_pending(
    booking_stub: Any, pay: Any
) -> None:
    user, booking_id = uuid.uuid4(), uuid.uuid4()
    booking_stub[1][str(booking_id)] = {
        "id": str(booking_id),
        "user_id": str(user),
        "event_id": str(uuid.uuid4()),
        "status": "expired",
        "amount": 4200,
        "currency": "USD",
        "expires_at": "2020-01-01T00:00:00+00:00",
    }
    response = await pay(user, booking_id, GOOD)
    assert response.status_code == 409
    assert response.json()["error"] == "invalid_state"


async def test_booking_fetched_is_404_and_not_copied_when_it_is_someone_elses(
    booking_stub: Any, pay: Any, fetch: Any
) -> None:
    owner, booking_id = uuid.uuid4(), uuid.uuid4()
    booking_stub[1][str(booking_id)] = {
        "id": str(booking_id),
        "user_id": str(owner),
        "event_id": str(uuid.uuid4()),
        "status": "expired",  # a stranger learns nothing about it, not even this
        "amount": 4200,
        "currency": "USD",
        "expires_at": "2020-01-01T00:00:00+00:00",
    }
    response = await pay(uuid.uuid4(), booking_id, GOOD)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert await fetch("SELECT 1 FROM booking_copy WHERE booking_id = :id", id=booking_id) == []


async def test_unknown_booking_is_404_when_booking_answers_404(pay: Any) -> None:
    response = await pay(uuid.uuid4(), uuid.uuid4(), GOOD)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_unknown_booking_is_503_when_booking_is_unreachable(
    dead_booking_payment: Any, signer: Any
) -> None:
    user = uuid.uuid4()
    response = await dead_booking_payment.post(
        "/api/payments",
        json={
            "booking_id": str(uuid.uuid4()),
            "card_number": GOOD,
            "exp_month": 12,
            "exp_year": 2099,
            "cvc": "123",
        },
        headers=signer.headers(user_id=user),
    )
    assert response.status_code == 503
    assert response.json()["error"] == "upstream_unavailable"


async def test_same_key_and_body_replays_the_first_answer_when_retried(
    make_booking: Any, pay: Any, fetch: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    first = await pay(user, booking.booking_id, DECLINED, key="retry-1")
    again = await pay(user, booking.booking_id, DECLINED, key="retry-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    rows = await fetch("SELECT id FROM payment WHERE booking_id = :id", id=booking.booking_id)
    assert len(rows) == 1


async def test_same_key_with_another_body_is_409_idempotency_conflict(
    make_booking: Any, pay: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    assert (await pay(user, booking.booking_id, DECLINED, key="k-2")).status_code == 201
    response = await pay(user, booking.booking_id, GOOD, key="k-2")
    assert response.status_code == 409
    assert response.json()["error"] == "idempotency_conflict"


async def test_same_key_is_409_when_the_first_request_is_still_running(
    make_booking: Any, pay: Any, gate: Any, fetch: Any
) -> None:
    from shared.testing.eventually import eventually

    user = uuid.uuid4()
    booking = await make_booking(user)
    async with gate:
        first = asyncio.create_task(pay(user, booking.booking_id, "5555555555554444", key="k-3"))

        async def processing() -> Any:
            return await fetch(
                "SELECT 1 FROM payment WHERE booking_id = :id AND status = 'processing'",
                id=booking.booking_id,
            )

        await eventually(processing, what="first payment in flight")
        second = await pay(user, booking.booking_id, "5555555555554444", key="k-3")
        assert second.status_code == 409
        assert second.json()["error"] == "idempotency_conflict"
        assert second.json()["details"]["reason"] == "in_progress"
    assert (await first).json()["status"] == "succeeded"


async def test_keys_are_scoped_per_user_when_two_users_share_one(
    make_booking: Any, pay: Any
) -> None:
    alice, bob = uuid.uuid4(), uuid.uuid4()
    alices, bobs = await make_booking(alice), await make_booking(bob)
    assert (await pay(alice, alices.booking_id, GOOD, key="same")).status_code == 201
    response = await pay(bob, bobs.booking_id, GOOD, key="same")
    assert response.status_code == 201
    assert response.json()["booking_id"] == str(bobs.booking_id)


async def test_key_is_released_when_the_request_failed(make_booking: Any, pay: Any) -> None:
    user = uuid.uuid4()
    missing = await pay(user, uuid.uuid4(), GOOD, key="k-4")
    assert missing.status_code == 404
    booking = await make_booking(user)
    response = await pay(user, booking.booking_id, GOOD, key="k-4")
    # A different body under the released key is a fresh request, not a conflict.
    assert response.status_code == 201


async def test_payer_and_admin_see_a_payment_when_others_get_404(
    make_booking: Any, pay: Any, client: Any, signer: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    created = (await pay(user, booking.booking_id, GOOD)).json()
    path = f"/api/payments/{created['id']}"

    mine = await client.get(path, headers=signer.headers(user_id=user))
    admin = await client.get(path, headers=signer.headers(role="admin"))
    other = await client.get(path, headers=signer.headers())
    unknown = await client.get(f"/api/payments/{uuid.uuid4()}", headers=signer.headers())

    assert mine.status_code == admin.status_code == 200
    assert mine.json()["id"] == admin.json()["id"] == created["id"]
    assert (other.status_code, unknown.status_code) == (404, 404)
    assert other.json()["error"] == "not_found"


async def test_list_shows_only_own_payments_when_customer_and_filters_for_admin(
    make_booking: Any, pay: Any, client: Any, signer: Any
) -> None:
    user, stranger = uuid.uuid4(), uuid.uuid4()
    first, second = await make_booking(user), await make_booking(user)
    theirs = await make_booking(stranger)
    await pay(user, first.booking_id, PROCESSING_ERROR)  # retryable: still payable after it
    await pay(user, first.booking_id, GOOD)
    await pay(user, second.booking_id, GOOD)
    await pay(stranger, theirs.booking_id, GOOD)

    page = (
        await client.get("/api/payments?page_size=2", headers=signer.headers(user_id=user))
    ).json()
    assert (page["total"], page["page"], page["page_size"], len(page["items"])) == (3, 1, 2, 2)
    assert {item["user_id"] for item in page["items"]} == {str(user)}
    assert page["items"][0]["booking_id"] == str(second.booking_id)  # newest first

    admin = await client.get(
        f"/api/payments?booking_id={first.booking_id}", headers=signer.headers(role="admin")
    )
    assert sorted(i["status"] for i in admin.json()["items"]) == ["failed", "succeeded"]
    filtered = await client.get(
        f"/api/payments?booking_id={theirs.booking_id}", headers=signer.headers(user_id=user)
    )
    assert filtered.json()["total"] == 0


async def test_bad_query_is_422_when_page_size_too_big(client: Any, signer: Any) -> None:
    response = await client.get("/api/payments?page_size=1000", headers=signer.headers())
    assert response.status_code == 422
    assert response.json()["details"]["fields"][0]["field"] == "page_size"
