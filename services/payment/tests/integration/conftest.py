"""The payment service on the real servers, a stand-in for booking's internal API, helpers.

``app``, ``client``, ``runtime``, ``context``, ``outbox``, ``publish`` and ``handle`` come from
``shared.testing.fixtures``; this module defines ``settings`` and ``running_service`` and what
only payment's tests need (the gated processor, booking's stand-in, ``pay``, ``make_booking``)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import structlog
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse
from sqlalchemy import text

from payment_service.main import create_app
from payment_service.processor import (
    Card,
    ChargeResult,
    ProcessorUnavailable,
    RefundResult,
    SimulatedProcessor,
)
from payment_service.settings import Settings
from shared.contracts.booking import BookedSeat, BookingCancelledV1, BookingCreatedV1
from shared.settings import DEV_INTERNAL_TOKEN
from shared.testing.app import RunningService, service_settings
from shared.testing.app import running_service as running_service_of
from shared.testing.eventually import eventually
from shared.testing.fixtures import Publish
from shared.testing.infra import InfraUrls, free_port
from shared.testing.server import serving
from shared.testing.tokens import TestSigner

GOOD_CARD = "4242424242424242"
SLOW_CARD = "5555555555554444"  # charges wait for the test to open the gate


class CrashAfterRefund(Exception):
    """The process 'dies' after the processor refunded but before payment committed."""


class GatedProcessor(SimulatedProcessor):
    """The simulated processor, except that a charge of SLOW_CARD waits for ``gate``, a charge
    of a card in ``charge_faults`` raises that exception, a refund of a charge in
    ``crash_after_refund`` raises once after refunding, one in ``unreachable`` raises
    :class:`ProcessorUnavailable` without refunding (until taken out of the set), and one in
    ``slow_refunds`` waits for ``refund_gate``."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.gate.set()
        self.charge_faults: dict[str, Exception] = {}  # card number → what charging it raises
        self.crash_after_refund: set[str] = set()
        self.unreachable: set[str] = set()
        self.slow_refunds: set[str] = set()
        self.refund_gate = asyncio.Event()
        self.refund_gate.set()
        self.refund_calls: list[str] = []  # charge references, one per refund asked for
        self.refund_keys: dict[str, list[str]] = {}  # charge reference → idempotency keys

    async def charge(
        self, amount: int, currency: str, card: Card, *, idempotency_key: str
    ) -> ChargeResult:
        if card.number == SLOW_CARD:
            await self.gate.wait()
        if (fault := self.charge_faults.get(card.number)) is not None:
            raise fault
        return await super().charge(amount, currency, card, idempotency_key=idempotency_key)

    async def refund(self, charge_ref: str, amount: int, *, idempotency_key: str) -> RefundResult:
        self.refund_calls.append(charge_ref)
        self.refund_keys.setdefault(charge_ref, []).append(idempotency_key)
        if charge_ref in self.unreachable:
            raise ProcessorUnavailable("processor unreachable")
        if charge_ref in self.slow_refunds:
            await self.refund_gate.wait()
        result = await super().refund(charge_ref, amount, idempotency_key=idempotency_key)
        if charge_ref in self.crash_after_refund:
            self.crash_after_refund.discard(charge_ref)
            raise CrashAfterRefund(charge_ref)
        return result


@pytest.fixture(scope="session")
async def booking_stub() -> AsyncIterator[tuple[str, dict[str, dict[str, Any]]]]:
    """A real HTTP server playing booking's ``GET /internal/bookings/{id}`` (the contract)."""
    bookings: dict[str, dict[str, Any]] = {}
    app = FastAPI()

    @app.get("/internal/bookings/{booking_id}")
    async def get_booking(
        booking_id: str, x_internal_token: str = Header(default="")
    ) -> JSONResponse:
        if x_internal_token != DEV_INTERNAL_TOKEN:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        if booking_id not in bookings:
            return JSONResponse({"success": False, "error": "not_found"}, status_code=404)
        return JSONResponse(bookings[booking_id])

    async with serving(app) as url:
        yield url, bookings


@pytest.fixture(scope="session")
async def settings(
    infra: InfraUrls, make_database: Any, make_namespace: Any, signer: TestSigner, booking_stub: Any
) -> Settings:
    settings: Settings = service_settings(
        Settings,
        infra=infra,
        database_url=await make_database("payment"),
        namespace=make_namespace("payment"),
        signer=signer,
        BOOKING_URL=booking_stub[0],
        SWEEP_INTERVAL_SECONDS=3600,  # the tests run the stale sweep themselves
    )
    return settings


@pytest.fixture(scope="session")
def processor() -> GatedProcessor:
    return GatedProcessor()


@pytest.fixture(scope="session")
async def running_service(
    settings: Settings, processor: GatedProcessor
) -> AsyncIterator[RunningService]:
    """The payment service, lifespan running, charging through the gated processor."""

    def factory(settings: Settings) -> FastAPI:
        return create_app(settings, processor=processor)

    async with running_service_of(factory, settings) as running:
        yield running


