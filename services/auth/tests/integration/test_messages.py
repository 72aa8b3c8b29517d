"""user.registered leaves through the outbox, in the registering transaction."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import httpx2
import pytest

from auth_service.settings import Settings
from shared.messaging import Names
from shared.testing.eventually import eventually
from shared.testing.fixtures import Outbox

pytestmark = pytest.mark.integration


@pytest.fixture
async def registered_queue(settings: Settings) -> AsyncIterator[aio_pika.abc.AbstractQueue]:
    """A temporary queue bound to user.registered on this suite's exchange."""
    connection = await aio_pika.connect_robust(settings.AMQP_URL)
    channel = await connection.channel()
    names = Names(settings.MESSAGING_NAMESPACE)
    exchange = await channel.declare_exchange(
        names.exchange, aio_pika.ExchangeType.TOPIC, durable=True
    )
    queue = await channel.declare_queue(
        f"{names.exchange}.test-{uuid.uuid4().hex[:8]}", exclusive=True
    )
    await queue.bind(exchange, routing_key="user.registered")
    try:
        yield queue
    finally:
        await queue.delete(if_unused=False, if_empty=False)
        await connection.close()


async def _register(client: httpx2.AsyncClient) -> dict[str, Any]:
    response = await client.post(
        "/api/auth/register",
        json={
            "email": f"msg-{uuid.uuid4().hex[:8]}@example.test",
            "password": "long-enough",
            "full_name": "Message Person",
        },
    )
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    return body


async def test_register_writes_user_registered_to_the_outbox_when_user_created(
    client: httpx2.AsyncClient, outbox: Outbox, probe: Any
) -> None:
    user = await _register(client)
    (payload,) = await outbox("user.registered", user_id=user["id"])
    assert payload["type"] == "user.registered" and payload["version"] == 1
    token = payload["data"].pop("verification_token")
    assert payload["data"] == {
        "user_id": user["id"],
        "email": user["email"],
        "full_name": "Message Person",
    }
    assert isinstance(token, str) and len(token) >= 43
    (row,) = await probe.rows(
        "SELECT token_hash FROM account_token WHERE user_id = :id", id=uuid.UUID(user["id"])
    )
    stored = row["token_hash"]
    # only the token's hash is stored
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in str(stored)


async def test_failed_registration_writes_no_message_when_email_taken(
    client: httpx2.AsyncClient, outbox: Outbox
) -> None:
    user = await _register(client)
    duplicate = await client.post(
        "/api/auth/register",
        json={"email": user["email"], "password": "long-enough", "full_name": "Again"},
    )
    assert duplicate.status_code == 409
    assert len(await outbox("user.registered", email=user["email"])) == 1


async def test_user_registered_reaches_the_broker_when_relayed(
    client: httpx2.AsyncClient, registered_queue: aio_pika.abc.AbstractQueue
) -> None:
    user = await _register(client)
    seen: list[dict[str, Any]] = []

    async def arrived() -> bool:
        message = await registered_queue.get(fail=False, no_ack=True)
        if message is not None:
            seen.append(json.loads(message.body))
        return any(m["data"]["user_id"] == user["id"] for m in seen)

    await eventually(arrived, timeout=10)
    envelope = next(m for m in seen if m["data"]["user_id"] == user["id"])
    assert envelope["type"] == "user.registered" and envelope["data"]["email"] == user["email"]
