"""Pytest fixtures every suite can use (registered by the root ``conftest.py``).

A service's integration ``conftest.py`` defines two session fixtures — ``settings`` (its
``Settings`` for the test databases, namespace and key prefix) and ``running_service``
(``async with running_service(create_app, settings) as running: yield running``) — and gets
the same set of names as every other service: ``app``, ``client``, ``runtime``, ``context``,
``outbox`` (the envelopes it wrote), ``publish`` (a message through RabbitMQ, as its producer
would send it) and ``handle`` (a message straight through the service's consumer runner).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI

from shared.contracts import Contract
from shared.messaging import Envelope
from shared.testing.app import RunningService
from shared.testing.infra import (
    SERVICES,
    InfraUrls,
    create_database,
    delete_namespace,
    delete_redis_prefix,
    drop_database,
    resolve_infra,
    unique_name,
)
from shared.testing.messages import outbox_messages, producer_of, publish_as
from shared.testing.tokens import TestSigner


@pytest.fixture(scope="session")
def infra() -> InfraUrls:
    return resolve_infra()


@pytest.fixture(scope="session")
def signer() -> TestSigner:
    return TestSigner()


@pytest.fixture(scope="session")
async def make_database(infra: InfraUrls) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """``await make_database("booking")`` → URL of a new database owned by role ``booking``."""
    created: list[str] = []

    async def make(service: str) -> str:
        name = unique_name(service)
        created.append(name)
        return await create_database(infra, name, owner=service)

    yield make
    for name in created:
        await drop_database(infra, name)


@pytest.fixture(scope="session")
async def make_namespace(infra: InfraUrls) -> AsyncIterator[Callable[[str], str]]:
    """``make_namespace("booking")`` → a namespace and Redis prefix, removed afterwards.

    The stem is also taken as a service name, so a test-only service's queues go too."""
    created: list[tuple[str, str]] = []

    def make(stem: str) -> str:
        name = unique_name(stem).replace("_", "-")
        created.append((name, stem))
        return name

    yield make
    for name, stem in created:
        await delete_namespace(infra, name, services=tuple({*SERVICES, stem}))
        await delete_redis_prefix(infra, f"{name}:")


@pytest.fixture
def app(running_service: RunningService) -> FastAPI:
    return running_service.app


@pytest.fixture
def client(running_service: RunningService) -> httpx2.AsyncClient:
    return running_service.client


@pytest.fixture
def runtime(running_service: RunningService) -> Any:
    return running_service.runtime


@pytest.fixture
def context(runtime: Any) -> Any:
    return runtime.context


Outbox = Callable[..., Awaitable[list[dict[str, Any]]]]
Publish = Callable[..., Awaitable[Envelope[Any]]]
Handle = Callable[[Contract], Awaitable[str]]


@pytest.fixture
def outbox(runtime: Any) -> Outbox:
    """``await outbox("booking.created", booking_id=...)``: envelopes written, oldest first."""

    async def read(routing_key: str | None = None, **where: object) -> list[dict[str, Any]]:
        return await outbox_messages(runtime.engine, routing_key, **where)

    return read


@pytest.fixture
def publish(runtime: Any) -> Publish:
    """``await publish(contract)`` (or ``publish(envelope=...)`` to resend one) via RabbitMQ."""

    async def send(
        data: Contract | None = None, *, envelope: Envelope[Any] | None = None
    ) -> Envelope[Any]:
        if envelope is None:
            if data is None:
                raise ValueError("publish a contract or an envelope")
            envelope = Envelope.wrap(data, producer=producer_of(data))
        return await publish_as(runtime.broker, envelope.data, envelope=envelope)

    return send


@pytest.fixture
def handle(runtime: Any) -> Handle:
    """``await handle(contract)``: one new message through the service's consumer runner
    (inbox + transaction), synchronously → ``"handled"`` or ``"duplicate"``."""

    async def run(data: Contract) -> str:
        envelope = Envelope.wrap(data, producer=producer_of(data))
        outcome: str = await runtime.consumer.handle(
            envelope, runtime.consumer.subscriptions[envelope.type]
        )
        return outcome

    return run