@pytest.fixture
def fetch(runtime: Any) -> Callable[..., Awaitable[list[Any]]]:
    """Rows of a query on the payment database."""

    async def run(sql: str, **params: Any) -> list[Any]:
        async with runtime.engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())

    return run


@pytest.fixture
def consumed(fetch: Any) -> Callable[[uuid.UUID], Awaitable[bool]]:
    """Whether payment's consumer has handled the message with this id (its inbox row)."""

    async def check(message_id: uuid.UUID) -> bool:
        rows = await fetch(
            "SELECT 1 FROM processed_message WHERE message_id = :id AND consumer = 'payment'",
            id=message_id,
        )
        return bool(rows)

    return check


def booking_created(
    user_id: uuid.UUID, *, amount: int = 8000, currency: str = "USD"
) -> BookingCreatedV1:
    return BookingCreatedV1(
        booking_id=uuid.uuid4(),
        hold_id=uuid.uuid4().hex,
        user_id=user_id,
        event_id=uuid.uuid4(),
        amount=amount,
        currency=currency,
        seats=[BookedSeat(seat_id="A-B-7", tier="vip", price=amount)],
        expires_at=datetime.now(UTC) + timedelta(minutes=15),
    )


def booking_cancelled(
    created: BookingCreatedV1, *, was_confirmed: bool = False, payment_id: uuid.UUID | None = None
) -> BookingCancelledV1:
    return BookingCancelledV1(
        booking_id=created.booking_id,
        hold_id=created.hold_id,
        user_id=created.user_id,
        user_email="buyer@example.test",
        event_id=created.event_id,
        seats=list(created.seats),
        reason="cancelled_by_user",
        was_confirmed=was_confirmed,
        payment_id=payment_id,
    )


@pytest.fixture
def make_booking(publish: Publish, fetch: Any) -> Callable[..., Awaitable[BookingCreatedV1]]:
    """booking.created for a new booking of ``user_id``, consumed by payment."""

    async def make(user_id: uuid.UUID, **kwargs: Any) -> BookingCreatedV1:
        created = booking_created(user_id, **kwargs)
        await publish(created)

        async def copy() -> Any:
            return await fetch(
                "SELECT status FROM booking_copy WHERE booking_id = :id", id=created.booking_id
            )

        await eventually(copy, what="booking copy stored")
        return created

    return make


@pytest.fixture
def pay(client: Any, signer: Any) -> Callable[..., Awaitable[Any]]:
    """POST /api/payments as ``user_id`` for ``booking_id``."""

    async def run(
        user_id: uuid.UUID,
        booking_id: uuid.UUID,
        card: str = GOOD_CARD,
        *,
        key: str | None = None,
        **extra: Any,
    ) -> Any:
        body = {
            "booking_id": str(booking_id),
            "card_number": card,
            "exp_month": 12,
            "exp_year": datetime.now(UTC).year + 3,
            "cvc": "123",
            **extra,
        }
        headers = signer.headers(user_id=user_id)
        if key is not None:
            headers["Idempotency-Key"] = key
        return await client.post("/api/payments", json=body, headers=headers)

    return run


@pytest.fixture(scope="session")
async def dead_booking_payment(
    infra: Any, make_database: Any, make_namespace: Any, signer: Any
) -> AsyncIterator[Any]:
    """A second payment service whose BOOKING_URL points at a port nobody listens on."""
    settings = service_settings(
        Settings,
        infra=infra,
        database_url=await make_database("payment"),
        namespace=make_namespace("payment"),
        signer=signer,
        BOOKING_URL=f"http://127.0.0.1:{free_port()}",
    )
    async with running_service_of(create_app, settings) as running:
        yield running.client


@contextlib.asynccontextmanager
async def closed_gate(processor: GatedProcessor) -> AsyncIterator[asyncio.Event]:
    processor.gate.clear()
    try:
        yield processor.gate
    finally:
        processor.gate.set()


@pytest.fixture
def gate(processor: GatedProcessor) -> Any:
    return closed_gate(processor)


@pytest.fixture(scope="session")
def created_for() -> Callable[..., BookingCreatedV1]:
    """A booking.created message (not sent) for a new booking of a user."""
    return booking_created


@pytest.fixture(scope="session")
def cancelled_of() -> Callable[..., BookingCancelledV1]:
    """The booking.cancelled message (not sent) for a booking.created one."""
    return booking_cancelled


@pytest.fixture
def service_log(running_service: RunningService) -> Iterator[io.StringIO]:
    """Everything the service logs, rendered by its own JSON formatter, for one test (the
    service's start-up configures that formatter)."""
    root = logging.getLogger()
    formatters = [
        h.formatter
        for h in root.handlers
        if isinstance(h.formatter, structlog.stdlib.ProcessorFormatter)
    ]
    assert formatters, "the service's JSON log handler is configured"
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(formatters[0])
    handler.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
