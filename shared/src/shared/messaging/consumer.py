"""The consumer runner: parse → claim in the inbox → handle → commit → ack, in batches.

Services only declare handlers (``SUBSCRIPTIONS = {"payment.succeeded": on_payment_succeeded}``).

Messages that are waiting together are handled together: a worker takes what the queue has
ready (up to ``batch_size``), claims all their ids in the inbox with one statement, runs each
new one's handler, commits once and acks them all — one transaction (and one WAL flush) for the
batch instead of one per message (a service whose messages are not urgent — an audit log —
may linger a moment before each batch so that more gather). When anything in a batch fails,
the batch rolls back and each of its messages is handled again on its own, so one bad message
never holds up the rest. At low load a batch is one message and nothing waits to fill one.

A message that can never be handled (unreadable, unknown type, breaks its contract) is rejected
at once and dead-lettered. A handler failure is retried with backoff; the quorum queue counts
deliveries and dead-letters the message once it passes the delivery limit. Acks happen only
after the transaction has committed, so a crash in between means a redelivery, never a loss.
Handlers must therefore be safe to run again (their effects outside PostgreSQL go through
``shared.db.after_commit``, which never runs for a rolled-back batch).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts import Contract
from shared.faults import crash_after_commit
from shared.logging import get_logger, request_id_var
from shared.messaging import inbox
from shared.messaging.broker import Broker
from shared.messaging.envelope import Envelope, PoisonMessage
from shared.messaging.topology import declare_service_queue
from shared.observability import CONSUMER_SECONDS, MESSAGES_CONSUMED

log = get_logger(__name__)

C = TypeVar("C")

# ``on_<fact>(session, envelope: Envelope[<Fact>V1], ctx: Context)``: one per routing key.
Handler = Callable[[AsyncSession, Envelope[Any], C], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class _Delivery:
    message: AbstractIncomingMessage
    envelope: Envelope[Contract]
    handler: Handler[Any]


class Consumer:
    """Consumes the service's queue; handles what arrives together in one transaction."""

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
        batch_size: int = 32,
        workers: int = 2,
        linger_seconds: float = 0.0,
        fault_dir: str = "",
    ) -> None:
        self.broker = broker
        self.sessionmaker = sessionmaker
        self.service = service
        self.subscriptions = dict(subscriptions)
        self.context = context
        self.prefetch = prefetch
        self.fault_dir = fault_dir  # chaos tests only (shared.faults)
        self.delivery_limit = delivery_limit
        self.retry_base_seconds = retry_base_seconds
        self.batch_size = batch_size
        self.workers = workers
        self.linger_seconds = linger_seconds
        self.queue: AbstractQueue | None = None
        self._channel: AbstractChannel | None = None
        self._tag: str | None = None
        self._ready: asyncio.Queue[_Delivery] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._retries: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        if not self.subscriptions:
            return
        channel = self._channel = await self.broker.channel(prefetch=self.prefetch)
        self.queue = await declare_service_queue(
            channel,
            self.broker.names,
            service=self.service,
            routing_keys=self.subscriptions,
            delivery_limit=self.delivery_limit,
        )
        self._tasks = [
            asyncio.create_task(self._work(), name=f"{self.service}-consumer-{n}")
            for n in range(self.workers)
        ]
        self._tag = await self.queue.consume(self._on_message)

    async def dead_letters(self) -> int | None:
        """How many messages wait in the service's dead-letter queue (None: it consumes
        nothing, so it has none)."""
        if self._channel is None:
            return None
        # asked of the broker every time (a robust channel answers a repeated declare_queue
        # from its cache, with the count of the first declaration)
        underlay = await self._channel.get_underlay_channel()
        declared = await underlay.queue_declare(
            queue=self.broker.names.dead_letter_queue(self.service), passive=True
        )
        return int(declared.message_count or 0)

    async def stop(self) -> None:
        if self.queue is not None and self._tag is not None:
            await self.queue.cancel(self._tag)
            self._tag = None
        for task in [*self._tasks, *self._retries]:
            task.cancel()
        for task in [*self._tasks, *self._retries]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

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
        self._ready.put_nowait(_Delivery(message, envelope, handler))

    async def _work(self) -> None:
        while True:
            batch = [await self._ready.get()]
            if self.linger_seconds:  # a service where a little latency buys bigger batches
                await asyncio.sleep(self.linger_seconds)
            while len(batch) < self.batch_size and not self._ready.empty():
                batch.append(self._ready.get_nowait())
            try:
                await self._handle_batch(batch)
            except Exception:
                # e.g. an ack on a channel the broker closed (a broker restart): the broker
                # delivers those messages again on the new channel, and the inbox knows them.
                # The worker lives on — a dead worker would leave the queue unread for good.
                log.exception("message_batch_lost", size=len(batch))

    async def _handle_batch(self, batch: Sequence[_Delivery]) -> None:
        started = time.perf_counter()
        try:
            outcomes = await self.handle_many([(d.envelope, d.handler) for d in batch])
        except Exception:
            if len(batch) == 1:
                self._failed(batch[0], started)
                return
            log.warning("message_batch_failed", size=len(batch), exc_info=True)
            for delivery in batch:  # each on its own: the bad one is found, the others pass
                await self._handle_batch([delivery])
            return
        crash_after_commit(self.fault_dir, self.service)  # a chaos test's crash, if asked for
        seconds = (time.perf_counter() - started) / len(batch)
        for delivery, outcome in zip(batch, outcomes, strict=True):
            CONSUMER_SECONDS.labels(self.service, delivery.envelope.type).observe(seconds)
            MESSAGES_CONSUMED.labels(self.service, delivery.envelope.type, outcome).inc()
            await delivery.message.ack()

    def _failed(self, delivery: _Delivery, started: float) -> None:
        envelope = delivery.envelope
        deliveries = _delivery_count(delivery.message)
        last = deliveries + 1 >= self.delivery_limit
        token = request_id_var.set(envelope.correlation_id)
        log.exception(
            "message_failed",
            type=envelope.type,
            message_id=str(envelope.id),
            delivery=deliveries + 1,
            dead_letter=last,
        )
        request_id_var.reset(token)
        MESSAGES_CONSUMED.labels(
            self.service, envelope.type, "dead_lettered" if last else "retried"
        ).inc()
        CONSUMER_SECONDS.labels(self.service, envelope.type).observe(time.perf_counter() - started)
        # back off without holding a worker: the message stays unacked meanwhile
        delay = min(5.0, self.retry_base_seconds * 2**deliveries)
        task = asyncio.create_task(_nack_later(delivery.message, delay))
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    async def handle(self, envelope: Envelope[Contract], handler: Handler[Any]) -> str:
        """Run one handler with its inbox claim in one transaction; 'handled' or 'duplicate'."""
        [outcome] = await self.handle_many([(envelope, handler)])
        return outcome

    async def handle_many(
        self, items: Sequence[tuple[Envelope[Contract], Handler[Any]]]
    ) -> list[str]:
        """Claim every message in the inbox with one statement, run the new ones' handlers,
        commit once: ``"handled"`` or ``"duplicate"`` for each, in order."""
        async with self.sessionmaker() as session, session.begin():
            new = await inbox.claim_many(
                session,
                [(envelope.id, envelope.type) for envelope, _ in items],
                consumer=self.service,
            )
            outcomes = []
            for envelope, handler in items:
                if envelope.id not in new:
                    outcomes.append("duplicate")
                    continue
                new.discard(envelope.id)  # the same message twice in a batch runs once
                token = request_id_var.set(envelope.correlation_id)
                try:
                    await handler(session, envelope, self.context)
                finally:
                    request_id_var.reset(token)
                outcomes.append("handled")
        return outcomes


async def _nack_later(message: AbstractIncomingMessage, delay: float) -> None:
    await asyncio.sleep(delay)
    await message.nack(requeue=True)


def _delivery_count(message: AbstractIncomingMessage) -> int:
    """Earlier deliveries of this message (quorum queues count them in ``x-delivery-count``)."""
    value = (message.headers or {}).get("x-delivery-count", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
