"""The event service in-process on the real PostgreSQL, Redis and RabbitMQ.

Besides the shared fixtures (``app``, ``client``, ``runtime``, ``context``, ``outbox``,
``publish``, ``handle``): actors and events (``organizer``, ``buyer``, ``make_event``), readings
(``hold_of``, ``statuses``, ``tier_of``), booking's messages (``confirmed``, ``announced``),
and time (``clock``, ``lapse``) — holds lapse by Redis's clock, so a test makes a hold lapse by
doing to its keys what time would, instead of waiting.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import httpx2
import pytest

from event_service.clock import Clock
from event_service.context import Context
from event_service.holds import Hold, HoldStore
from event_service.holds.models import buyer_member, ga_member
from event_service.main import create_app
from event_service.settings import Settings
from shared.contracts.booking import BookedSeat, BookingConfirmedV1, EventSummary, IssuedTicket
from shared.messaging import Names
from shared.testing.app import RunningService, service_settings
from shared.testing.app import running_service as running_service_of
from shared.testing.infra import InfraUrls
from shared.testing.tokens import TestSigner

pytestmark = pytest.mark.integration

EventFactory = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture(scope="session")
async def settings(
    infra: InfraUrls, make_database: Any, make_namespace: Any, signer: TestSigner
) -> Settings:
    url = await make_database("event")
    settings: Settings = service_settings(
        Settings,
        infra=infra,
        database_url=url,
        namespace=make_namespace("event"),
        signer=signer,
        HOLD_SWEEP_SECONDS=0.2,
        AMQP_DELIVERY_LIMIT=2,
        # the waiting lists' places are handed out by the tests (``waitlist.hand_out``), in step
        WAITLIST_TICK_SECONDS=3600,
    )
    return settings


@pytest.fixture(scope="session")
async def running_service(settings: Settings) -> AsyncIterator[RunningService]:
    async with running_service_of(create_app, settings) as running:
        yield running


# --- actors and events -------------------------------------------------------------------------


@pytest.fixture
def organizer(signer: TestSigner) -> dict[str, Any]:
    """A fresh organizer: ``{"id": uuid, "headers": {...}}``."""
    uid = uuid.uuid4()
    return {"id": uid, "headers": signer.headers(user_id=uid, role="organizer")}


@pytest.fixture
def buyer(signer: TestSigner) -> Callable[[], dict[str, Any]]:
    """``buyer()`` → a fresh customer ``{"id": uuid, "headers": {...}}``."""

    def make() -> dict[str, Any]:
        uid = uuid.uuid4()
        return {"id": uid, "headers": signer.headers(user_id=uid, role="customer")}

    return make


def event_body(**overrides: Any) -> dict[str, Any]:
    starts = datetime.now(UTC) + timedelta(days=30)
    body: dict[str, Any] = {
        "title": "Night Concert",
        "description": "An evening of music.",
        "location": "Riverside Hall, Lisbon",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "currency": "USD",
        "max_tickets_per_order": 10,
        "max_tickets_per_buyer": 10,
        "tiers": [
            {"code": "standard", "name": "Standard", "price": 2500},
            {"code": "vip", "name": "VIP", "price": 8000},
            {"code": "floor", "name": "Floor (standing)", "price": 3000, "capacity": 10},
        ],
        "seating": [
            {"section": "A", "tier": "vip", "rows": ["A", "B"], "seats_per_row": 5},
            {"section": "B", "tier": "standard", "rows": ["C", "D"], "seats_per_row": 5},
        ],
    }
    body.update(overrides)
    return body


@pytest.fixture
def body_of() -> Callable[..., dict[str, Any]]:
    return event_body


@pytest.fixture
def make_event(client: httpx2.AsyncClient, organizer: dict[str, Any]) -> EventFactory:
    """``await make_event(publish=True, **body_overrides)`` → the event as created/published."""

    async def make(*, publish: bool = True, **overrides: Any) -> dict[str, Any]:
        response = await client.post(
            "/api/events", json=event_body(**overrides), headers=organizer["headers"]
        )
        assert response.status_code == 201, response.text
        event: dict[str, Any] = response.json()
        if publish:
            response = await client.post(
                f"/api/events/{event['id']}/publish", headers=organizer["headers"]
            )
            assert response.status_code == 200, response.text
            event = response.json()
        return event

    return make


# --- readings ----------------------------------------------------------------------------------


@pytest.fixture
def holds_path() -> Callable[[dict[str, Any]], str]:
    """``holds_path(event)`` → ``/api/events/{id}/holds``."""
    return lambda event: f"/api/events/{event['id']}/holds"


@pytest.fixture
def hold_of(client: httpx2.AsyncClient) -> Callable[..., Awaitable[dict[str, Any]]]:
    """``await hold_of(event, who, body)`` → the hold ``who`` took (asserts the 201)."""

    async def hold(event: dict[str, Any], who: dict[str, Any], body: Any) -> dict[str, Any]:
        response = await client.post(
            f"/api/events/{event['id']}/holds", json=body, headers=who["headers"]
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    return hold


@pytest.fixture
def statuses(client: httpx2.AsyncClient) -> Callable[..., Awaitable[dict[str, str]]]:
    """``await statuses(event)`` → ``{seat_id: status}`` from the seat map."""

    async def read(event: dict[str, Any]) -> dict[str, str]:
        seats = (await client.get(f"/api/events/{event['id']}/seats")).json()
        return {s["seat_id"]: s["status"] for s in seats}

    return read


@pytest.fixture
def tier_of(client: httpx2.AsyncClient) -> Callable[..., Awaitable[dict[str, Any]]]:
    """``await tier_of(event, code)`` → the tier as the event's detail shows it."""

    async def read(event: dict[str, Any], code: str) -> dict[str, Any]:
        detail = (await client.get(f"/api/events/{event['id']}")).json()
        tier: dict[str, Any] = next(t for t in detail["tiers"] if t["code"] == code)
        return tier

    return read


