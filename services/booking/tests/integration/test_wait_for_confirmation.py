"""``GET /api/bookings/{id}?wait=N``: the buyer's one request for the confirmation
(``watch.py``) — answered when the booking leaves ``pending_payment`` or when the time is up."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx2
import pytest
from sqlalchemy import text

from booking_service.context import Context

pytestmark = pytest.mark.integration


async def _waiting(
    client: httpx2.AsyncClient, booking: dict[str, Any], headers: Any, wait: int
) -> Any:
    """The request, started; (its task, when it started)."""
    started = time.monotonic()
    task = asyncio.ensure_future(
        client.get(f"/api/bookings/{booking['id']}?wait={wait}", headers=headers)
    )
    await asyncio.sleep(0.3)  # it is waiting now
    assert not task.done()
    return task, started


async def test_a_waiting_buyer_is_answered_as_soon_as_the_payment_confirms_the_booking(
    client: httpx2.AsyncClient,
    customer: Any,
    book: Any,
    handle: Any,
    paid: Any,
    context: Context,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rung by the consumer after its commit (the recheck is put out of reach here)."""
    monkeypatch.setattr(context.watch, "recheck_seconds", 60)
    buyer = customer()
    booking = (await book(buyer)).json()
    task, started = await _waiting(client, booking, buyer.headers, 20)
    assert context.watch.waiting == 1

    assert await handle(paid(booking)) == "handled"
    answer = await asyncio.wait_for(task, timeout=5)

    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "confirmed"
    assert len(body["tickets"]) == len(body["seats"]) == 1
    assert time.monotonic() - started < 2  # woken, not timed out
    assert context.watch.waiting == 0
    await context.watch.aclose()  # its recheck sleeps 60 s: not for the next tests


async def test_a_change_made_elsewhere_is_found_by_the_recheck(
    client: httpx2.AsyncClient, customer: Any, book: Any, runtime: Any, context: Context
) -> None:
    """Another replica's consumer, the sweeper, a cancellation: nobody rings this process."""
    buyer = customer()
    booking = (await book(buyer)).json()
    task, started = await _waiting(client, booking, buyer.headers, 20)

    async with runtime.sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE booking SET status = 'expired' WHERE id = :id"), {"id": booking["id"]}
        )
    answer = await asyncio.wait_for(task, timeout=5)

    assert (answer.status_code, answer.json()["status"]) == (200, "expired")
    assert time.monotonic() - started < 0.3 + 3 * context.watch.recheck_seconds + 1
    assert context.watch.waiting == 0


async def test_when_the_time_is_up_the_booking_is_answered_as_it_is(
    client: httpx2.AsyncClient, customer: Any, book: Any, context: Context
) -> None:
    buyer = customer()
    booking = (await book(buyer)).json()
    started = time.monotonic()
    answer = await client.get(f"/api/bookings/{booking['id']}?wait=1", headers=buyer.headers)
    elapsed = time.monotonic() - started

    assert (answer.status_code, answer.json()["status"]) == (200, "pending_payment")
    assert 1 <= elapsed < 3
    assert context.watch.waiting == 0


async def test_many_buyers_wait_at_once_and_each_is_answered_for_their_own_booking(
    client: httpx2.AsyncClient, customer: Any, book: Any, handle: Any, paid: Any, context: Context
) -> None:
    buyers = [customer() for _ in range(6)]
    bookings = [(await book(b)).json() for b in buyers]
    tasks = [
        asyncio.ensure_future(client.get(f"/api/bookings/{bk['id']}?wait=10", headers=b.headers))
        for b, bk in zip(buyers, bookings, strict=True)
    ]
    await asyncio.sleep(0.3)
    for booking in bookings[:3]:
        assert await handle(paid(booking)) == "handled"
    answers = await asyncio.wait_for(asyncio.gather(*tasks[:3]), timeout=5)
    assert [a.json()["id"] for a in answers] == [b["id"] for b in bookings[:3]]
    assert {a.json()["status"] for a in answers} == {"confirmed"}
    assert not any(t.done() for t in tasks[3:])  # the others still wait
    assert context.watch.waiting == 3
    for task in tasks[3:]:
        task.cancel()
    await asyncio.gather(*tasks[3:], return_exceptions=True)


async def test_nobody_else_can_wait_on_a_booking_and_unknown_ones_are_404_at_once(
    client: httpx2.AsyncClient, customer: Any, book: Any
) -> None:
    booking = (await book(customer())).json()
    started = time.monotonic()
    stranger = await client.get(
        f"/api/bookings/{booking['id']}?wait=20", headers=customer().headers
    )
    unknown = await client.get(f"/api/bookings/{uuid.uuid4()}?wait=20", headers=customer().headers)
    assert (stranger.status_code, stranger.json()["error"]) == (404, "not_found")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")
    assert time.monotonic() - started < 1
