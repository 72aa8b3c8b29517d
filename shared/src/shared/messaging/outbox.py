"""Transactional outbox: messages are written in the business transaction, then published.

``add(session, contract)`` inserts an ``outbox_message`` row inside the caller's transaction, so
a state change and the message announcing it commit (or vanish) together.

Publishing, by :class:`OutboxRelay` (one per service process, started with the runtime):

- **right after the commit** — the process that wrote the rows hands them to its relay (an
  after-commit job; nothing is sent for a rolled-back transaction), which publishes them with
  publisher confirms, many in flight together, and marks the confirmed ones as sent in one
  ``UPDATE`` per batch. No claim transaction, no polling, no wait.
- **the sweep** — every ``poll_seconds`` it claims rows still unsent ``sweep_after`` after
  they were written (the process died between commit and publish, the broker refused, the
  mark was lost) with ``FOR UPDATE SKIP LOCKED``, so replicas share that work without sending a
  row twice at once, publishes and marks them; failures back off. It also keeps the
  ``ticketing_outbox_oldest_pending_seconds`` gauge current.

Delivery is at-least-once (a row published right after its commit whose mark is lost is sent
again by the sweep); consumers deduplicate on the envelope id (see ``inbox``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.contracts import Contract
from shared.db import after_commit, service_of, utcnow
from shared.logging import get_logger, request_id_var
from shared.messaging.broker import Broker
from shared.messaging.envelope import Envelope
from shared.observability import MESSAGES_PUBLISHED, OUTBOX_OLDEST, OUTBOX_PENDING

log = get_logger(__name__)

_INSERT = text(
    "INSERT INTO outbox_message (id, routing_key, payload, correlation_id, created_at) "
    "VALUES (:id, :routing_key, CAST(:payload AS jsonb), :correlation_id, :created_at)"
)
_CLAIM = text(
    "SELECT id, routing_key, payload::text AS payload, correlation_id FROM outbox_message "
    "WHERE published_at IS NULL AND available_at <= now() "
    "AND created_at < now() - make_interval(secs => :grace) "
    "ORDER BY created_at LIMIT :limit FOR UPDATE SKIP LOCKED"
)
_MARK_SENT = text(
    "UPDATE outbox_message SET published_at = now() WHERE id = ANY(:ids) AND published_at IS NULL"
)
_MARK_FAILED = text(
    "UPDATE outbox_message SET attempts = attempts + 1, last_error = :error, "
    "available_at = now() + make_interval(secs => LEAST(60, power(2, attempts))) "
    "WHERE id = ANY(:ids)"
)
_PENDING = text(
    "SELECT count(*) AS pending, "
    "coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest "
    "FROM outbox_message WHERE published_at IS NULL"
)
_PURGE = text(
    "DELETE FROM outbox_message WHERE published_at IS NOT NULL AND published_at < :before"
)


_IDLE_SWEEP_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class _Row:
    id: object
    routing_key: str
    payload: str
    correlation_id: str | None


# The running relay of each database engine in this process (tests run several services,
# even two instances of one, in one process): rows go to the relay of the engine they were
# written through.
_relays: weakref.WeakKeyDictionary[Engine, OutboxRelay] = weakref.WeakKeyDictionary()


async def add(
    session: AsyncSession, data: Contract, *, correlation_id: str | None = None
) -> Envelope[Contract]:
    """Write ``data`` to the outbox in the session's current transaction; it is published as
    soon as that transaction commits. The producer is the service whose sessionmaker made
    ``session``."""
    service = service_of(session)
    envelope = Envelope.wrap(
        data, producer=service, correlation_id=correlation_id or request_id_var.get()
    )
    payload = json.dumps(envelope.to_dict())
    await session.execute(
        _INSERT,
        {
            "id": envelope.id,
            "routing_key": envelope.type,
            "payload": payload,
            "correlation_id": envelope.correlation_id,
            "created_at": envelope.occurred_at,
        },
    )
    row = _Row(envelope.id, envelope.type, payload, envelope.correlation_id)
    bind = session.sync_session.get_bind()

    async def dispatch() -> None:
        relay = _relays.get(bind) if isinstance(bind, Engine) else None
        if relay is not None:
            relay.dispatch(row)

    after_commit(session, dispatch)
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
        sweep_after: timedelta = timedelta(seconds=5),
        keep_sent: timedelta = timedelta(days=7),
    ) -> None:
        self.engine = engine
        self.broker = broker
        self.service = service
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.sweep_after = sweep_after
        self.keep_sent = keep_sent
        self._ready: asyncio.Queue[_Row] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        _relays[self.engine.sync_engine] = self
        self._tasks = [
            asyncio.create_task(self._dispatch_loop(), name=f"{self.service}-outbox-dispatch"),
            asyncio.create_task(self._sweep_loop(), name=f"{self.service}-outbox-sweep"),
        ]

    async def stop(self) -> None:
        if _relays.get(self.engine.sync_engine) is self:
            del _relays[self.engine.sync_engine]
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def dispatch(self, row: _Row) -> None:
        """Publish ``row`` soon (called after the commit that wrote it)."""
        self._ready.put_nowait(row)

    async def _dispatch_loop(self) -> None:
        while True:
            rows = [await self._ready.get()]
            while len(rows) < self.batch_size and not self._ready.empty():
                rows.append(self._ready.get_nowait())
            try:
                sent, _failed = await self._publish(rows)
                if sent:
                    async with self.engine.begin() as conn:
                        await conn.execute(_MARK_SENT, {"ids": sent})
            except asyncio.CancelledError:
                raise
            except Exception:  # the sweep publishes whatever was not marked
                log.exception("outbox_dispatch_failed", service=self.service, rows=len(rows))

    async def _publish(self, rows: Sequence[_Row]) -> tuple[list[object], list[object]]:
        """Publish with confirms, all in flight together: the ids sent and the ids refused."""
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
        sent, failed = [], []
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                failed.append(row.id)
                log.warning("outbox_publish_failed", type=row.routing_key, error=repr(result))
            else:
                sent.append(row.id)
                MESSAGES_PUBLISHED.labels(self.service, row.routing_key).inc()
        return sent, failed

    async def _sweep_loop(self) -> None:
        rounds, idle = 0, 0
        while True:
            try:
                sent = await self.relay_once()
                rounds += 1
                if rounds % 600 == 0:
                    await self._purge()
                waiting = await self.pending()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox_sweep_failed", service=self.service)
                sent, waiting = 0, 1
            if sent >= self.batch_size:
                continue
            # nothing left behind: look again ever less often (rows are dispatched directly)
            idle = idle + 1 if waiting == 0 else 0
            await asyncio.sleep(min(self.poll_seconds * 2 ** min(idle, 4), _IDLE_SWEEP_SECONDS))

    async def relay_once(self) -> int:
        """Publish one batch of rows the dispatch left behind; how many were confirmed."""
        async with self.engine.begin() as conn:
            claimed = (
                await conn.execute(
                    _CLAIM,
                    {"limit": self.batch_size, "grace": self.sweep_after.total_seconds()},
                )
            ).all()
            if not claimed:
                return 0
            rows = [_Row(r.id, r.routing_key, r.payload, r.correlation_id) for r in claimed]
            sent, failed = await self._publish(rows)
            if sent:
                await conn.execute(_MARK_SENT, {"ids": sent})
            if failed:
                await conn.execute(
                    _MARK_FAILED, {"ids": failed, "error": "the broker refused or timed out"}
                )
        return len(sent)

    async def _purge(self) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(_PURGE, {"before": utcnow() - self.keep_sent})

    async def pending(self) -> int:
        """Rows not yet published (also sets the pending and oldest-pending gauges)."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(_PENDING)).one()
        OUTBOX_PENDING.labels(self.service).set(int(row.pending))
        OUTBOX_OLDEST.labels(self.service).set(float(row.oldest))
        return int(row.pending)
