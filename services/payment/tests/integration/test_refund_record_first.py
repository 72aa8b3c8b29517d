"""No refund runs before its own record is written, and no row stays locked while the processor
is asked: a refund is committed ``pending`` first, then asked for under its own id, then
recorded. A NUL in the reason is a 422 before anything happens (it was a 500 after the
processor had already refunded)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from payment_service import service
from shared.errors import is_data_error
from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration


async def _paid(make_booking: Any, pay: Any, fetch: Any, amount: int = 4500) -> dict[str, Any]:
    """A succeeded payment of a new booking, with its charge reference at the processor."""
    user = uuid.uuid4()
    booking = await make_booking(user, amount=amount)
    paid = dict((await pay(user, booking.booking_id)).json())
    assert paid["status"] == "succeeded"
    [(charge_ref,)] = await fetch("SELECT processor_ref FROM payment WHERE id = :id", id=paid["id"])
    return paid | {"charge_ref": charge_ref, "user": user}


async def _refunds(fetch: Any, payment_id: str) -> list[tuple[Any, ...]]:
    rows = await fetch(
        "SELECT id, status, reason, actor_id, failure_reason FROM refund "
        "WHERE payment_id = :id ORDER BY created_at",
        id=payment_id,
    )
    return [tuple(r) for r in rows]


async def _status(fetch: Any, payment_id: str) -> str:
    [(status,)] = await fetch("SELECT status FROM payment WHERE id = :id", id=payment_id)
    return str(status)


async def test_refund_is_422_and_the_processor_is_not_asked_when_the_reason_holds_a_nul(
    make_booking: Any, pay: Any, fetch: Any, client: Any, signer: Any, processor: Any
) -> None:
    paid = await _paid(make_booking, pay, fetch)
    path = f"/api/payments/{paid['id']}/refund"
    admin = signer.headers(role="admin")

    response = await client.post(path, json={"reason": "fraud\u0000"}, headers=admin)

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert [f["field"] for f in body["details"]["fields"]] == ["reason"]
    assert paid["charge_ref"] not in processor.refund_calls
    assert await _refunds(fetch, paid["id"]) == []
    assert await _status(fetch, paid["id"]) == "succeeded"
    # nothing moved at the processor: a real refund now goes through (a second refund of
    # the charge under another key would be refused as already_refunded)
    retried = await client.post(path, json={"reason": "fraud"}, headers=admin)
    assert retried.status_code == 200, retried.text
    assert processor.refund_count(paid["charge_ref"]) == 1


async def test_processor_is_not_asked_when_the_refund_record_cannot_be_written(
    make_booking: Any, pay: Any, fetch: Any, context: Any, processor: Any, outbox: Any
) -> None:
    paid = await _paid(make_booking, pay, fetch)

    # past the HTTP edge, straight into the use case: PostgreSQL refuses the reason
    async with context.sessionmaker() as session:
        with pytest.raises(DBAPIError) as caught:
            await service.refund_payment(
                session,
                ctx=context,
                actor_id=uuid.uuid4(),
                payment_id=uuid.UUID(paid["id"]),
                reason="not \x00 storable",
            )

    assert is_data_error(caught.value)
    assert paid["charge_ref"] not in processor.refund_calls
    assert await _refunds(fetch, paid["id"]) == []
    assert await _status(fetch, paid["id"]) == "succeeded"
    assert await outbox("payment.refunded", booking_id=uuid.UUID(paid["booking_id"])) == []


async def test_refund_is_committed_pending_and_nothing_is_locked_while_the_processor_is_asked(
    make_booking: Any,
    pay: Any,
    fetch: Any,
    client: Any,
    signer: Any,
    processor: Any,
    runtime: Any,
    outbox: Any,
) -> None:
    paid = await _paid(make_booking, pay, fetch)
    path = f"/api/payments/{paid['id']}/refund"
    admin_id = uuid.uuid4()
    admin = signer.headers(user_id=admin_id, role="admin")
    processor.slow_refunds.add(paid["charge_ref"])
    processor.refund_gate.clear()
    try:
        asking = asyncio.create_task(
            client.post(path, json={"reason": "chargeback"}, headers=admin)
        )
        await eventually(
            lambda: _async(paid["charge_ref"] in processor.refund_calls),
            what="processor asked",
        )
        [(refund_id, status, reason, actor, _)] = await _refunds(fetch, paid["id"])
        assert (status, reason, actor) == ("pending", "chargeback", admin_id)
        # NOWAIT: fails at once if any of them is locked
        async with runtime.engine.connect() as conn:
            for sql in (
                "SELECT 1 FROM payment WHERE id = :p FOR UPDATE NOWAIT",
                "SELECT 1 FROM refund WHERE payment_id = :p FOR UPDATE NOWAIT",
                "SELECT 1 FROM booking_copy WHERE booking_id = :b FOR UPDATE NOWAIT",
            ):
                await conn.execute(text(sql), {"p": paid["id"], "b": paid["booking_id"]})
            await conn.rollback()
        second = await client.post(path, headers=admin)  # the lease keeps it to one asker
        assert second.status_code == 409
        assert second.json()["details"]["refund_id"] == str(refund_id)
    finally:
        processor.refund_gate.set()
        processor.slow_refunds.discard(paid["charge_ref"])

    response = await asking
    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(refund_id)
    assert processor.refund_calls.count(paid["charge_ref"]) == 1
    [message] = await outbox("payment.refunded", booking_id=uuid.UUID(paid["booking_id"]))
    assert (message["data"]["actor_id"], message["data"]["reason"]) == (str(admin_id), "chargeback")


async def test_refund_stays_pending_and_a_retry_completes_it_when_the_processor_did_not_answer(
    make_booking: Any,
    pay: Any,
    fetch: Any,
    client: Any,
    signer: Any,
    processor: Any,
    outbox: Any,
) -> None:
    paid = await _paid(make_booking, pay, fetch)
    path = f"/api/payments/{paid['id']}/refund"
    admin = signer.headers(role="admin")
    processor.unreachable.add(paid["charge_ref"])
    try:
        response = await client.post(path, json={"reason": "duplicate"}, headers=admin)
    finally:
        processor.unreachable.discard(paid["charge_ref"])

    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "upstream_unavailable"
    assert body["details"]["status"] == "pending"
    [(refund_id, status, *_)] = await _refunds(fetch, paid["id"])
    assert (str(refund_id), status) == (body["details"]["refund_id"], "pending")
    assert await _status(fetch, paid["id"]) == "succeeded"
    assert await outbox("payment.refunded", booking_id=uuid.UUID(paid["booking_id"])) == []

    retried = await client.post(path, json={"reason": "duplicate"}, headers=admin)

    assert retried.status_code == 200, retried.text
    assert retried.json()["id"] == str(refund_id)  # the recorded refund, completed
    assert processor.refund_keys[paid["charge_ref"]] == [str(refund_id), str(refund_id)]
    assert await _status(fetch, paid["id"]) == "refunded"
    assert len(await outbox("payment.refunded", booking_id=uuid.UUID(paid["booking_id"]))) == 1


async def test_refused_refund_is_recorded_failed_and_may_be_asked_again_when_refused(
    make_booking: Any, pay: Any, fetch: Any, client: Any, signer: Any, processor: Any
) -> None:
    paid = await _paid(make_booking, pay, fetch)
    path = f"/api/payments/{paid['id']}/refund"
    admin = signer.headers(role="admin")
    processor.refunded[paid["charge_ref"]] = "someone-else"  # the processor says: already done
    try:
        refused = await client.post(path, headers=admin)
    finally:
        del processor.refunded[paid["charge_ref"]]

    assert refused.status_code == 503
    assert refused.json()["details"]["failure_reason"] == "already_refunded"
    [(first_id, status, _, _, failure)] = await _refunds(fetch, paid["id"])
    assert (status, failure) == ("failed", "already_refunded")
    assert await _status(fetch, paid["id"]) == "succeeded"

    again = await client.post(path, headers=admin)
    assert again.status_code == 200, again.text
    assert again.json()["id"] != str(first_id)
    assert [r[1] for r in await _refunds(fetch, paid["id"])] == ["failed", "succeeded"]


async def test_cancellation_refund_is_completed_by_the_sweep_when_the_processor_comes_back(
    make_booking: Any,
    pay: Any,
    fetch: Any,
    publish: Any,
    cancelled_of: Any,
    processor: Any,
    context: Any,
    outbox: Any,
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user, amount=5100)
    paid = (await pay(user, booking.booking_id)).json()
    [(charge_ref,)] = await fetch("SELECT processor_ref FROM payment WHERE id = :id", id=paid["id"])
    processor.unreachable.add(charge_ref)
    try:
        await publish(cancelled_of(booking, was_confirmed=True, payment_id=uuid.UUID(paid["id"])))
        await eventually(
            lambda: _async(charge_ref in processor.refund_calls), what="processor asked"
        )
        [(_, status, reason, actor, _)] = await _refunds(fetch, paid["id"])
        assert (status, reason, actor) == ("pending", "booking_cancelled: cancelled_by_user", None)
    finally:
        processor.unreachable.discard(charge_ref)

    await service.settle_pending_refunds(context)

    assert [r[1] for r in await _refunds(fetch, paid["id"])] == ["succeeded"]
    [message] = await outbox("payment.refunded", booking_id=booking.booking_id)
    assert message["data"]["actor_id"] is None  # automatic: nobody to name in the audit log
    assert message["data"]["reason"] == "booking_cancelled: cancelled_by_user"
    assert processor.refund_count(charge_ref) == 1


async def _async(value: Any) -> Any:
    return value


async def test_charge_landing_after_the_stale_sweep_is_reversed_with_a_record_when_late(
    make_booking: Any,
    pay: Any,
    fetch: Any,
    runtime: Any,
    context: Any,
    processor: Any,
    gate: Any,
    outbox: Any,
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user, amount=2700)
    async with gate:
        paying = asyncio.create_task(pay(user, booking.booking_id, "5555555555554444"))

        async def in_flight() -> Any:
            return await fetch(
                "SELECT id FROM payment WHERE booking_id = :id AND status = 'processing'",
                id=booking.booking_id,
            )

        [(payment_id,)] = await eventually(in_flight, what="payment in flight")
        async with runtime.engine.begin() as conn:  # as if the charge had hung for an hour
            await conn.execute(
                text("UPDATE payment SET created_at = now() - interval '1 hour' WHERE id = :id"),
                {"id": payment_id},
            )
        assert await service.fail_stale_payments(context) >= 1
    response = await paying  # the charge went through after all

    assert response.status_code == 409
    [(status, charge_ref)] = await fetch(
        "SELECT status, processor_ref FROM payment WHERE id = :id", id=payment_id
    )
    assert status == "failed" and charge_ref is not None
    [(_, refund_status, reason, actor, _)] = await _refunds(fetch, str(payment_id))
    assert (refund_status, reason, actor) == ("succeeded", "charge_after_timeout", None)
    assert processor.refund_count(charge_ref) == 1
    # booking only ever heard that this attempt failed: no payment.refunded for it
    assert await outbox("payment.refunded", booking_id=booking.booking_id) == []
