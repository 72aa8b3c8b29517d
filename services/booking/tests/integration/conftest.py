"""Booking on the real PostgreSQL, Redis and RabbitMQ, beside a stand-in for event's internal API.

Booking reaches event over HTTP (``EVENT_URL``), so the stand-in (``fake_event.py``) is a real
HTTP server on a free 127.0.0.1 port. ``app``, ``client``, ``runtime``, ``context``, ``outbox``,
``publish`` and ``handle`` come from ``shared.testing.fixtures``.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aio_pika
import pytest
from sqlalchemy import text

from booking_service.main import create_app
from booking_service.settings import Settings
from services.booking.tests.integration.fake_event import FakeEvent
from shared.contracts.payment import PaymentRefundedV1, PaymentSucceededV1
from shared.messaging import Names
from shared.testing.app import RunningService, service_settings
from shared.testing.app import running_service as running_service_of
from shared.testing.eventually import eventually
from shared.testing.server import serving


@pytest.fixture(scope="session")
async def fake_event() -> AsyncIterator[FakeEvent]:
    fake = FakeEvent()
    async with serving(fake.app) as url:
        fake.url = url
        yield fake


@pytest.fixture(scope="session")
async def settings(
    infra: Any,
    make_database: Any,
    make_namespace: Any,
    signer: Any,
    fake_event: FakeEvent,
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    settings: Settings = service_settings(
        Settings,
        infra=infra,
        database_url=await make_database("booking"),
        namespace=make_namespace("booking"),
        signer=signer,
        EVENT_URL=fake_event.url,
        TICKET_PRIVATE_KEY_PATH=tmp_path_factory.mktemp("keys") / "ticket_ed25519.pem",
        SWEEP_INTERVAL_SECONDS=0.2,
        HTTP_TIMEOUT_SECONDS=2,
    )
    return settings


@pytest.fixture(scope="session")
async def running_service(settings: Settings) -> AsyncIterator[RunningService]:
    async with running_service_of(create_app, settings) as running:
        yield running


# --- people and bookings --------------------------------------------------------------------


@dataclass
class Customer:
    id: uuid.UUID
    headers: dict[str, str]


@pytest.fixture
def customer(signer: Any) -> Callable[..., Customer]:
    """``customer()`` → a fresh signed-in user; ``customer(role="admin")`` for an admin;
    ``customer(name="Ada")`` with a ``name`` claim (auth's tokens carry one; without it, the
    token is one minted before they did)."""

    def make(role: str = "customer", *, name: str | None = None) -> Customer:
        user_id = uuid.uuid4()
        claims = {} if name is None else {"name": name}
        return Customer(user_id, signer.headers(user_id=user_id, role=role, **claims))

    return make


@pytest.fixture
def book(client: Any, fake_event: FakeEvent) -> Callable[..., Awaitable[Any]]:
    """``await book(user, seats=[...], event_id=..., key=..., starts_at=...)`` → POST
    /api/bookings's answer."""

    async def make(
        user: Customer,
        *,
        seats: list[tuple[str | None, str, int]] | None = None,
        event_id: uuid.UUID | None = None,
        key: str | None = None,
        organizer_id: uuid.UUID | None = None,
        starts_at: datetime | None = None,
    ) -> Any:
        hold = fake_event.add_hold(
            user_id=user.id,
            event_id=event_id,
            seats=seats,
            organizer_id=organizer_id,
            starts_at=starts_at,
        )
        headers = {**user.headers, **({"Idempotency-Key": key} if key else {})}
        return await client.post("/api/bookings", json={"hold_id": hold.hold_id}, headers=headers)

    return make


@pytest.fixture
def confirmed_booking(
    client: Any, book: Any, handle: Any, paid: Any
) -> Callable[..., Awaitable[dict[str, Any]]]:
    """``await confirmed_booking(user, **book_kwargs)`` → the booked, paid booking's detail
    (with its tickets), as its buyer reads it."""

    async def make(user: Customer, **kwargs: Any) -> dict[str, Any]:
        booking = (await book(user, **kwargs)).json()
        assert await handle(paid(booking)) == "handled"
        detail = await client.get(f"/api/bookings/{booking['id']}", headers=user.headers)
        body: dict[str, Any] = detail.json()
        assert body["status"] == "confirmed", body
        return body

    return make


