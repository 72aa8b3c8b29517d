"""The charge's hot path stays lean (what it sends to PostgreSQL is counted:
``round_trips.counting``), and a payment made before ``booking.created`` arrived waits for our
own copy instead of asking booking over HTTP."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from services.payment.tests.integration.conftest import GOOD_CARD
from shared.testing.round_trips import counting

pytestmark = [
    pytest.mark.integration,
]


async def test_charge_is_one_claim_statement_then_one_transaction_when_the_copy_is_here(
    make_booking: Any, pay: Any, runtime: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)

    async with counting(runtime.engine) as trips:
        response = await pay(user, booking.booking_id, GOOD_CARD)

    assert response.status_code == 201, response.text
    assert response.json()["status"] == "succeeded"
    kinds = [" ".join(s.split()[:3]) for s in trips.statements]
    assert kinds == [
        "WITH copy AS",  # the claim: lock the copy, check, insert `processing` (no transaction)
        "UPDATE payment AS",  # the record: lock the copy, then the guarded outcome
        "INSERT INTO outbox_message",  # payment.succeeded
    ], trips.statements
    assert trips.control == ["BEGIN", "COMMIT"]  # around the record only


async def test_payment_waits_for_its_booking_created_instead_of_asking_booking_when_late(
    created_for: Any, publish: Any, pay: Any, fetch: Any, runtime: Any
) -> None:
    """booking's stand-in does not know this booking: asking it would answer 404. The payment
    still succeeds because booking.created lands while it waits, and our consumer wakes it."""
    user = uuid.uuid4()
    created = created_for(user, amount=3100)

    async def booking_created_a_little_later() -> None:
        await asyncio.sleep(0.05)
        await publish(created)

    async with counting(runtime.engine) as trips:
        response, _ = await asyncio.gather(
            pay(user, created.booking_id, GOOD_CARD), booking_created_a_little_later()
        )

    assert response.status_code == 201, response.text
    assert (response.json()["status"], response.json()["amount"]) == ("succeeded", 3100)
    claims = [s for s in trips.statements if s.startswith("WITH copy")]
    assert len(claims) >= 2, trips.statements  # no copy yet, then claimed once it came
    rows = await fetch(
        "SELECT status, amount FROM booking_copy WHERE booking_id = :id", id=created.booking_id
    )
    assert [tuple(r) for r in rows] == [("pending_payment", 3100)]


async def test_booking_created_wakes_the_payment_waiting_for_it_when_committed(
    created_for: Any, handle: Any, context: Any
) -> None:
    user = uuid.uuid4()
    awaited, other = created_for(user), created_for(user)

    with (
        context.copies.expect(awaited.booking_id) as arrived,
        context.copies.expect(other.booking_id) as not_yet,
    ):
        assert await handle(awaited) == "handled"
        await asyncio.wait_for(arrived.wait(), timeout=5)  # the consumer's after-commit job
        assert not not_yet.is_set()

    assert context.copies.waiting() == 0


async def test_payment_of_a_booking_nobody_created_asks_booking_after_the_wait_when_it_never_comes(
    pay: Any, context: Any
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()

    response = await pay(uuid.uuid4(), uuid.uuid4(), GOOD_CARD)

    assert response.status_code == 404  # booking's answer, asked after the wait
    assert loop.time() - started >= context.settings.BOOKING_COPY_WAIT_SECONDS
    assert context.copies.waiting() == 0  # nobody is left waiting
