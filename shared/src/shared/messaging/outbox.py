"""Transactional outbox: messages are written in the business transaction, then relayed.

``add(session, contract)`` inserts an ``outbox_message`` row inside the caller's transaction, so
a state change and the message announcing it commit (or vanish) together. :class:`OutboxRelay`
runs in every service process: it claims pending rows with ``FOR UPDATE SKIP LOCKED`` (so
replicas share the work without sending a row twice at once), publishes a whole batch with
publisher confirms in flight together, and marks only the confirmed rows as sent. Delivery is
at-least-once; consumers deduplicate on the envelope id (see ``inbox``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import weakref
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.contracts import Contract
from shared.db import after_commit, service_of, utcnow
from shared.logging import get_logger, request_id_var
from shared.messaging.broker import Broker
from shared.messaging.envelope import Envelope
from shared.observability import MESSAGES_PUBLISHED, OUTBOX_PENDING

log = get_logger("shared.messaging.outbox")

_INSERT = text(
    "INSERT INTO outbox_message (id, routing_key, payload, correlation_id, created_at) "
    "VALUES (:id, :routing_key, CAST(:payload AS jsonb), :correlation_id, :created_at)"
)
_CLAIM = text(
    "SELECT id, routing_key, payload::text AS payload, correlation_id FROM outbox_message "
    "WHERE published_at IS NULL AND available_at <= now() "
    "ORDER BY created_at LIMIT :limit FOR UPDATE SKIP LOCKED"
)
_MARK_SENT = text("UPDATE outbox_message SET published_at = now() WHERE id = ANY(:ids)")
_MARK_FAILED = text(
    "UPDATE outbox_message SET attempts = attempts + 1, last_error = :error, "
    "available_at = now() + make_interval(secs => LEAST(60, power(2, attempts))) "
    "WHERE id = ANY(:ids)"
)
_PENDING = text("SELECT count(*) FROM outbox_message WHERE published_at IS NULL")
_PURGE = text(
    "DELETE FROM outbox_message WHERE published_at IS NOT NULL AND published_at < :before"
)

# Relays in this process, woken after a commit that added outbox rows.
_wakeups: weakref.WeakSet[asyncio.Event] = weakref.WeakSet()


async def _wake_relays() -> None:
    for wakeup in list(_wakeups):
        wakeup.set()


async def add(
    session: AsyncSession, data: Contract, *, correlation_id: str | None = None
) -> Envelope[Contract]:
    """Write ``data`` to the outbox in the session's current transaction; the relay is woken
    when it commits. The producer is the service whose sessionmaker made ``session``."""
    envelope = Envelope.wrap(
        data, producer=service_of(session), correlation_id=correlation_id or request_id_var.get()
    )
    await session.execute(
        _INSERT,
        {
            "id": envelope.id,
            "routing_key": envelope.type,
            "payload": json.dumps(envelope.to_dict()),
            "correlation_id": envelope.correlation_id,
            "created_at": envelope.occurred_at,
        },
    )
    after_commit(session, _wake_relays)
    return envelope


class OutboxRelay:
    """Publishes committed outbox rows; one per service process, started in the lifespan."""

    def __init__(
        self,
        engine: AsyncEngine,
        broker: Broker,
        *,
        service: str,
        batch_size: int = 100,
        poll_seconds: float = 0.5,
        keep_sent: timedelta = timedelta(days=7),
    ) -> None:
        self.engine = engine
        self.broker = broker
        self.service = service
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.keep_sent = keep_sent
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        _wakeups.add(self._wakeup)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"{self.service}-outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        rounds = 0
        while True:
            try:
                sent = await self.relay_once()
                rounds += 1
                if rounds % 600 == 0:
                    await self._housekeeping()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox_relay_failed", service=self.service)
                sent = 0
                await asyncio.sleep(1)
            if sent < self.batch_size:
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), timeout=self.poll_seconds)

    async def relay_once(self) -> int:
        """Publish one batch; returns how many rows were confirmed."""
        async with self.engine.begin() as conn:
            rows = (await conn.execute(_CLAIM, {"limit": self.batch_size})).all()
            if not rows:
                return 0
            results = await asyncio.gather(
                *(
                    self.broker.publish(
                        row.payload.encode(),
                        routing_key=row.routing_key,
                        message_id=str(row.id),
                        correlation_id=row.correlation_id,
                    )
                    for row in rows
                ),
                return_exceptions=True,
            )
            sent = [row.id for row, result in zip(rows, results, strict=True) if result is None]
            failed = [
                (row.id, result)
                for row, result in zip(rows, results, strict=True)
                if isinstance(result, BaseException)
            ]
            if sent:
                await conn.execute(_MARK_SENT, {"ids": sent})
            if failed:
                error = repr(failed[0][1])[:500]
                await conn.execute(_MARK_FAILED, {"ids": [i for i, _ in failed], "error": error})
                log.warning("outbox_publish_failed", count=len(failed), error=error)
        for row, result in zip(rows, results, strict=True):
            if result is None:
                MESSAGES_PUBLISHED.labels(self.service, row.routing_key).inc()
        return len(sent)

    async def _housekeeping(self) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(_PURGE, {"before": utcnow() - self.keep_sent})
            pending = await conn.scalar(_PENDING)
        OUTBOX_PENDING.labels(self.service).set(int(pending or 0))

    async def pending(self) -> int:
        async with self.engine.connect() as conn:
            count = int(await conn.scalar(_PENDING) or 0)
        OUTBOX_PENDING.labels(self.service).set(count)
        return count
