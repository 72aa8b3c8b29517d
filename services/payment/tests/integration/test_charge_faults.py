"""What the processor raises while charging: a card-network timeout is a retryable failure the
buyer sees; anything else is a bug — logged as an error, answered 503, and the attempt is left
``processing`` for the stale sweep, never passed off as a card problem. No row of the booking
or its payment is locked while the processor is asked."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from payment_service import service
from payment_service.processor import ProcessorUnavailable
from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration

TIMING_OUT = "378282246310005"  # Luhn-valid, no test-card meaning of its own
BUGGY = "6011111111111117"
SLOW = "5555555555554444"


async def _payments(fetch: Any, booking_id: uuid.UUID) -> list[tuple[Any, ...]]:
    rows = await fetch(
        "SELECT id, status, failure_reason, retryable FROM payment WHERE booking_id = :id "
        "ORDER BY created_at",
        id=booking_id,
    )
    return [tuple(row) for row in rows]


async def test_charge_is_a_retryable_processing_error_when_the_processor_did_not_answer(
    make_booking: Any, pay: Any, processor: Any, outbox: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    processor.charge_faults[TIMING_OUT] = ProcessorUnavailable("read timeout")
    try:
        response = await pay(user, booking.booking_id, TIMING_OUT)
    finally:
        del processor.charge_faults[TIMING_OUT]

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["failure_reason"], body["retryable"]) == (
        "failed",
        "processing_error",
        True,
    )
    [failed] = await outbox("payment.failed", booking_id=booking.booking_id)
    assert (failed["data"]["reason"], failed["data"]["retryable"]) == ("processing_error", True)
    assert (await pay(user, booking.booking_id)).json()["status"] == "succeeded"


async def test_charge_is_503_and_left_processing_when_the_processor_raises_something_else(
    make_booking: Any,
    pay: Any,
    processor: Any,
    outbox: Any,
    fetch: Any,
    runtime: Any,
    context: Any,
    service_log: io.StringIO,
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    processor.charge_faults[BUGGY] = KeyError("a bug in the adapter")
    try:
        response = await pay(user, booking.booking_id, BUGGY, key=f"bug-{uuid.uuid4()}")
    finally:
        del processor.charge_faults[BUGGY]

    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "upstream_unavailable"
    [(payment_id, status, reason, _)] = await _payments(fetch, booking.booking_id)
    assert body["details"] == {"payment_id": str(payment_id), "status": "processing"}
    assert (status, reason) == ("processing", None)
    assert await outbox("payment.failed", booking_id=booking.booking_id) == []
    lines = [json.loads(line) for line in service_log.getvalue().splitlines() if line.strip()]
    [crash] = [line for line in lines if line.get("event") == "processor_charge_crashed"]
    assert crash["level"] == "error" and crash["payment_id"] == str(payment_id)
    assert "KeyError" in crash["exception"]
    # the attempt holds the booking until the stale sweep closes it, as after a crash
    assert (await pay(user, booking.booking_id)).status_code == 409

    async with runtime.engine.begin() as conn:
        await conn.execute(
            text("UPDATE payment SET created_at = now() - interval '1 hour' WHERE id = :id"),
            {"id": payment_id},
        )
    assert await service.fail_stale_payments(context) >= 1

    [failed] = await outbox("payment.failed", booking_id=booking.booking_id)
    assert (failed["data"]["reason"], failed["data"]["retryable"]) == (
        "processing_interrupted",
        True,
    )
    assert (await pay(user, booking.booking_id)).json()["status"] == "succeeded"


async def test_no_row_is_locked_when_the_processor_is_being_asked_to_charge(
    make_booking: Any, pay: Any, fetch: Any, runtime: Any, gate: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    async with gate:
        paying = asyncio.create_task(pay(user, booking.booking_id, SLOW))

        async def in_flight() -> Any:
            return await fetch(
                "SELECT id FROM payment WHERE booking_id = :id AND status = 'processing'",
                id=booking.booking_id,
            )

        [(payment_id,)] = await eventually(in_flight, what="charge in flight")
        # NOWAIT: fails at once if any of them is locked
        async with runtime.engine.connect() as conn:
            for sql in (
                "SELECT 1 FROM booking_copy WHERE booking_id = :b FOR UPDATE NOWAIT",
                "SELECT 1 FROM payment WHERE id = :p FOR UPDATE NOWAIT",
            ):
                await conn.execute(text(sql), {"b": booking.booking_id, "p": payment_id})
            await conn.rollback()
    assert (await paying).json()["status"] == "succeeded"
