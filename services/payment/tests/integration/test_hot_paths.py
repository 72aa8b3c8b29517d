"""The charge's hot path stays lean (what it sends to PostgreSQL is counted:
``round_trips.counting``), and a payment made before ``booking.created`` arrived waits for our
own copy instead of asking booking over HTTP."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from payment_service.copies import FLOWING_WITHIN
from services.payment.tests.integration.conftest import GOOD_CARD
from shared.testing.eventually import eventually
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


async def test_booking_created_rings_the_payment_waiting_for_it_when_committed(
    created_for: Any, handle: Any, context: Any
) -> None:
    user = uuid.uuid4()
    awaited, other = created_for(user), created_for(user)
    registered = asyncio.Event()

    async def not_there_yet() -> bool:
        registered.set()
        return False

    waiting = asyncio.create_task(context.copies.wait(awaited.booking_id, 10, not_there_yet))
    sleeping = asyncio.create_task(context.copies.wait(other.booking_id, 10, lambda: _no()))
    await registered.wait()

    assert await handle(awaited) == "handled"
    assert await asyncio.wait_for(waiting, timeout=5) is True  # rung long before its 10 s
    assert not sleeping.done()  # the other booking's waiter sleeps on
    sleeping.cancel()
    await asyncio.gather(sleeping, return_exceptions=True)
    assert context.copies.waiting == 0


async def _no() -> bool:
    return False


async def test_payment_of_a_booking_nobody_created_asks_booking_after_the_wait_when_it_never_comes(
    pay: Any, context: Any
) -> None:
    settings = context.settings
    if context.copies.rung_within(FLOWING_WITHIN):
        await asyncio.sleep(FLOWING_WITHIN)  # an earlier test's copies: no backlog here
    assert not context.copies.rung_within(FLOWING_WITHIN)
    loop = asyncio.get_running_loop()
    started = loop.time()

    response = await pay(uuid.uuid4(), uuid.uuid4(), GOOD_CARD)

    assert response.status_code == 404  # booking's answer, asked after the wait
    waited = loop.time() - started
    assert settings.BOOKING_COPY_WAIT_SECONDS <= waited < settings.BOOKING_COPY_BACKLOG_WAIT_SECONDS
    assert context.copies.waiting == 0  # nobody is left waiting


async def test_payment_waits_longer_for_its_copy_while_copies_keep_arriving(
    created_for: Any, publish: Any, pay: Any, consumed: Any, context: Any
) -> None:
    """An on-sale at the machine's limit: booking.created is flowing, only behind. booking's
    stand-in does not know the booking (asking it would answer 404): the payment succeeds
    because, copies having just arrived, it waited past BOOKING_COPY_WAIT_SECONDS for its own."""
    settings = context.settings
    late_by = settings.BOOKING_COPY_WAIT_SECONDS * 3
    assert late_by < settings.BOOKING_COPY_BACKLOG_WAIT_SECONDS
    user = uuid.uuid4()
    created = created_for(user, amount=4200)
    flowing = await publish(created_for(uuid.uuid4()))  # another buyer's booking, just copied
    await eventually(lambda: consumed(flowing.id), what="another booking's copy")
    assert context.copies.rung_within(FLOWING_WITHIN)

    async def ours_late() -> None:
        await asyncio.sleep(late_by)
        await publish(created)

    loop = asyncio.get_running_loop()
    started = loop.time()
    response, _ = await asyncio.gather(pay(user, created.booking_id, GOOD_CARD), ours_late())

    assert response.status_code == 201, response.text
    assert (response.json()["status"], response.json()["amount"]) == ("succeeded", 4200)
    assert loop.time() - started >= late_by
    assert context.copies.waiting == 0