@pytest.fixture
def expire(runtime: Any, booking_row: Any) -> Callable[..., Awaitable[None]]:
    """``await expire(booking_id)``: its deadline passes and the real sweeper expires it."""

    async def run(booking_id: str) -> None:
        async with runtime.sessionmaker() as session, session.begin():
            await session.execute(
                text("UPDATE booking SET expires_at = now() - interval '1 second' WHERE id = :id"),
                {"id": booking_id},
            )

        async def status() -> str:
            return str((await booking_row(booking_id)).status)

        await eventually(status, until=lambda s: s == "expired", what="expiry")

    return run


# --- what booking stored ----------------------------------------------------------------------


@pytest.fixture
def booking_row(runtime: Any) -> Callable[[Any], Awaitable[Any]]:
    async def read(booking_id: Any) -> Any:
        async with runtime.sessionmaker() as session:
            return (
                await session.execute(
                    text("SELECT * FROM booking WHERE id = :id"), {"id": str(booking_id)}
                )
            ).one()

    return read


@pytest.fixture
def seat_statuses(runtime: Any) -> Callable[[Any], Awaitable[list[str]]]:
    """``await seat_statuses(booking_id)`` → its booked seats' statuses, in order."""

    async def read(booking_id: Any) -> list[str]:
        async with runtime.sessionmaker() as session:
            rows = await session.execute(
                text("SELECT status FROM booked_seat WHERE booking_id = :b ORDER BY position"),
                {"b": str(booking_id)},
            )
        return [row.status for row in rows]

    return read


@pytest.fixture
async def listen(settings: Settings) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """``queue = await listen("booking.created")``: a temporary queue bound to the exchange;
    ``await queue.get_json()`` waits for the next message that left booking's outbox. Deleted
    after the test."""
    connection = await aio_pika.connect(settings.AMQP_URL)
    channel = await connection.channel()
    exchange_name = Names(settings.MESSAGING_NAMESPACE).exchange

    class Listener:
        def __init__(self, queue: aio_pika.abc.AbstractQueue) -> None:
            self.queue = queue

        async def get_json(self, timeout: float = 15) -> dict[str, Any]:
            deadline = asyncio.get_running_loop().time() + timeout
            while True:
                message = await self.queue.get(fail=False, no_ack=True)
                if message is not None:
                    result: dict[str, Any] = json.loads(message.body)
                    return result
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError("no message arrived")
                await asyncio.sleep(0.05)

    async def make(*routing_keys: str) -> Listener:
        exchange = await channel.get_exchange(exchange_name)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        for key in routing_keys:
            await queue.bind(exchange, routing_key=key)
        return Listener(queue)

    yield make
    await connection.close()


# --- messages to booking ----------------------------------------------------------------------


@pytest.fixture
def paid() -> Callable[..., PaymentSucceededV1]:
    """``paid(booking, payment_id=None)`` → payment.succeeded for a booking as POST
    /api/bookings answered it."""

    def make(booking: dict[str, Any], payment_id: uuid.UUID | None = None) -> PaymentSucceededV1:
        return PaymentSucceededV1(
            payment_id=payment_id or uuid.uuid4(),
            booking_id=uuid.UUID(booking["id"]),
            user_id=uuid.UUID(booking["user_id"]),
            amount=booking["amount"],
            currency=booking["currency"],
            card_last4="4242",
        )

    return make


@pytest.fixture
def refunded() -> Callable[..., PaymentRefundedV1]:
    """``refunded(booking, payment_id)`` → payment.refunded for it."""

    def make(booking: dict[str, Any], payment_id: uuid.UUID) -> PaymentRefundedV1:
        return PaymentRefundedV1(
            refund_id=uuid.uuid4(),
            payment_id=payment_id,
            booking_id=uuid.UUID(booking["id"]),
            user_id=uuid.UUID(booking["user_id"]),
            amount=booking["amount"],
            currency=booking["currency"],
        )

    return make
