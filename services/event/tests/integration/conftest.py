"""The event service in-process on the real PostgreSQL, Redis and RabbitMQ."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI

from event_service.main import create_app
from event_service.settings import Settings
from shared.contracts import Contract
from shared.messaging import Broker, Envelope, Names
from shared.runtime import Runtime
from shared.testing.app import running_app, service_settings
from shared.testing.infra import InfraUrls
from shared.testing.tokens import TestSigner

pytestmark = pytest.mark.integration

EventFactory = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture(scope="session")
async def event_settings(
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
    )
    return settings


@pytest.fixture(scope="session")
async def event_app(event_settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx2.AsyncClient]]:
    async with running_app(create_app, event_settings) as (app, client):
        yield app, client


@pytest.fixture
def client(event_app: tuple[FastAPI, httpx2.AsyncClient]) -> httpx2.AsyncClient:
    return event_app[1]


@pytest.fixture
def runtime(event_app: tuple[FastAPI, httpx2.AsyncClient]) -> Runtime:
    rt: Runtime = event_app[0].state.runtime
    return rt


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


@pytest.fixture(scope="session")
async def broker(infra: InfraUrls, event_settings: Settings) -> AsyncIterator[Broker]:
    """A broker on the test namespace, to play the booking service."""
    broker = Broker(infra.amqp, Names(event_settings.MESSAGING_NAMESPACE))
    await broker.connect()
    yield broker
    await broker.close()


@pytest.fixture
def send(broker: Broker) -> Callable[[Contract], Awaitable[Envelope[Contract]]]:
    """``await send(BookingConfirmedV1(...))`` publishes it as booking would (→ envelope)."""

    async def publish(data: Contract, envelope: Envelope[Contract] | None = None) -> Envelope[Any]:
        envelope = envelope or Envelope.wrap(data, producer="booking")
        await broker.publish(
            envelope.to_json(), routing_key=envelope.type, message_id=str(envelope.id)
        )
        return envelope

    return publish
