"""Exchanges and queues (DESIGN.md, "Messaging").

One durable topic exchange ``ticketing``; per consuming service a durable quorum queue
``<service>.events`` bound to the keys it handles, dead-lettering to ``ticketing.dlx`` → queue
``<service>.dlq`` after ``delivery_limit`` deliveries. A non-empty namespace prefixes every name
(``t1a2.ticketing``) so tests can run beside a live stack.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue


@dataclass(frozen=True, slots=True)
class Names:
    namespace: str = ""

    def _n(self, name: str) -> str:
        return f"{self.namespace}.{name}" if self.namespace else name

    @property
    def exchange(self) -> str:
        return self._n("ticketing")

    @property
    def dead_letter_exchange(self) -> str:
        return self._n("ticketing.dlx")

    def queue(self, service: str) -> str:
        return self._n(f"{service}.events")

    def dead_letter_queue(self, service: str) -> str:
        return self._n(f"{service}.dlq")


async def declare_exchange(channel: AbstractChannel, names: Names) -> AbstractExchange:
    return await channel.declare_exchange(names.exchange, aio_pika.ExchangeType.TOPIC, durable=True)


async def declare_service_queue(
    channel: AbstractChannel,
    names: Names,
    *,
    service: str,
    routing_keys: Iterable[str],
    delivery_limit: int,
) -> AbstractQueue:
    """The service's work queue (bound to ``routing_keys``) and its dead-letter queue."""
    exchange = await declare_exchange(channel, names)
    dlx = await channel.declare_exchange(
        names.dead_letter_exchange, aio_pika.ExchangeType.DIRECT, durable=True
    )
    dlq = await channel.declare_queue(
        names.dead_letter_queue(service), durable=True, arguments={"x-queue-type": "quorum"}
    )
    await dlq.bind(dlx, routing_key=service)
    queue = await channel.declare_queue(
        names.queue(service),
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": names.dead_letter_exchange,
            "x-dead-letter-routing-key": service,
            "x-delivery-limit": delivery_limit,
        },
    )
    for key in routing_keys:
        await queue.bind(exchange, routing_key=key)
    return queue
