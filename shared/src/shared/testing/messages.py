"""Messages in tests: what a service wrote to its outbox, and publishing as another service."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.contracts import Contract
from shared.messaging import Broker, Envelope


async def outbox_messages(
    engine: AsyncEngine, routing_key: str | None = None, **where: object
) -> list[dict[str, Any]]:
    """The envelopes a service wrote to its outbox, oldest first: of one ``routing_key`` (or
    all), whose ``data`` fields equal ``where`` (``booking_id=…``, compared as text)."""
    clauses = ["TRUE"]
    params: dict[str, object] = {}
    if routing_key is not None:
        clauses.append("routing_key = :routing_key")
        params["routing_key"] = routing_key
    for index, (field, value) in enumerate(sorted(where.items())):
        clauses.append(f"payload->'data'->>:field_{index} = :value_{index}")
        params[f"field_{index}"] = field
        params[f"value_{index}"] = str(value)
    sql = (
        "SELECT payload FROM outbox_message WHERE "
        + " AND ".join(clauses)
        + " ORDER BY created_at, id"
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(text(sql), params)).all()
    return [row.payload for row in rows]


def producer_of(data: Contract) -> str:
    """The service that publishes this contract: its module under ``shared.contracts``."""
    return type(data).__module__.rsplit(".", 1)[-1]


async def publish_as(
    broker: Broker,
    data: Contract,
    *,
    producer: str | None = None,
    envelope: Envelope[Any] | None = None,
) -> Envelope[Any]:
    """Publish ``data`` through RabbitMQ as its producer would (or resend ``envelope``)."""
    envelope = envelope or Envelope.wrap(data, producer=producer or producer_of(data))
    await broker.publish(envelope.to_json(), routing_key=envelope.type, message_id=str(envelope.id))
    return envelope
