"""The notification service on the real PostgreSQL and RabbitMQ, with a real SMTP server.

``settings`` and ``running_service`` are defined here; ``app``, ``client``, ``runtime``,
``context``, ``outbox``, ``publish`` and ``handle`` come from ``shared.testing.fixtures``.
The SMTP server is aiosmtpd's ``Controller`` on a free local port (its own thread); it keeps
every message it accepts, and can be told to refuse the next few with a transient 451. A
second instance, whose SMTP server is down, has its own ``smtp_down*`` fixtures.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import aio_pika
import pytest
from aiosmtpd.controller import Controller
from prometheus_client import REGISTRY
from sqlalchemy import text

from notification_service.main import create_app
from notification_service.settings import Settings
from shared.contracts import Contract
from shared.contracts.booking import BookedSeat, BookingConfirmedV1, EventSummary, IssuedTicket
from shared.messaging import Envelope, Names
from shared.testing.app import RunningService, service_settings
from shared.testing.app import running_service as running_service_of
from shared.testing.infra import free_port
from shared.testing.messages import publish_as


class SmtpSink:
    """An aiosmtpd handler that collects messages (and can refuse a few first), noting the
    connection (the client's address) each one came over."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[tuple[Any, EmailMessage]] = []
        self._refuse = 0
        self._reply = ""
        self.refused = 0
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            if self._refuse > 0:
                self._refuse -= 1
                self.refused += 1
                return self._reply
            message = message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(message, EmailMessage)
            self._messages.append((session.peer, message))
        return "250 OK"

    def refuse_next(self, count: int, reply: str = "451 4.3.0 Try again later") -> None:
        with self._lock:
            self._refuse = count
            self._reply = reply

    def to(self, address: str) -> list[EmailMessage]:
        """Messages accepted for ``address``."""
        with self._lock:
            return [m for _, m in self._messages if address in str(m["To"])]

    def connections(self, addresses: Sequence[str]) -> list[Any]:
        """The connection each message for ``addresses`` came over, in the order accepted."""
        with self._lock:
            return [peer for peer, m in self._messages if any(a in str(m["To"]) for a in addresses)]


def _consumed(message_type: str, outcome: str) -> float:
    labels = {"service": "notification", "type": message_type, "outcome": outcome}
    return REGISTRY.get_sample_value("ticketing_messages_consumed_total", labels) or 0.0


Scalar = Callable[..., Awaitable[Any]]


def _scalar_on(runtime: Any) -> Scalar:
    async def scalar(sql: str, **params: Any) -> Any:
        async with runtime.engine.connect() as conn:
            return await conn.scalar(text(sql), params)

    return scalar


@pytest.fixture(scope="session")
def consumed() -> Callable[[str, str], float]:
    """How many messages of a type the notification consumers ended with an outcome
    (handled, duplicate, retried, dead_lettered), from the process's Prometheus registry."""
    return _consumed


@pytest.fixture(scope="session")
def dead_letters() -> Callable[[Settings], Awaitable[set[str]]]:
    """``await dead_letters(settings)`` → ids of every envelope dead-lettered so far."""
    seen: set[str] = set()

    async def read(settings: Settings) -> set[str]:
        connection = await aio_pika.connect(settings.AMQP_URL)
        async with connection:
            channel = await connection.channel()
            queue = await channel.get_queue(
                Names(settings.MESSAGING_NAMESPACE).dead_letter_queue("notification")
            )
            while (message := await queue.get(no_ack=False, fail=False)) is not None:
                seen.add(str(Envelope.from_json(message.body).id))
                await message.ack()
        return set(seen)

    return read


@pytest.fixture
def scalar(runtime: Any) -> Scalar:
    """``await scalar("SELECT ...", **params)`` on the service's own database."""
    return _scalar_on(runtime)


def _confirmed(
    *,
    user_id: uuid.UUID | None = None,
    email: str | None = None,
    seats: Sequence[str | None] = ("A-B-7", "A-B-8"),
    title: str = "Jazz Night",
) -> BookingConfirmedV1:
    user_id = user_id or uuid.uuid4()
    price = 8000
    tickets = [
        IssuedTicket(
            ticket_id=uuid.uuid4(),
            seat_id=seat,
            tier="vip" if seat else "floor",
            price=price,
            code=f"eyJ0Ijoi{uuid.uuid4().hex}.c2lnbmF0dXJl",
        )
        for seat in seats
    ]
    return BookingConfirmedV1(
        booking_id=uuid.uuid4(),
        hold_id=uuid.uuid4().hex,
        user_id=user_id,
        user_email=email or f"buyer-{uuid.uuid4().hex[:8]}@example.test",
        event_id=uuid.uuid4(),
        event=EventSummary(
            title=title, starts_at=datetime(2030, 7, 12, 19, 30, tzinfo=UTC), location="Blue Hall"
        ),
        amount=price * len(tickets),
        currency="USD",
        seats=[BookedSeat(seat_id=t.seat_id, tier=t.tier, price=t.price) for t in tickets],
        tickets=tickets,
        payment_id=uuid.uuid4(),
    )


@pytest.fixture(scope="session")
def booking_confirmed() -> Callable[..., BookingConfirmedV1]:
    """A ``booking.confirmed`` as booking would publish it (keyword overrides)."""
    return _confirmed


async def _make_settings(
    infra: Any, make_database: Any, make_namespace: Any, signer: Any, **overrides: Any
) -> Settings:
    settings: Settings = service_settings(
        Settings,
        infra=infra,
        database_url=await make_database("notification"),
        namespace=make_namespace("notification"),
        signer=signer,
        **overrides,
    )
    return settings


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture(scope="session")
async def settings(
    infra: Any,
    make_database: Any,
    make_namespace: Any,
    signer: Any,
    smtp_sink: SmtpSink,
) -> Settings:
    return await _make_settings(
        infra,
        make_database,
        make_namespace,
        signer,
        SMTP_PORT=smtp_sink.port,
        SMTP_TIMEOUT_SECONDS=5,
        AMQP_DELIVERY_LIMIT=4,
        # retries come due quickly, and the sender looks for them often
        MAIL_POLL_SECONDS=0.2,
        MAIL_LINGER_SECONDS=0.05,
        MAIL_RETRY_BASE_SECONDS=0.2,
        # the webhook receiver is on loopback; retries come due quickly
        WEBHOOK_ALLOW_PRIVATE=True,
        WEBHOOK_POLL_SECONDS=0.1,
        WEBHOOK_RETRY_BASE_SECONDS=0.2,
        WEBHOOK_RETRY_MAX_SECONDS=0.5,
        WEBHOOK_TIMEOUT_SECONDS=2,
    )


@pytest.fixture(scope="session")
async def running_service(settings: Settings) -> AsyncIterator[RunningService]:
    async with running_service_of(create_app, settings) as running:
        yield running


# --- a second instance whose SMTP server is down (nothing listens on its port) -------------


@pytest.fixture(scope="session")
async def smtp_down_settings(
    infra: Any,
    make_database: Any,
    make_namespace: Any,
    signer: Any,
) -> Settings:
    return await _make_settings(
        infra,
        make_database,
        make_namespace,
        signer,
        SMTP_PORT=free_port(),
        SMTP_TIMEOUT_SECONDS=2,
        AMQP_DELIVERY_LIMIT=2,
        MAIL_POLL_SECONDS=0.2,
        MAIL_LINGER_SECONDS=0.05,
        MAIL_RETRY_BASE_SECONDS=0.2,
        MAIL_RETRY_MAX_SECONDS=1,
    )


@pytest.fixture(scope="session")
async def smtp_down(smtp_down_settings: Settings) -> AsyncIterator[RunningService]:
    async with running_service_of(create_app, smtp_down_settings) as running:
        yield running


@pytest.fixture
def smtp_down_publish(smtp_down: RunningService) -> Callable[[Contract], Awaitable[Envelope[Any]]]:
    """``await smtp_down_publish(contract)``: the ``publish`` fixture, to the second instance."""

    async def send(data: Contract) -> Envelope[Any]:
        return await publish_as(smtp_down.runtime.broker, data)

    return send


@pytest.fixture
def smtp_down_scalar(smtp_down: RunningService) -> Scalar:
    """``scalar`` on the second instance's database."""
    return _scalar_on(smtp_down.runtime)


@pytest.fixture
def smtp_comes_back(smtp_down_settings: Settings) -> Iterator[Callable[[], SmtpSink]]:
    """``smtp_comes_back()``: an SMTP server starts on the second instance's port (the outage
    ends) and collects what it is sent; it stops again after the test."""
    controllers: list[Controller] = []

    def start() -> SmtpSink:
        sink = SmtpSink()
        sink.port = smtp_down_settings.SMTP_PORT
        controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
        controller.start()
        controllers.append(controller)
        return sink

    yield start
    for controller in controllers:
        controller.stop()
