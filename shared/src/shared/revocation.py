"""Prompt revocation of access tokens, without a call to auth per request.

Auth publishes ``session.revoked`` (through its outbox) whenever sessions end early. Every
service *process* holds a :class:`RevocationList` — an in-memory deny-list of session ids,
each kept until the last access token of that session has expired — fed by a
:class:`RevocationFeed`:

- a queue of its own (exclusive, auto-deleted with the process) bound to ``session.revoked``,
  so every replica hears every revocation, not one replica per service;
- a sync from auth's ``GET /internal/revocations`` (the revocations still in force) at
  start-up, after the broker reconnects, and every ``REVOCATION_SYNC_SECONDS`` as a safety net.

A revoked session's tokens are refused by :class:`shared.security.TokenVerifier` as soon as the
message arrives (well under a second after the commit in auth, in practice).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable

from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from shared.contracts.auth import SessionRevokedV1
from shared.logging import get_logger
from shared.messaging.broker import Broker
from shared.messaging.envelope import Envelope, PoisonMessage
from shared.messaging.topology import declare_exchange

log = get_logger("shared.revocation")

RevocationSource = Callable[[], Awaitable[Iterable[SessionRevokedV1]]]


class RevocationList:
    """Session ids whose access tokens are refused, each until its ``expires_at``."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}  # session id → unix time after which it can go

    def __len__(self) -> int:
        return len(self._until)

    def add(self, revoked: SessionRevokedV1) -> None:
        until = revoked.expires_at.timestamp()
        if until <= time.time():
            return
        for session_id in revoked.session_ids:
            key = str(session_id)
            self._until[key] = max(until, self._until.get(key, 0.0))

    def is_revoked(self, session_id: str) -> bool:
        until = self._until.get(session_id)
        if until is None:
            return False
        if until <= time.time():
            del self._until[session_id]
            return False
        return True

    def prune(self) -> None:
        now = time.time()
        for key in [key for key, until in self._until.items() if until <= now]:
            del self._until[key]


class RevocationFeed:
    """Keeps one process's :class:`RevocationList` current (see the module docstring)."""

    def __init__(
        self,
        revocations: RevocationList,
        *,
        broker: Broker,
        service: str,
        source: RevocationSource,
        sync_seconds: float = 60.0,
    ) -> None:
        self.revocations = revocations
        self.broker = broker
        self.service = service
        self.source = source
        self.sync_seconds = sync_seconds
        self.queue: AbstractQueue | None = None
        self._task: asyncio.Task[None] | None = None
        self._synced = asyncio.Event()
        self._tried = asyncio.Event()
        self._resync = asyncio.Event()

    async def start(self, *, first_sync_seconds: float = 3.0) -> None:
        """Listen first, then sync, so nothing revoked in between is missed. Returns after the
        first sync was tried (at most ``first_sync_seconds``): a process that starts while auth
        answers serves no request before it knows what was revoked."""
        channel = await self.broker.channel(prefetch=256)
        exchange = await declare_exchange(channel, self.broker.names)
        name = self.broker.names.queue(f"{self.service}.revocations.{uuid.uuid4().hex[:12]}")
        self.queue = await channel.declare_queue(
            name, durable=False, exclusive=True, auto_delete=True
        )
        await self.queue.bind(exchange, routing_key=SessionRevokedV1.TYPE)
        await self.queue.consume(self._on_message, no_ack=True)
        if self.broker.connection is not None:
            self.broker.connection.reconnect_callbacks.add(self._on_reconnect)
        self._task = asyncio.create_task(self._sync_loop(), name=f"{self.service}-revocations")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._tried.wait(), first_sync_seconds)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def wait_synced(self, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._synced.wait(), timeout)
        return self._synced.is_set()

    async def sync(self) -> None:
        for revoked in await self.source():
            self.revocations.add(revoked)
        self.revocations.prune()
        self._synced.set()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = Envelope.from_json(message.body)
        except PoisonMessage as exc:
            log.error("revocation_unreadable", error=str(exc))
            return
        if isinstance(envelope.data, SessionRevokedV1):
            self.revocations.add(envelope.data)

    def _on_reconnect(self, *_args: object) -> None:
        # what was published while the connection was down went to a queue that was deleted
        self._resync.set()

    async def _sync_loop(self) -> None:
        delay = 1.0
        while True:
            self._resync.clear()
            try:
                await self.sync()
                delay = self.sync_seconds
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # auth not (yet) reachable: try again soon
                log.warning("revocation_sync_failed", error=f"{type(exc).__name__}: {exc}")
                delay = min(delay * 2, self.sync_seconds)
            self._tried.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._resync.wait(), timeout=delay)


def revoked_payload(items: Iterable[SessionRevokedV1]) -> list[dict[str, object]]:
    """The body of auth's ``GET /internal/revocations``."""
    return [item.model_dump(mode="json") for item in items]


def parse_revocations(body: object) -> list[SessionRevokedV1]:
    if not isinstance(body, list):
        raise ValueError("expected a list of revocations")
    return [SessionRevokedV1.model_validate(item) for item in body]