# --- booking's messages, and event's own ---------------------------------------------------------


@pytest.fixture
def confirmed() -> Callable[..., BookingConfirmedV1]:
    """``confirmed(event, hold, booking_id=None, user_id=None)`` → booking.confirmed for
    ``hold`` as booking would send it (a new booking and buyer unless given)."""

    def message(
        event: dict[str, Any],
        hold: dict[str, Any],
        *,
        booking_id: uuid.UUID | None = None,
        user_id: uuid.UUID | None = None,
    ) -> BookingConfirmedV1:
        seats = [BookedSeat(**s) for s in hold["seats"]]
        return BookingConfirmedV1(
            booking_id=booking_id or uuid.uuid4(),
            hold_id=hold["hold_id"],
            user_id=user_id or uuid.uuid4(),
            user_email="buyer@example.test",
            event_id=uuid.UUID(event["id"]),
            event=EventSummary(
                title=event["title"],
                starts_at=datetime.fromisoformat(event["starts_at"]),
                location=event["location"],
            ),
            amount=hold["amount"],
            currency=hold["currency"],
            seats=seats,
            tickets=[
                IssuedTicket(
                    ticket_id=uuid.uuid4(),
                    seat_id=s.seat_id,
                    tier=s.tier,
                    price=s.price,
                    code="x.y",
                )
                for s in seats
            ],
            payment_id=uuid.uuid4(),
        )

    return message


@pytest.fixture
async def announced(infra: InfraUrls, settings: Settings) -> AsyncIterator[Any]:
    """``await announced(routing_key, event_id)`` → the data of event's message about that
    event once it went through RabbitMQ (the event.* messages only)."""
    connection = await aio_pika.connect(infra.amqp)
    channel = await connection.channel()
    exchange = await channel.get_exchange(Names(settings.MESSAGING_NAMESPACE).exchange)
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    for key in ("event.created", "event.published", "event.cancelled", "event.deleted"):
        await queue.bind(exchange, routing_key=key)
    seen: list[tuple[str, dict[str, Any]]] = []

    async def wait(routing_key: str, event_id: str) -> dict[str, Any]:
        for _ in range(200):
            for key, data in seen:
                if key == routing_key and data["event_id"] == event_id:
                    return data
            message = await queue.get(fail=False)
            if message is None:
                await asyncio.sleep(0.05)
                continue
            await message.ack()
            payload = json.loads(message.body)
            seen.append((message.routing_key or "", payload["data"]))
        raise AssertionError(f"{routing_key} for {event_id} never arrived")

    yield wait
    await queue.delete()
    await connection.close()


# --- time --------------------------------------------------------------------------------------


@pytest.fixture
def clock(context: Context) -> Iterator[Clock]:
    """The service's clock (sales windows, the sweeper's visits); a test moves it forward with
    ``clock.advance(...)``, and it is set back afterwards."""
    yield context.clock
    context.clock.reset()


async def lapse_hold(store: HoldStore, hold: Hold, *, ago: timedelta = timedelta(0)) -> None:
    """What time does to ``hold`` in Redis, as if it had lapsed ``ago`` (by Redis's clock): the
    keys that expire with it are gone, its entries scored by expiry fall due."""
    redis, keys, event_id = store.redis, store.keys, hold.event_id
    seconds, micros = await redis.time()
    when = seconds * 1000 + micros // 1000 - int(ago.total_seconds() * 1000)
    for place in hold.places:
        if place.seat_id is None:
            continue
        seat = keys.seat(event_id, place.seat_id)
        if await redis.get(seat) == hold.hold_id:
            await redis.delete(seat)
        await redis.zadd(keys.held(event_id, place.tier), {place.seat_id: when}, xx=True)
    await redis.delete(keys.record(event_id, hold.hold_id), keys.index(hold.hold_id))
    member = ga_member(hold.hold_id, hold.places)
    if member:
        await redis.zadd(keys.ga_expiry(event_id), {member: when}, xx=True)
        await redis.zadd(keys.sweep(), {str(event_id): when}, lt=True)
    mine = buyer_member(hold.hold_id, hold.quantity)
    await redis.zadd(keys.buyer(event_id, hold.user_id), {mine: when, f"{mine}|b": when}, xx=True)
    if hold.address:
        await redis.zadd(keys.address(event_id, hold.address), {hold.hold_id: when}, xx=True)


@pytest.fixture
def lapse(context: Context) -> Callable[..., Awaitable[Hold]]:
    """``await lapse(hold, ago=timedelta(...))`` → the ``Hold``, which lapses now (or lapsed
    ``ago``; see ``lapse_hold``). ``hold``: an answer of the API (the hold must be live), or a
    ``Hold`` (e.g. one lapsed before, to move its lapse further back)."""

    async def run(hold: Hold | dict[str, Any], *, ago: timedelta = timedelta(0)) -> Hold:
        if isinstance(hold, dict):
            found = await context.holds.get(uuid.UUID(hold["event_id"]), hold["hold_id"])
            assert found is not None, "the hold is not live"
            hold = found
        await lapse_hold(context.holds, hold, ago=ago)
        return hold

    return run


@pytest.fixture(scope="session")
def lapse_with() -> Callable[..., Awaitable[None]]:
    """``lapse_hold`` itself, for tests with a store of their own (another event loop)."""
    return lapse_hold
