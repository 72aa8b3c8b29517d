"""H1: once a ticket was used at the gate, or the event has started, the buyer can no longer
cancel (and be refunded); an admin and event.cancelled still can. The rule is read under the
booking's row lock, which check-in's share lock excludes: of a check-in and a cancel racing,
exactly one wins."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from booking_service import repository as repo
from booking_service.service.saga import cancel_locked
from shared.contracts.event import EventCancelledV1
from shared.db import utcnow
from shared.testing.eventually import eventually

pytestmark = [pytest.mark.integration]

TWO_SEATS = [("H-A-1", "vip", 8000), ("H-A-2", "vip", 8000)]


def _cancel_url(booking: dict[str, Any]) -> str:
    return f"/api/bookings/{booking['id']}/cancel"


async def _check_in(client: Any, code: str, who: Any) -> Any:
    return await client.post("/api/bookings/checkin", json={"code": code}, headers=who.headers)


async def _lock_waiters(sessionmaker: Any) -> int:
    """Backends of this database waiting for a lock (a request blocked behind our transaction)."""
    async with sessionmaker() as session:
        result = await session.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
        return int(result.scalar_one())


async def test_buyer_cancel_is_409_invalid_state_when_a_ticket_was_checked_in(
    client: Any,
    customer: Any,
    confirmed_booking: Any,
    booking_row: Any,
    outbox: Any,
) -> None:
    buyer, admin = customer(), customer("admin")
    booking = await confirmed_booking(buyer, seats=[(s, t, p) for s, t, p in TWO_SEATS])
    assert (await _check_in(client, booking["tickets"][1]["code"], admin)).status_code == 200

    response = await client.post(_cancel_url(booking), headers=buyer.headers)

    assert response.status_code == 409, response.text
    body = response.json()
    assert body["error"] == "invalid_state"
    assert body["details"] == {"booking_status": "confirmed", "reason": "checked_in"}
    row = await booking_row(booking["id"])
    assert (row.status, row.cancel_reason) == ("confirmed", None)
    assert await outbox("booking.cancelled", booking_id=booking["id"]) == []  # nothing refunded


async def test_admin_cancel_refunds_when_a_ticket_was_checked_in(
    client: Any, customer: Any, confirmed_booking: Any, outbox: Any
) -> None:
    buyer, admin = customer(), customer("admin")
    booking = await confirmed_booking(buyer, seats=[("H-B-1", "vip", 8000)])
    await _check_in(client, booking["tickets"][0]["code"], admin)

    response = await client.post(_cancel_url(booking), headers=admin.headers)

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["cancel_reason"]) == (
        "cancelled",
        "cancelled_by_admin",
    )
    [message] = await outbox("booking.cancelled", booking_id=booking["id"])
    assert message["data"]["was_confirmed"] is True  # payment refunds it
    assert message["data"]["payment_id"] == booking["payment_id"]


async def test_event_cancelled_refunds_a_booking_when_a_ticket_was_checked_in(
    client: Any,
    customer: Any,
    confirmed_booking: Any,
    handle: Any,
    booking_row: Any,
    outbox: Any,
) -> None:
    organizer, event_id = customer("organizer"), uuid.uuid4()
    booking = await confirmed_booking(customer(), event_id=event_id, organizer_id=organizer.id)
    await _check_in(client, booking["tickets"][0]["code"], organizer)

    await handle(EventCancelledV1(event_id=event_id, organizer_id=organizer.id, title="Off"))

    row = await booking_row(booking["id"])
    assert (row.status, row.cancel_reason) == ("cancelled", "event_cancelled")
    [message] = await outbox("booking.cancelled", booking_id=booking["id"])
    assert message["data"]["was_confirmed"] is True


@pytest.mark.parametrize(
    "started", [timedelta(minutes=1), timedelta(days=2)], ids=["started", "ended"]
)
async def test_buyer_cancel_is_409_invalid_state_when_the_event_has_started(
    client: Any,
    customer: Any,
    confirmed_booking: Any,
    booking_row: Any,
    outbox: Any,
    started: timedelta,
) -> None:
    buyer = customer()
    booking = await confirmed_booking(buyer, starts_at=datetime.now(UTC) - started)

    response = await client.post(_cancel_url(booking), headers=buyer.headers)

    assert response.status_code == 409, response.text
    assert response.json()["details"] == {"booking_status": "confirmed", "reason": "event_started"}
    assert (await booking_row(booking["id"])).status == "confirmed"
    assert await outbox("booking.cancelled", booking_id=booking["id"]) == []
    by_admin = await client.post(_cancel_url(booking), headers=customer("admin").headers)
    assert by_admin.status_code == 200 and by_admin.json()["cancel_reason"] == "cancelled_by_admin"


async def test_buyer_cancels_unpaid_booking_when_the_event_has_started(
    client: Any, customer: Any, book: Any
) -> None:
    """Nothing to refund and nobody inside: an unpaid booking may always be given up."""
    buyer = customer()
    started = datetime.now(UTC) - timedelta(minutes=5)
    booking = (await book(buyer, starts_at=started)).json()

    response = await client.post(_cancel_url(booking), headers=buyer.headers)

    assert response.status_code == 200 and response.json()["status"] == "cancelled"


async def test_buyer_cancel_refunds_when_nothing_was_checked_in_before_the_start(
    client: Any, customer: Any, confirmed_booking: Any, outbox: Any
) -> None:
    buyer = customer()
    booking = await confirmed_booking(buyer, starts_at=datetime.now(UTC) + timedelta(hours=1))

    response = await client.post(_cancel_url(booking), headers=buyer.headers)

    assert response.status_code == 200 and response.json()["cancel_reason"] == "cancelled_by_user"
    [message] = await outbox("booking.cancelled", booking_id=booking["id"])
    assert message["data"]["was_confirmed"] is True


# --- races ----------------------------------------------------------------------------------


async def test_checkin_and_cancel_never_both_succeed_when_they_race(
    client: Any, customer: Any, confirmed_booking: Any, booking_row: Any, runtime: Any
) -> None:
    admin, rounds = customer("admin"), 8
    pairs = []
    for _ in range(rounds):
        buyer = customer()
        booking = await confirmed_booking(buyer)
        pairs.append((booking, buyer))

    async def cancel_after(yields: int, booking: dict[str, Any], buyer: Any) -> Any:
        for _ in range(yields):  # start the cancel a little later each round: both orders happen
            await asyncio.sleep(0)
        return await client.post(_cancel_url(booking), headers=buyer.headers)

    answers = await asyncio.gather(
        *(
            asyncio.gather(
                _check_in(client, booking["tickets"][0]["code"], admin),
                cancel_after(3 * n, booking, buyer),
            )
            for n, (booking, buyer) in enumerate(pairs)
        )
    )

    for (booking, _), (checkin, cancel) in zip(pairs, answers, strict=True):
        statuses = (checkin.status_code, cancel.status_code)
        assert statuses in {(200, 409), (409, 200)}, (statuses, checkin.text, cancel.text)
        row = await booking_row(booking["id"])
        async with runtime.sessionmaker() as session:
            used = await repo.any_ticket_checked_in(session, uuid.UUID(booking["id"]))
        if checkin.status_code == 200:
            assert (row.status, used, cancel.json()["details"]["reason"]) == (
                "confirmed",
                True,
                "checked_in",
            )
        else:
            assert (row.status, used, checkin.json()["error"]) == (
                "cancelled",
                False,
                "invalid_state",
            )


async def test_cancel_waits_for_a_checkin_in_flight_then_is_refused(
    client: Any, customer: Any, confirmed_booking: Any, booking_row: Any, runtime: Any
) -> None:
    """A gate's check-in holds the booking's share lock; the buyer's cancel waits for it and
    then sees the used ticket."""
    buyer = customer()
    booking = await confirmed_booking(buyer)
    booking_id, ticket_id = uuid.UUID(booking["id"]), uuid.UUID(booking["tickets"][0]["ticket_id"])

    async with runtime.sessionmaker() as gate, gate.begin():
        assert await repo.lock_booking_for_share(gate, booking_id) is not None
        assert await repo.check_in_ticket(gate, ticket_id, now=utcnow()) is not None
        cancel = asyncio.create_task(client.post(_cancel_url(booking), headers=buyer.headers))
        await eventually(
            lambda: _lock_waiters(runtime.sessionmaker), until=lambda n: n >= 1, what="cancel waits"
        )
        assert not cancel.done()
    response = await cancel

    assert response.status_code == 409 and response.json()["details"]["reason"] == "checked_in"
    assert (await booking_row(booking["id"])).status == "confirmed"


async def test_checkin_waits_for_a_cancel_in_flight_then_is_refused(
    client: Any, customer: Any, confirmed_booking: Any, runtime: Any
) -> None:
    """A cancel holds the booking's row lock; a check-in waits for it and then finds the
    booking cancelled."""
    admin = customer("admin")
    booking = await confirmed_booking(customer())

    async with runtime.sessionmaker() as desk, desk.begin():
        locked = await repo.lock_booking(desk, uuid.UUID(booking["id"]))
        assert locked is not None
        assert await cancel_locked(desk, locked, reason="cancelled_by_user")
        checkin = asyncio.create_task(_check_in(client, booking["tickets"][0]["code"], admin))
        await eventually(
            lambda: _lock_waiters(runtime.sessionmaker),
            until=lambda n: n >= 1,
            what="check-in waits",
        )
        assert not checkin.done()
    response = await checkin

    assert response.status_code == 409 and response.json()["error"] == "invalid_state"
    assert response.json()["details"]["booking_status"] == "cancelled"
    async with runtime.sessionmaker() as session:
        assert not await repo.any_ticket_checked_in(session, uuid.UUID(booking["id"]))
