"""The consumer runner: parse → claim in the inbox → handle → commit → ack.

Services only declare handlers (``SUBSCRIPTIONS = {"payment.succeeded": on_payment_succeeded}``).
A message that can never be handled (unreadable, unknown type, breaks its contract) is rejected
at once and dead-lettered. A handler failure is retried with backoff; the quorum queue counts
deliveries and dead-letters the message once it passes the delivery limit. Acks happen only
after the transaction has committed, so a crash in between means a redelivery, never a loss.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from aio_pika.abc import AbstractIncomingMessage, AbstractQueue
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts import Contract
from shared.logging import get_logger, request_id_var
from shared.messaging import inbox
from shared.messaging.broker import Broker
from shared.messaging.envelope import Envelope, PoisonMessage
from shared.messaging.topology import declare_service_queue
from shared.observability import CONSUMER_SECONDS, MESSAGES_CONSUMED

log = get_logger("shared.messaging.consumer")

C = TypeVar("C")

# ``on_<fact>(session, envelope: Envelope[<Fact>V1], ctx: Context)``: one per routing key.
Handler = Callable[[AsyncSession, Envelope[Any], C], Awaitable[None]]


class Consumer:
    """Consumes the service's queue and runs each message's handler in its own transaction."""

    def __init__(
        self,
        broker: Broker,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        service: str,
        subscriptions: Mapping[str, Handler[Any]],
        context: Any = None,
        prefetch: int = 32,
        delivery_limit: int = 5,
        retry_base_seconds: float = 0.2,
    ) -> None:
        self.broker = broker
        self.sessionmaker = sessionmaker
        self.service = service
        self.subscriptions = dict(subscriptions)
        self.context = context
        self.prefetch = prefetch
        self.delivery_limit = delivery_limit
        self.retry_base_seconds = retry_base_seconds
        self.queue: AbstractQueue | None = None
        self._tag: str | None = None

    async def start(self) -> None:
        if not self.subscriptions:
            return
        channel = await self.broker.channel(prefetch=self.prefetch)
        self.queue = await declare_service_queue(
            channel,
            self.broker.names,
            service=self.service,
            routing_keys=self.subscriptions,
            delivery_limit=self.delivery_limit,
        )
        self._tag = await self.queue.consume(self._on_message)

    async def stop(self) -> None:
        if self.queue is not None and self._tag is not None:
            await self.queue.cancel(self._tag)
            self._tag = None

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = Envelope.from_json(message.body)
            handler = self.subscriptions.get(envelope.type)
            if handler is None:
                raise PoisonMessage(f"{self.service} has no handler for {envelope.type}")
        except PoisonMessage as exc:
            log.error("message_poison", error=str(exc), routing_key=message.routing_key)
            MESSAGES_CONSUMED.labels(
                self.service, message.routing_key or "?", "dead_lettered"
            ).inc()
            await message.reject(requeue=False)
            return

        token = request_id_var.set(envelope.correlation_id)
        started = time.perf_counter()
        try:
            outcome = await self.handle(envelope, handler)
        except Exception:
            deliveries = _delivery_count(message)
            last = deliveries + 1 >= self.delivery_limit
            log.exception(
                "message_failed",
                type=envelope.type,
                message_id=str(envelope.id),
                delivery=deliveries + 1,
                dead_letter=last,
            )
            MESSAGES_CONSUMED.labels(
                self.service, envelope.type, "dead_lettered" if last else "retried"
            ).inc()
            await asyncio.sleep(min(5.0, self.retry_base_seconds * 2**deliveries))
            await message.nack(requeue=True)
            return
        finally:
            request_id_var.reset(token)
        CONSUMER_SECONDS.labels(self.service, envelope.type).observe(time.perf_counter() - started)
        MESSAGES_CONSUMED.labels(self.service, envelope.type, outcome).inc()
        await message.ack()

    async def handle(self, envelope: Envelope[Contract], handler: Handler[Any]) -> str:
        """Run one handler with its inbox claim in one transaction; 'handled' or 'duplicate'."""
        async with self.sessionmaker() as session, session.begin():
            first_time = await inbox.claim(
                session, message_id=envelope.id, consumer=self.service, message_type=envelope.type
            )
            if not first_time:
                return "duplicate"
            await handler(session, envelope, self.context)
        return "handled"


def _delivery_count(message: AbstractIncomingMessage) -> int:
    """Earlier deliveries of this message (quorum queues count them in ``x-delivery-count``)."""
    value = (message.headers or {}).get("x-delivery-count", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
